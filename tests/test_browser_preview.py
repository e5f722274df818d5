"""The preview in real Chromium against a live server, on a chart a real worker produced."""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import sync_playwright

from charts.models import ChartVersion
from processing.chart_view import UNCERTAIN_BELOW
from tests.uploads import upload

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
]
OUTPUT_DIR = Path(__file__).resolve().parents[1] / "test-output"
LANE_COLOURS = ["#ff4fa3", "#3fb6ff", "#b07cff", "#ffd23f", "#54d96b", "#c86bff", "#ff5a4f", "#ff9a2e",
                "#2fd6e0", "#8fb8ff"]
COUNT_LANE_PIXELS = """([canvas, colours]) => {
  const rgb = colours.map(c => [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)));
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height - 70).data;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (rgb.some(([r, g, b]) => data[i] === r && data[i + 1] === g && data[i + 2] === b)) count++;
  }
  return count;
}"""


@pytest.fixture
def open_browser():
    """Starts Chromium when called: Playwright's event loop makes later ORM calls in this
    thread illegal, so the test does its database work first."""
    started = []

    def start():
        playwright = sync_playwright().start()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        started.append((playwright, browser))
        return browser.new_context(viewport={"width": 1200, "height": 1000})

    yield start
    for playwright, browser in started:
        browser.close()
        playwright.stop()


def _lane_pixels(page) -> int:
    canvas = page.query_selector("[data-role=highway]")
    return page.evaluate(COUNT_LANE_PIXELS, [canvas, LANE_COLOURS])


def _finished_chart(client, user, groove_path: Path, run_worker) -> ChartVersion:
    client.force_login(user)
    version = upload(client, groove_path)
    assert run_worker().returncode == 0
    version.refresh_from_db()
    assert version.status == ChartVersion.Status.DONE
    return version


def _open_chart_page(client, live_server, open_browser, version: ChartVersion, problems: list[str]):
    """The chart page in Chromium, logged in as `client`, once its chart has loaded; console
    errors and page errors land in `problems`."""
    browser_page = open_browser()
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser_page.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])
    page = browser_page.new_page()
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(live_server.url + reverse("chart-version-detail", args=[version.pk]))
    return page, page.wait_for_selector("[data-chart-preview][data-note-count]")


@pytest.mark.django_db(transaction=True)
def test_preview_plays_and_switches_difficulty(client, user, groove_file, run_worker, live_server, open_browser):
    version = _finished_chart(client, user, groove_file[0], run_worker)
    problems = []
    page, preview = _open_chart_page(client, live_server, open_browser, version, problems)
    page.wait_for_function("document.querySelector('[data-role=audio]').readyState >= 1")
    master_notes = int(preview.get_attribute("data-note-count"))
    assert master_notes > 50
    page.evaluate("document.querySelector('[data-chart-preview]').chartPreview.seek(1.0)")
    still = _lane_pixels(page)
    assert still > 0, "notes are drawn in lane colours"
    before = page.query_selector("[data-role=highway]").screenshot()

    page.click("[data-role=play]")
    page.wait_for_function("Number(document.querySelector('[data-chart-preview]').dataset.position) > 2.0",
                           timeout=15000)
    assert preview.get_attribute("data-playing") == "true"
    after = page.query_selector("[data-role=highway]").screenshot()
    assert after != before, "the notes move while playing"
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT_DIR / "preview.png"), full_page=True)

    page.click("[data-difficulty=BASIC]")
    page.wait_for_function("document.querySelector('[data-chart-preview]').dataset.difficulty === 'BASIC'")
    assert int(preview.get_attribute("data-note-count")) < master_notes
    page.click("[data-role=play]")
    time.sleep(0.2)
    assert preview.get_attribute("data-playing") == "false"
    assert problems == []


@pytest.mark.django_db(transaction=True)
def test_bar_1_goes_on_the_beat_or_the_and_just_played(client, user, groove_file, run_worker, live_server,
                                                       open_browser):
    version = _finished_chart(client, user, groove_file[0], run_worker)
    view = client.get(reverse("chart-version-chart-json", args=[version.pk]), {"difficulty": "MASTER"}).json()
    beats, bars = view["beats"], view["bars"]  # beat lines, and the bar lines (beats too) they leave out
    lines = sorted(beats + bars)
    problems = []
    page, _ = _open_chart_page(client, live_server, open_browser, version, problems)
    chart_url = page.url
    page.wait_for_function("document.querySelector('[data-role=audio]').readyState >= 1")
    seek = "document.querySelector('[data-chart-preview]').chartPreview.seek({})"
    shows = "document.querySelector('[data-role=set-downbeat]').textContent === 'Bar 1 on the beat at {:.2f} s'"
    page.evaluate(seek.format(bars[2] + 0.12))
    page.wait_for_function(shows.format(bars[2]), timeout=5000)  # a bar line is a beat too
    # Pressed a little after the seventh beat line: a player's reaction to the "one" they heard.
    and_s = (beats[6] + lines[lines.index(beats[6]) + 1]) / 2
    for role, chosen_s in (("set-downbeat", beats[6]), ("set-downbeat-and", and_s)):
        page.goto(chart_url)
        page.wait_for_selector("[data-chart-preview][data-note-count]")
        page.wait_for_function("document.querySelector('[data-role=audio]').readyState >= 1")
        page.evaluate(seek.format(beats[6] + 0.12))
        page.wait_for_function(shows.format(beats[6]), timeout=5000)
        assert page.inner_text("[data-role=set-downbeat-and]") == f"Bar 1 on the “and” at {and_s:.2f} s"
        with page.expect_navigation():
            page.click(f"[data-role={role}]")
        assert page.url.endswith(reverse("song-detail", args=[version.song_id]))
        assert f"bar 1 at {float(f'{chosen_s:.3f}')} s" in page.content(), "the new version starts its bars there"
    assert len(page.query_selector_all(".version-status")) == 3
    assert problems == []


@pytest.mark.django_db(transaction=True)
def test_marking_uncertain_notes_draws_them_hollow(client, user, groove_file, run_worker, live_server, open_browser):
    version = _finished_chart(client, user, groove_file[0], run_worker)
    url = reverse("chart-version-chart-json", args=[version.pk])
    charts = {label: client.get(url, {"difficulty": label}).json() for label in ("MASTER", "BASIC")}
    uncertain = {label: [note for note in chart["notes"] if note[3] < UNCERTAIN_BELOW] for label, chart in charts.items()}
    assert uncertain["MASTER"], "the spectral track is unsure of some of the groove's quieter hits"
    lanes = {}
    for _, _, chip, confidence in charts["MASTER"]["notes"]:
        lanes.setdefault(chip, []).append(confidence < UNCERTAIN_BELOW)

    problems = []
    page, preview = _open_chart_page(client, live_server, open_browser, version, problems)
    rows = page.query_selector_all("[data-role=uncertainty] tr[data-lane]")
    shown = {row.get_attribute("data-lane"): row.inner_text() for row in rows}
    assert shown.keys() == lanes.keys(), "a row per lane with notes"
    for lane, flags in lanes.items():
        assert f"{sum(flags)} of {len(flags)}" in shown[lane]
        assert f"{round(100 * sum(flags) / len(flags))}%" in shown[lane]

    page.wait_for_function("document.querySelector('[data-role=audio]').readyState >= 1")
    first_uncertain = uncertain["MASTER"][0][0]
    page.evaluate(f"document.querySelector('[data-chart-preview]').chartPreview.seek({max(first_uncertain - 0.5, 0)})")
    solid = _lane_pixels(page)
    assert preview.get_attribute("data-uncertain-count") == str(len(uncertain["MASTER"]))
    assert page.is_hidden("[data-role=uncertain-legend]")

    page.check("[data-role=uncertain]")
    assert preview.get_attribute("data-mark-uncertain") == "true"
    assert 0 < _lane_pixels(page) < solid, "uncertain notes in view lose their fill"
    legend = page.inner_text("[data-role=uncertain-legend]")
    assert f"{len(uncertain['MASTER'])} of {len(charts['MASTER']['notes'])} notes in MASTER" in legend
    OUTPUT_DIR.mkdir(exist_ok=True)
    page.query_selector("[data-chart-preview]").screenshot(path=str(OUTPUT_DIR / "preview-uncertain.png"))

    page.click("[data-difficulty=BASIC]")
    page.wait_for_function("document.querySelector('[data-chart-preview]').dataset.difficulty === 'BASIC'")
    assert preview.get_attribute("data-uncertain-count") == str(len(uncertain["BASIC"]))
    assert "notes in BASIC" in page.inner_text("[data-role=uncertain-legend]")
    page.click("[data-difficulty=MASTER]")
    page.wait_for_function("document.querySelector('[data-chart-preview]').dataset.difficulty === 'MASTER'")
    page.uncheck("[data-role=uncertain]")
    assert preview.get_attribute("data-mark-uncertain") == "false"
    assert _lane_pixels(page) == solid, "unmarked, every note is filled again"
    assert problems == []
