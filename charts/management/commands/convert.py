"""`manage.py convert SONG`: the pipeline from the command line, without Redis or the database."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from processing.audio import admit
from processing.errors import PipelineError
from processing.package import folder_name
from processing.pipeline import BGM_DRUMLESS, BGM_ORIGINAL, INPUT_DRUMS, INPUT_MIX, convert, default_options
from processing.transcription import TRACKS, default_track


class Command(BaseCommand):
    help = "Convert a song file into a DTXMania package (zip), printing progress."

    def add_arguments(self, parser):
        parser.add_argument("song", type=Path, help="the song file (mp3, wav, flac, ogg, m4a, opus)")
        parser.add_argument("--track", default=None,
                            help=f"transcription track: {', '.join(TRACKS)} (default: adtof when its weights "
                                 "are in A2D_MODEL_DIR, else spectral)")
        parser.add_argument("--title", default="", help="song title (default: the file's tag, else its name)")
        parser.add_argument("--artist", default="", help="artist (default: the file's tag)")
        parser.add_argument("--bgm", choices=[BGM_DRUMLESS, BGM_ORIGINAL], default=None,
                            help="backing track: the song without drums (needs Spleeter's model) or the original "
                                 "(default: drumless when the model is in A2D_MODEL_DIR)")
        parser.add_argument("--input", choices=[INPUT_MIX, INPUT_DRUMS], default=INPUT_MIX,
                            help="transcribe the mix or the separated drum stem")
        parser.add_argument("--out", type=Path, default=Path("."), help="folder for the zip (default: here)")

    def handle(self, *args, song: Path, track: str | None, title: str, artist: str, out: Path, bgm: str | None,
               input: str, **options):
        if not song.is_file():
            raise CommandError(f"{song}: no such file.")
        track = track or default_track(model_dir=settings.A2D_MODEL_DIR)
        options = default_options(model_dir=settings.A2D_MODEL_DIR, bgm=bgm)
        parameters = {"bgm": options.bgm, "input": input, "song_chips": options.song_chips}
        if track not in TRACKS:
            raise CommandError(f"Unknown track '{track}'. Tracks: {', '.join(TRACKS)}.")
        out.mkdir(parents=True, exist_ok=True)
        try:
            info = admit(path=song, min_duration_s=settings.A2D_MIN_DURATION_S,
                         max_duration_s=settings.A2D_MAX_DURATION_S)
            title = title or info.title or song.stem
            artist = artist or info.artist
            result = convert(
                source=song, out_path=out / f"{folder_name(title)}.zip", track_name=track,
                model_dir=settings.A2D_MODEL_DIR, parameters=parameters,
                title=title, artist=artist, on_progress=self._print_progress,
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

    def _print_progress(self, stage: str, fraction: float) -> None:
        self.stdout.write(f"[{round(100 * fraction):3d}%] {stage}")
