"""Wall time and peak memory of segmented separation against Spleeter's own whole-song run.

Uses a randomly initialised full-size 4-stem checkpoint (the released model's shape, so
the same compute and memory as the real one) and synthetic songs. Each case runs in a
process of its own, so each peak RSS is that case's alone.

    python bench/separation.py WORK_DIR [--cases segmented-4min whole-4min segmented-10min]

WORK_DIR receives the checkpoint (150 MB) and the songs as 16-bit WAV (40 and 100 MB).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the project's packages import

from processing.audio import SAMPLE_RATE  # noqa: E402

SONG_MINUTES = {"4min": 4, "10min": 10}
CASES = ("segmented-4min", "whole-4min", "segmented-10min")
WARM_UP_S = 1.0


def prepare_job_folder(*, work_dir: Path, minutes: float) -> tuple[Path, Path]:
    """(model folder, song) for a benchmark of whole jobs in `work_dir`, made once: a random-weight
    full-size Spleeter checkpoint (the released model's compute and memory), a link to the real
    Frame_RNN in A2D_MODEL_DIR, and a song of `minutes`."""
    model_dir, song = work_dir / "models", work_dir / f"song-{minutes:g}min.wav"
    model_dir.mkdir(parents=True, exist_ok=True)
    if not (model_dir / "spleeter").exists():
        from tests.spleeter_checkpoint import write_random_checkpoint

        write_random_checkpoint(model_dir=model_dir, full_size=True)
    if not (model_dir / "adtof-frame-rnn").exists():
        (model_dir / "adtof-frame-rnn").symlink_to(Path(os.environ["A2D_MODEL_DIR"]).resolve() / "adtof-frame-rnn")
    if not song.exists():
        write_song(path=song, minutes=minutes)
    return model_dir, song


def write_song(*, path: Path, minutes: float) -> None:
    """A stereo 16-bit WAV of `minutes` of tones and noise bursts, a minute at a time."""
    import soundfile as sf

    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=SAMPLE_RATE, channels=2, subtype="PCM_16") as song:
        for minute in range(int(np.ceil(minutes))):
            n = round(min(1.0, minutes - minute) * 60 * SAMPLE_RATE)
            t = (np.arange(n) + minute * 60 * SAMPLE_RATE) / SAMPLE_RATE
            tones = 0.2 * np.sin(2 * np.pi * 110 * t) + 0.1 * np.sin(2 * np.pi * 880 * t)
            bursts = 0.3 * rng.standard_normal(n) * np.exp(-(t % 0.5) / 0.05)  # a hit every 0.5 s
            song.write(np.stack([tones + bursts, tones - 0.5 * bursts], axis=1))


def peak_rss_gb() -> float:
    """This process's peak resident set size so far, in GB (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9


def run_case(*, case: str, work_dir: Path) -> dict:
    """Separate one song in this process; times in seconds, memory in GB."""
    import soundfile as sf

    method, song = case.split("-")
    model_dir = work_dir / "models"
    # (2, n) float32, one copy, as the app's decoder hands it over.
    audio = np.ascontiguousarray(sf.read(work_dir / f"song-{song}.wav", dtype="float32")[0].T)
    if method == "whole":
        # Spleeter's own Separator: one Estimator prediction over the whole song. It builds
        # its graph and restores the checkpoint inside every call, so that is in its time.
        os.environ["MODEL_PATH"] = str(model_dir / "spleeter")
        from spleeter.separator import Separator as SpleeterSeparator

        started = time.perf_counter()
        SpleeterSeparator("spleeter:4stems", multiprocess=False).separate(audio.T)
        return {"build_s": None, "separate_s": time.perf_counter() - started}
    from processing.separation import Separator

    separator = Separator(model_dir=model_dir)
    started = time.perf_counter()
    # A worker builds the graph on its first song, once; a short warm-up shows that cost.
    separator.separate(audio=np.zeros((2, round(WARM_UP_S * SAMPLE_RATE)), np.float32), sample_rate=SAMPLE_RATE)
    built = time.perf_counter()
    separator.separate(audio=audio, sample_rate=SAMPLE_RATE)
    return {"build_s": built - started, "separate_s": time.perf_counter() - built}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("work_dir", type=Path)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        result = run_case(case=args.child, work_dir=args.work_dir)
        print(json.dumps({"case": args.child, **result, "peak_rss_gb": peak_rss_gb()}))
        return
    args.work_dir.mkdir(parents=True, exist_ok=True)
    from processing.separation import ModelMissingError, check_model_folder

    try:
        check_model_folder(model_dir=args.work_dir / "models")
    except ModelMissingError:
        subprocess.run([sys.executable, "-m", "tests.spleeter_checkpoint", str(args.work_dir / "models"), "--full-size"],
                       check=True, cwd=ROOT)
    for song, minutes in SONG_MINUTES.items():
        path = args.work_dir / f"song-{song}.wav"
        if not path.exists():
            write_song(path=path, minutes=minutes)
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    print(f"{'case':<18}{'build s':>9}{'separate s':>12}{'peak GB':>9}")
    for case in args.cases:
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), str(args.work_dir), "--child", case],
            capture_output=True,
            text=True,
            env=environment,
            cwd=ROOT,
        )
        if child.returncode != 0:
            print(f"{case:<18} failed ({child.returncode}): {child.stderr.strip().splitlines()[-1:]}")
            continue
        result = json.loads(child.stdout.strip().splitlines()[-1])
        build = "-" if result["build_s"] is None else f"{result['build_s']:.1f}"
        print(
            f"{case:<18}{build:>9}{result['separate_s']:>12.1f}{result['peak_rss_gb']:>9.2f}"
            f"   (process {time.perf_counter() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
