"""`manage.py convert SONG`: the pipeline from the command line, without Redis or the database.

--batch (the default) asks nothing: what the flags say, else what is detected. --interactive
asks in the terminal for what the chart's header holds and how it is made, offering the flag's
or the detected value as each answer's default, the way the original command-line tool did.
"""

import argparse
import getpass
import sys
from dataclasses import dataclass, replace
from functools import partial
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, TextIO, TypeVar

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from charts.models import CHARTER_MAX_LENGTH, COMMENT_MAX_LENGTH, GENRE_MAX_LENGTH, Song
from processing.audio import admit
from processing.errors import PipelineError
from processing.inference import model_service
from processing.package import folder_name
from processing.pipeline import (BGM_DRUMLESS, BGM_ORIGINAL, INPUT_DRUMS, INPUT_MIX, LEVEL_PARAMETER, LEVEL_SCALE,
                                 MAX_LEVEL, MIN_LEVEL, convert, default_options, separation_available)
from processing.rhythm import MAX_USER_BPM, METER_BEATS, MIN_USER_BPM
from processing.transcription import PREFERRED_TRACK, TRACKS, WEIGHTLESS_TRACK, default_track

# The web app's limits, so that a chart made here could be uploaded with the same header.
TITLE_MAX_LENGTH = Song._meta.get_field("title").max_length
ARTIST_MAX_LENGTH = Song._meta.get_field("artist").max_length
LEVEL_STEP = Decimal("0.01")
LEVEL_RULE = "A level is a number from 1.00 to 9.99 with at most two decimals, e.g. 6.5."
# The answer that keeps what was detected (meter, level), and the one that empties a text field.
DETECTED = "detected"
NONE = "-"

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class ChartChoices:
    """What the chart's header holds and how it is made; None for meter and level: detected.

    level: MASTER's #DLEVEL as an integer (650 shows as 6.50).
    """

    title: str
    artist: str
    charter: str
    genre: str
    comment: str
    bgm: str
    meter: str | None
    level: int | None


def parse_level(text: str) -> int:
    """MASTER's level from "6.5" or "6.50" as #DLEVEL's integer (650); ValueError with LEVEL_RULE."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(LEVEL_RULE) from None
    # In range before quantize, which refuses a number too large for its precision.
    in_range = value.is_finite() and MIN_LEVEL <= value * LEVEL_SCALE <= MAX_LEVEL
    if not in_range or value != value.quantize(LEVEL_STEP):
        raise ValueError(LEVEL_RULE)
    return int(value * LEVEL_SCALE)


def _level_argument(text: str) -> int:
    try:
        return parse_level(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _number_argument(text: str, *, low: float, high: float, rule: str) -> float:
    """`text` as a number from `low` to `high`, else argparse's error saying `rule`."""
    try:
        number = float(text)
    except ValueError:
        number = float("nan")
    if not low <= number <= high:  # NaN fails too
        raise argparse.ArgumentTypeError(rule)
    return number


_bpm_argument = partial(_number_argument, low=MIN_USER_BPM, high=MAX_USER_BPM,
                        rule=f"A tempo is a number of BPM from {MIN_USER_BPM:g} to {MAX_USER_BPM:g}.")
_seconds_argument = partial(_number_argument, low=0.0, high=float("inf"),
                            rule="A time is a number of seconds from the start of the song, 0 or more.")


def _os_user() -> str:
    """The name of whoever runs the command, or "" where the system has none for them."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return ""


class Questions:
    """Questions in a terminal: the default in brackets, Enter keeps it, and an answer that
    `parse` refuses (ValueError) is explained and asked again."""

    def __init__(self, *, stdin: TextIO, stdout: OutputWrapper, stderr: OutputWrapper):
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr

    def ask(self, question: str, *, default: str, parse: Callable[[str], Answer]) -> Answer:
        while True:
            self.stdout.write(f"{question} [{default}]: " if default else f"{question}: ", ending="")
            self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                raise CommandError("The input ended before every question was answered.")
            try:
                return parse(" ".join(line.split()) or default)
            except ValueError as error:
                self.stderr.write(f"{error} Try again.")

    def text(self, question: str, *, default: str, max_length: int, required: bool = False) -> str:
        """One line of text; NONE empties a field that is not `required`."""

        def parse(answer: str) -> str:
            if answer == NONE and not required:
                return ""
            if not answer and required:
                raise ValueError(f"{question} cannot be empty.")
            if len(answer) > max_length:
                raise ValueError(f"{question} has at most {max_length} characters; this has {len(answer)}.")
            return answer

        hint = "" if required or not default else f" ({NONE} for none)"
        return self.ask(f"{question}{hint}", default=default, parse=parse)


class Command(BaseCommand):
    help = "Convert a song file into a DTXMania package (zip), printing progress."
    # call_command(..., stdin=stream) answers --interactive's questions (the tests do).
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("song", type=Path, help="the song file (mp3, wav, flac, ogg, m4a, opus)")
        track = parser.add_mutually_exclusive_group()
        track.add_argument("--track", default=None,
                           help=f"transcription track: {', '.join(TRACKS)} (default: {PREFERRED_TRACK} when its "
                                f"weights are in A2D_MODEL_DIR, else {WEIGHTLESS_TRACK})")
        # The original tool's spellings: --use-advanced-features is --track advanced-features.
        for name in TRACKS:
            track.add_argument(f"--use-{name}", dest="track", action="store_const", const=name,
                               help=f"the same as --track {name}")
        parser.add_argument("--title", default="", help="song title (default: the file's tag, else its name)")
        parser.add_argument("--artist", default="", help="artist (default: the file's tag)")
        parser.add_argument("--charter", default="", help="who made the chart, written into #COMMENT (default: nobody)")
        parser.add_argument("--genre", default="", help="#GENRE (default: none)")
        parser.add_argument("--comment", default="", help="a line for #COMMENT (default: none)")
        parser.add_argument("--meter", choices=list(METER_BEATS), default=None,
                            help="beats to a bar, 6/8 being three quarter-note beats (default: detected)")
        parser.add_argument("--bpm", type=_bpm_argument, default=None,
                            help=f"the tempo, {MIN_USER_BPM:g} to {MAX_USER_BPM:g} BPM: one steady tempo through "
                                 "the song (default: detected, with its tempo changes)")
        parser.add_argument("--first-downbeat", type=_seconds_argument, default=None, metavar="SECONDS",
                            dest="first_downbeat_s",
                            help="where bar 1 starts (s): on the nearest detected beat, or on the \"and\" between two, "
                                 "every beat then moving half a beat (default: detected)")
        parser.add_argument("--move-bar-lines", type=int, default=None, metavar="BEATS", dest="bar_shift_beats",
                            help="move every bar line this many beats later (earlier where negative), keeping "
                                 "the detected beats (default: the detected bar lines)")
        parser.add_argument("--level", type=_level_argument, default=None, metavar="1.00-9.99",
                            help="MASTER's level; the easier levels keep their distance below it (default: detected)")
        parser.add_argument("--bgm", choices=[BGM_DRUMLESS, BGM_ORIGINAL], default=None,
                            help="backing track: the song without drums (needs Spleeter's model) or the original "
                                 "(default: drumless when the model is in A2D_MODEL_DIR)")
        parser.add_argument("--input", choices=[INPUT_MIX, INPUT_DRUMS], default=INPUT_MIX,
                            help="transcribe the mix or the separated drum stem")
        parser.add_argument("--out", type=Path, default=Path("."), help="folder for the zip (default: here)")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--batch", action="store_true", help="ask nothing: flags, else detected values (the default)")
        mode.add_argument("--interactive", action="store_true",
                          help="ask for the title, artist, charter, genre, comment, backing track, meter and level, "
                               "each with the flag's or the detected value as its default")

    def handle(self, *args, song: Path, track: str | None, title: str, artist: str, charter: str, genre: str,
               comment: str, meter: str | None, level: int | None, out: Path, bgm: str | None, input: str,
               bpm: float | None, first_downbeat_s: float | None, bar_shift_beats: int | None, interactive: bool,
               **options):
        if not song.is_file():
            raise CommandError(f"{song}: no such file.")
        track = track or default_track(model_dir=settings.A2D_MODEL_DIR)
        if track not in TRACKS:
            raise CommandError(f"Unknown track '{track}'. Tracks: {', '.join(TRACKS)}.")
        out.mkdir(parents=True, exist_ok=True)
        try:
            info = admit(path=song, min_duration_s=settings.A2D_MIN_DURATION_S,
                         max_duration_s=settings.A2D_MAX_DURATION_S)
            if first_downbeat_s is not None and first_downbeat_s > info.duration_s:
                raise CommandError(f"{song}: the first downbeat ({first_downbeat_s:g} s) is past the song's end "
                                   f"({info.duration_s:.1f} s).")
            choices = ChartChoices(
                title=title or info.title or song.stem, artist=artist or info.artist, charter=charter, genre=genre,
                comment=comment, bgm=default_options(model_dir=settings.A2D_MODEL_DIR, bgm=bgm).bgm, meter=meter,
                level=level,
            )
            if interactive:
                choices = self._ask(choices=choices, stdin=options.get("stdin") or sys.stdin)
            package = default_options(model_dir=settings.A2D_MODEL_DIR, bgm=choices.bgm)
            parameters = {"bgm": package.bgm, "input": input, "song_chips": package.song_chips,
                          "bpm": bpm, "first_downbeat_s": first_downbeat_s, "meter": choices.meter,
                          "bar_shift_beats": bar_shift_beats, LEVEL_PARAMETER: choices.level}
            with model_service(url=settings.A2D_MODEL_SERVICE_URL):
                result = convert(
                    source=song, out_path=out / f"{folder_name(choices.title)}.zip", track_name=track,
                    model_dir=settings.A2D_MODEL_DIR, parameters=parameters,
                    title=choices.title, artist=choices.artist, genre=choices.genre, charter=choices.charter,
                    comment=choices.comment, on_progress=self._print_progress,
                    max_duration_s=settings.A2D_MAX_DURATION_S,
                )
        except PipelineError as error:
            raise CommandError(f"{song}: {error.user_message}") from error
        self.stdout.write(f"Track: {track}")
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(warning))
        counts = ", ".join(f"{lane} {count}" for lane, count in sorted(result.note_counts.items()))
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {result.package_path} ({result.bpm:.1f} BPM, {result.duration_s:.1f} s; notes: {counts})"
        ))
        if result.close_call_shift:
            shift = result.close_call_shift
            self.stdout.write(f"The bar lines were a close call: bars starting {shift} beats later fit almost as well. "
                              f"If the bar lines miss the \"one\", convert again with --move-bar-lines {shift}.")

    def _ask(self, *, choices: ChartChoices, stdin: TextIO) -> ChartChoices:
        """`choices` as the user answers, question by question, in the terminal."""
        questions = Questions(stdin=stdin, stdout=self.stdout, stderr=self.stderr)
        drumless = separation_available(model_dir=settings.A2D_MODEL_DIR)

        def parse_bgm(answer: str) -> str:
            answer = answer.lower()
            if answer not in (BGM_DRUMLESS, BGM_ORIGINAL):
                raise ValueError(f"The backing track is {BGM_DRUMLESS} or {BGM_ORIGINAL}.")
            if answer == BGM_DRUMLESS and not drumless:
                raise ValueError(f"A {BGM_DRUMLESS} backing track needs Spleeter's model, which is not in "
                                 f"{settings.A2D_MODEL_DIR}: answer {BGM_ORIGINAL}.")
            return answer

        def parse_meter(answer: str) -> str | None:
            answer = answer.lower()
            if answer != DETECTED and answer not in METER_BEATS:
                raise ValueError(f"The meter is {', '.join(METER_BEATS)}, or {DETECTED}.")
            return None if answer == DETECTED else answer

        def parse_level_answer(answer: str) -> int | None:
            return None if answer.lower() == DETECTED else parse_level(answer)

        bgm_choices = (f"{BGM_DRUMLESS} or {BGM_ORIGINAL}" if drumless
                       else f"{BGM_ORIGINAL}; {BGM_DRUMLESS} needs Spleeter's model")
        return replace(
            choices,
            title=questions.text("Title", default=choices.title, max_length=TITLE_MAX_LENGTH, required=True),
            artist=questions.text("Artist", default=choices.artist, max_length=ARTIST_MAX_LENGTH),
            charter=questions.text("Charted by", default=choices.charter or _os_user(), max_length=CHARTER_MAX_LENGTH),
            genre=questions.text("Genre", default=choices.genre, max_length=GENRE_MAX_LENGTH),
            comment=questions.text("Comment", default=choices.comment, max_length=COMMENT_MAX_LENGTH),
            bgm=questions.ask(f"Backing track ({bgm_choices})", default=choices.bgm, parse=parse_bgm),
            meter=questions.ask(f"Meter ({', '.join(METER_BEATS)} or {DETECTED})",
                                default=choices.meter or DETECTED, parse=parse_meter),
            level=questions.ask(f"MASTER level (1.00-9.99 or {DETECTED})",
                                default=DETECTED if choices.level is None else f"{choices.level / LEVEL_SCALE:.2f}",
                                parse=parse_level_answer),
        )

    def _print_progress(self, stage: str, fraction: float) -> None:
        self.stdout.write(f"[{round(100 * fraction):3d}%] {stage}")
