/*
 * The chart preview: a DTXMania-style note highway that scrolls with the song, a static
 * overview of the whole chart, and optional chip sounds through Web Audio.
 *
 * Markup: an element with data-chart-preview, data-chart-url (the chart JSON, takes
 * ?difficulty=), data-audio-url, data-chip-url (ends in "chips/"), holding the elements
 * named by the data-role attributes used below.
 *
 * The owner's page holds a data-role="downbeat-form": a rerun whose first downbeat the preview
 * fills in with the beat just played (the latest beat at or before the playhead), or with the
 * "and" after it for a chart whose beats fall on the "and", so that a player who hears the "one"
 * elsewhere can put bar 1 there with one press.
 *
 * A note is [time, view lane, chip lane, confidence]; with "Mark uncertain notes" on, notes
 * whose confidence is under the chart's uncertain_below are drawn hollow on the highway and
 * white on the overview. The root's data-uncertain-count and data-mark-uncertain say so.
 */
(function () {
  "use strict";

  const LANE_COLOURS = {
    LC: "#ff4fa3", HH: "#3fb6ff", LP: "#b07cff", SD: "#ffd23f", HT: "#54d96b",
    BD: "#c86bff", LT: "#ff5a4f", FT: "#ff9a2e", CY: "#2fd6e0", RD: "#8fb8ff",
  };
  const LANE_WIDTH = 44;
  const NOTE_HEIGHT = 10;
  const JUDGE_MARGIN = 70;        // px from the highway's bottom to the judgement line
  const OVERVIEW_BARS_PER_COLUMN = 8;
  const OVERVIEW_BAR_HEIGHT = 44;
  const OVERVIEW_LANE_WIDTH = 5;
  const OVERVIEW_GAP = 18;
  const CHIP_LOOKAHEAD_S = 0.25;  // chips are scheduled this far ahead of the playhead
  const CHIP_TICK_MS = 50;
  const UNCERTAIN_OVERVIEW_COLOUR = "#ffffff";

  class ChartPreview {
    constructor(root) {
      this.root = root;
      this.role = (name) => root.querySelector(`[data-role="${name}"]`);
      this.highway = this.role("highway");
      this.overview = this.role("overview");
      this.audio = this.role("audio");
      this.timeline = this.role("timeline");
      this.clock = this.role("clock");
      this.speed = Number(this.role("speed").value);
      this.chart = null;
      this.markUncertain = false;
      this.chips = {};  // chip name -> decoded AudioBuffer, fetched as charts need them
      this.scheduledUntil = 0;
      this.bindControls();
      this.loadAudio(root.dataset.audioUrl);
      this.loadChart(root.dataset.initialDifficulty || "MASTER");
    }

    bindControls() {
      this.role("play").addEventListener("click", () => this.togglePlay());
      this.role("speed").addEventListener("input", (event) => {
        this.speed = Number(event.target.value);
        this.draw();
      });
      this.root.querySelectorAll("[data-difficulty]").forEach((button) =>
        button.addEventListener("click", () => this.loadChart(button.dataset.difficulty)));
      this.timeline.addEventListener("click", (event) => {
        const box = this.timeline.getBoundingClientRect();
        this.seek(((event.clientX - box.left) / box.width) * this.duration());
      });
      this.overview.addEventListener("click", (event) => this.seekFromOverview(event));
      const mix = this.role("mix");
      if (mix) mix.addEventListener("change", () => this.loadAudio(mix.value));
      this.role("chips").addEventListener("change", (event) => this.toggleChips(event.target.checked));
      const uncertain = this.role("uncertain");
      if (uncertain) uncertain.addEventListener("change", (event) => this.setMarkUncertain(event.target.checked));
      this.audio.addEventListener("play", () => this.onPlay());
      this.audio.addEventListener("pause", () => this.onPause());
      this.audio.addEventListener("seeked", () => { this.scheduledUntil = this.audio.currentTime; this.draw(); });
      this.audio.addEventListener("ended", () => this.onPause());
      const downbeatForm = this.role("downbeat-form");
      if (downbeatForm) {
        downbeatForm.addEventListener("submit", (event) => {
          const played = this.beatJustPlayed();
          if (played === null) { event.preventDefault(); return; }
          const onTheAnd = event.submitter && event.submitter.dataset.role === "set-downbeat-and";
          this.role("downbeat").value = (onTheAnd ? played.and : played.beat).toFixed(3);
        });
        this.audio.addEventListener("timeupdate", () => this.showBeatJustPlayed());
        this.audio.addEventListener("seeked", () => this.showBeatJustPlayed());
      }
    }

    /* {beat, and}: the latest beat at or before the playhead and half-way from it to the next
     * (s), or null before the first beat or after the last. */
    beatJustPlayed() {
      if (!this.chart) return null;
      const now = this.audio.currentTime || 0;
      const next = this.beatTimes.findIndex((beat) => beat > now);
      if (next < 1) return null;
      return { beat: this.beatTimes[next - 1], and: (this.beatTimes[next - 1] + this.beatTimes[next]) / 2 };
    }

    showBeatJustPlayed() {
      const played = this.beatJustPlayed();
      const onBeat = this.role("set-downbeat");
      const onTheAnd = this.role("set-downbeat-and");
      onBeat.disabled = onTheAnd.disabled = played === null;
      onBeat.textContent = played ? `Bar 1 on the beat at ${played.beat.toFixed(2)} s`
        : "Bar 1 on the beat just played";
      onTheAnd.textContent = played ? `Bar 1 on the “and” at ${played.and.toFixed(2)} s`
        : "Bar 1 on the “and” just played";
    }

    async loadAudio(url) {
      const resumeAt = this.audio.currentTime || 0;
      const wasPlaying = !this.audio.paused;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) { this.showError("The audio could not be loaded."); return; }
      if (this.audio.src) URL.revokeObjectURL(this.audio.src);
      // A blob URL makes the whole file seekable without HTTP range requests.
      this.audio.src = URL.createObjectURL(await response.blob());
      this.audio.currentTime = resumeAt;
      if (wasPlaying) this.audio.play();
    }

    async loadChart(difficulty) {
      const url = `${this.root.dataset.chartUrl}?difficulty=${encodeURIComponent(difficulty)}`;
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) { this.showError("The chart could not be loaded."); return; }
      this.chart = await response.json();
      // Every beat, for bar 1 set from the preview: the beat lines leave out those a bar line draws.
      this.beatTimes = this.chart.beats.concat(this.chart.bars).sort((a, b) => a - b);
      this.root.dataset.difficulty = difficulty;
      this.root.dataset.noteCount = String(this.chart.notes.length);
      this.root.querySelectorAll("[data-difficulty]").forEach((button) =>
        button.setAttribute("aria-pressed", String(button.dataset.difficulty === difficulty)));
      this.role("level").textContent = `${difficulty} · level ${(this.chart.level / 100).toFixed(2)} · ${this.chart.notes.length} notes`;
      this.root.dataset.uncertainCount = String(this.chart.notes.filter((note) => this.isUncertain(note)).length);
      this.showUncertainLegend();
      this.highway.width = this.chart.lanes.length * LANE_WIDTH;
      this.scheduledUntil = this.audio.currentTime;
      this.drawOverview();
      this.draw();
      if (this.role("downbeat-form")) this.showBeatJustPlayed();  // the playhead may have moved before the chart came
      if (this.chipTimer) await this.loadChips();  // another difficulty may use lanes this one lacked
    }

    /* Confidence is null for a chart stored before notes carried one: never uncertain then. */
    isUncertain(note) {
      const confidence = note[3];
      return confidence !== null && confidence !== undefined && confidence < this.chart.uncertain_below;
    }

    setMarkUncertain(on) {
      this.markUncertain = on;
      this.root.dataset.markUncertain = String(on);
      this.showUncertainLegend();
      if (!this.chart) return;
      this.drawOverview();
      this.draw();
    }

    showUncertainLegend() {
      const legend = this.role("uncertain-legend");
      if (!legend || !this.chart) return;
      legend.hidden = !this.markUncertain;
      const count = Number(this.root.dataset.uncertainCount);
      const below = this.chart.uncertain_below;
      legend.textContent = `${count} of ${this.chart.notes.length} notes in ${this.chart.difficulty} are uncertain ` +
        `(confidence under ${below}): drawn hollow on the lanes, white on the whole chart.`;
    }

    duration() {
      const audioDuration = Number.isFinite(this.audio.duration) ? this.audio.duration : 0;
      return Math.max(audioDuration, this.chart ? this.chart.duration : 0, 1);
    }

    togglePlay() {
      if (this.audio.paused) this.audio.play(); else this.audio.pause();
    }

    seek(seconds) {
      this.audio.currentTime = Math.max(0, Math.min(seconds, this.duration()));
      this.scheduledUntil = this.audio.currentTime;
      this.draw();
    }

    onPlay() {
      this.role("play").textContent = "Pause";
      this.root.dataset.playing = "true";
      const frame = () => {
        if (this.audio.paused) return;
        this.draw();
        requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    }

    onPause() {
      this.role("play").textContent = "Play";
      this.root.dataset.playing = "false";
      this.draw();
    }

    /* The highway: time runs upward, notes fall onto the judgement line. */
    draw() {
      if (!this.chart) return;
      const canvas = this.highway;
      const context = canvas.getContext("2d");
      const now = this.audio.currentTime || 0;
      const judgeY = canvas.height - JUDGE_MARGIN;
      const yOf = (time) => judgeY - (time - now) * this.speed;
      const visibleFrom = now - JUDGE_MARGIN / this.speed;
      const visibleTo = now + judgeY / this.speed;
      context.fillStyle = "#0b0c10";
      context.fillRect(0, 0, canvas.width, canvas.height);
      this.chart.lanes.forEach((lane, index) => {
        context.fillStyle = index % 2 ? "#121419" : "#15171d";
        context.fillRect(index * LANE_WIDTH, 0, LANE_WIDTH, canvas.height);
      });
      this.drawLines(context, this.chart.beats, visibleFrom, visibleTo, yOf, "#2a2e38", 1);
      this.drawLines(context, this.chart.bars, visibleFrom, visibleTo, yOf, "#6b7180", 2);
      const laneIndex = Object.fromEntries(this.chart.lanes.map((lane, index) => [lane, index]));
      for (const note of this.chart.notes) {
        const [time, lane, chip] = note;
        if (time < visibleFrom || time > visibleTo) continue;
        const x = laneIndex[lane] * LANE_WIDTH + 3;
        if (this.markUncertain && this.isUncertain(note)) {  // hollow: the outline only
          context.strokeStyle = LANE_COLOURS[lane];
          context.lineWidth = 2;
          context.strokeRect(x + 1, yOf(time) - NOTE_HEIGHT / 2 + 1, LANE_WIDTH - 8, NOTE_HEIGHT - 2);
          context.lineWidth = 1;
        } else {
          context.fillStyle = LANE_COLOURS[lane];
          context.fillRect(x, yOf(time) - NOTE_HEIGHT / 2, LANE_WIDTH - 6, NOTE_HEIGHT);
        }
        if (chip === "HHO") {  // open hi-hat: a ring on the hi-hat lane
          context.strokeStyle = "#ffffff";
          context.strokeRect(x + 1, yOf(time) - NOTE_HEIGHT / 2 + 1, LANE_WIDTH - 8, NOTE_HEIGHT - 2);
        }
      }
      context.fillStyle = "#f2a33a";
      context.fillRect(0, judgeY - 1, canvas.width, 3);
      this.drawLaneNames(context, judgeY);
      this.drawPlayhead(now);
    }

    drawLaneNames(context, judgeY) {
      context.fillStyle = "#0b0c10";
      context.fillRect(0, judgeY + 2, this.highway.width, this.highway.height - judgeY - 2);
      context.font = "bold 13px system-ui, sans-serif";
      context.textAlign = "center";
      this.chart.lanes.forEach((lane, index) => {
        context.fillStyle = LANE_COLOURS[lane];
        context.fillText(lane, index * LANE_WIDTH + LANE_WIDTH / 2, judgeY + JUDGE_MARGIN / 2);
      });
    }

    drawLines(context, times, from, to, yOf, colour, width) {
      context.fillStyle = colour;
      for (const time of times) {
        if (time >= from && time <= to) context.fillRect(0, yOf(time) - width / 2, this.highway.width, width);
      }
    }

    drawPlayhead(now) {
      const fraction = now / this.duration();
      this.role("playhead").style.left = `${(fraction * 100).toFixed(3)}%`;
      this.root.dataset.position = now.toFixed(3);
      const minutes = Math.floor(now / 60);
      this.clock.textContent = `${minutes}:${(now % 60).toFixed(1).padStart(4, "0")}`;
      this.drawOverviewPlayhead(now);
    }

    /* The overview: bars stacked upward in columns, as DTX chart viewers draw them. */
    overviewBars() {
      const bars = this.chart.bars.length ? this.chart.bars : [0];
      return bars.concat([bars[bars.length - 1] + 2]);
    }

    overviewPosition(time) {
      const bars = this.overviewBars();
      let index = bars.findIndex((start, i) => i + 1 < bars.length && time < bars[i + 1]);
      if (index < 0) index = bars.length - 2;
      const within = (time - bars[index]) / Math.max(bars[index + 1] - bars[index], 1e-6);
      const column = Math.floor(index / OVERVIEW_BARS_PER_COLUMN);
      const row = index % OVERVIEW_BARS_PER_COLUMN;
      const columnWidth = this.overviewColumnWidth();
      const height = OVERVIEW_BARS_PER_COLUMN * OVERVIEW_BAR_HEIGHT;
      return { x: column * columnWidth, y: height - (row + within) * OVERVIEW_BAR_HEIGHT, columnWidth };
    }

    overviewColumnWidth() {
      return this.chart.lanes.length * OVERVIEW_LANE_WIDTH + OVERVIEW_GAP;
    }

    drawOverview() {
      const canvas = this.overview;
      const bars = this.overviewBars();
      const columns = Math.ceil((bars.length - 1) / OVERVIEW_BARS_PER_COLUMN);
      const columnWidth = this.overviewColumnWidth();
      canvas.width = Math.max(columns * columnWidth, 200);
      canvas.height = OVERVIEW_BARS_PER_COLUMN * OVERVIEW_BAR_HEIGHT + 2;
      const context = canvas.getContext("2d");
      context.fillStyle = "#0b0c10";
      context.fillRect(0, 0, canvas.width, canvas.height);
      const laneWidth = this.chart.lanes.length * OVERVIEW_LANE_WIDTH;
      bars.slice(0, -1).forEach((time) => {
        const { x, y } = this.overviewPosition(time);
        context.fillStyle = "#3a3f4b";
        context.fillRect(x, y, laneWidth, 1);
      });
      const laneIndex = Object.fromEntries(this.chart.lanes.map((lane, index) => [lane, index]));
      for (const note of this.chart.notes) {
        const [time, lane] = note;
        const { x, y } = this.overviewPosition(time);
        context.fillStyle = this.markUncertain && this.isUncertain(note) ? UNCERTAIN_OVERVIEW_COLOUR : LANE_COLOURS[lane];
        context.fillRect(x + laneIndex[lane] * OVERVIEW_LANE_WIDTH, y - 1, OVERVIEW_LANE_WIDTH - 1, 2);
      }
      this.overviewImage = context.getImageData(0, 0, canvas.width, canvas.height);
    }

    drawOverviewPlayhead(now) {
      if (!this.overviewImage) return;
      const context = this.overview.getContext("2d");
      context.putImageData(this.overviewImage, 0, 0);
      const { x, y } = this.overviewPosition(now);
      context.fillStyle = "#f2a33a";
      context.fillRect(x, y - 1, this.chart.lanes.length * OVERVIEW_LANE_WIDTH, 2);
    }

    seekFromOverview(event) {
      const box = this.overview.getBoundingClientRect();
      const x = (event.clientX - box.left) * (this.overview.width / box.width);
      const y = (event.clientY - box.top) * (this.overview.height / box.height);
      const columnWidth = this.overviewColumnWidth();
      const row = Math.floor((OVERVIEW_BARS_PER_COLUMN * OVERVIEW_BAR_HEIGHT - y) / OVERVIEW_BAR_HEIGHT);
      const index = Math.floor(x / columnWidth) * OVERVIEW_BARS_PER_COLUMN + Math.max(0, row);
      const bars = this.overviewBars();
      if (index < bars.length - 1) this.seek(bars[index]);
    }

    /* Chip sounds, scheduled a little ahead so they stay on time. */
    async toggleChips(on) {
      if (!on) { clearInterval(this.chipTimer); this.chipTimer = null; return; }
      if (!this.audioContext) this.audioContext = new AudioContext();
      await this.loadChips();
      await this.audioContext.resume();
      this.scheduledUntil = this.audio.currentTime;
      this.chipTimer = setInterval(() => this.scheduleChips(), CHIP_TICK_MS);
    }

    /* Fetch the chips of the shown chart's lanes that no earlier chart needed. */
    async loadChips() {
      const missing = [...new Set(this.chart.notes.map((note) => note[2]))].filter((chip) => !(chip in this.chips));
      const buffers = await Promise.all(missing.map(async (chip) => {
        const response = await fetch(`${this.root.dataset.chipUrl}${chip}.wav`, { credentials: "same-origin" });
        return [chip, await this.audioContext.decodeAudioData(await response.arrayBuffer())];
      }));
      Object.assign(this.chips, Object.fromEntries(buffers));
    }

    scheduleChips() {
      if (this.audio.paused || !this.chart) return;
      const now = this.audio.currentTime;
      const until = now + CHIP_LOOKAHEAD_S;
      for (const [time, , chip] of this.chart.notes) {
        if (time < this.scheduledUntil || time >= until || !this.chips[chip]) continue;
        const source = this.audioContext.createBufferSource();
        source.buffer = this.chips[chip];
        source.connect(this.audioContext.destination);
        source.start(this.audioContext.currentTime + Math.max(0, time - now));
      }
      this.scheduledUntil = until;
    }

    showError(message) {
      this.role("level").textContent = message;
    }
  }

  document.querySelectorAll("[data-chart-preview]").forEach((root) => { root.chartPreview = new ChartPreview(root); });
})();
