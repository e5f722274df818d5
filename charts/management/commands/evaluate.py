"""`manage.py evaluate`: F-measure of a track against annotated songs, per class and per lane."""

import json as json_module
import tempfile
import time
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from processing import evaluation
from processing.audio import decode
from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.package import package_chart_files
from processing.pipeline import BGM_ORIGINAL, convert
from processing.transcription import TRACKS, get_track


class Command(BaseCommand):
    help = ("Score a track on annotated songs (S.flac or S.wav with S.class.txt and S.subclass.txt): "
            "onset F-measure, precision and recall at 50 ms per class and per DTX lane, pooled and mean.")

    def add_arguments(self, parser):
        parser.add_argument("--songs", type=Path, required=True, help="folder of annotated songs")
        parser.add_argument("--track", required=True, choices=sorted(TRACKS))
        parser.add_argument("--dtx", action="store_true",
                            help="score the MASTER chart the whole pipeline writes, read back from its .dtx")
        parser.add_argument("--json", type=Path, help="also write the tables as JSON here")

    def handle(self, *args, songs: Path, track: str, dtx: bool, json: Path | None, **options):
        paths = evaluation.annotated_songs(folder=songs) if songs.is_dir() else []
        if not paths:
            raise CommandError(f"{songs}: no annotated songs (S.flac/S.wav with S.class.txt and S.subclass.txt).")
        references, estimates = ([], []), ([], [])
        per_song = {}
        for path in paths:
            started = time.perf_counter()
            notes = self._chart_notes(path=path, track=track) if dtx else self._track_notes(path=path, track=track)
            for view, onsets in enumerate(evaluation.reference_views(stem=path.with_suffix(""))):
                references[view].append(onsets)
            for view, onsets in enumerate(evaluation.estimate_views(notes=notes)):
                estimates[view].append(onsets)
            per_song[path.stem] = round(time.perf_counter() - started, 2)
            self.stdout.write(f"{path.name}: {len(notes)} notes in {per_song[path.stem]:.1f} s")
        source = "MASTER .dtx read back" if dtx else "transcription"
        tables = {
            "classes": evaluation.score(references=references[0], estimates=estimates[0], labels=evaluation.CLASSES),
            "lanes": evaluation.score(references=references[1], estimates=estimates[1], labels=evaluation.LANES),
        }
        for view, table in tables.items():
            self.stdout.write(table.format(title=f"\n{track}, {source}, {view}, {len(paths)} songs, 50 ms"))
        if json:
            json.write_text(json_module.dumps(
                {"track": track, "source": source, "songs": per_song,
                 **{view: table.as_dict() for view, table in tables.items()}}, indent=2))

    def _track_notes(self, *, path: Path, track: str):
        hits = get_track(track).run(audio=decode(path=path), model_dir=settings.A2D_MODEL_DIR)
        return [(hit.time_s, hit.lane) for hit in hits]

    def _chart_notes(self, *, path: Path, track: str):
        with tempfile.TemporaryDirectory() as work:
            package = Path(work) / "chart.zip"
            convert(source=path, out_path=package, track_name=track, model_dir=settings.A2D_MODEL_DIR,
                    title=path.stem, parameters={"bgm": BGM_ORIGINAL})
            with zipfile.ZipFile(package) as archive:
                member = package_chart_files(archive)["MASTER"]
                return parse_dtx(text=decode_dtx_bytes(archive.read(member))).notes()
