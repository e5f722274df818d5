"""How fast the `adtof` track transcribes a 4-minute song once its model is loaded, and the
process's peak memory. Run: .venv/bin/python bench/adtof_speed.py [--model-dir DIR]

The song is the four MDB Drums development mixes looped to 4 minutes.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import soundfile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.separation import peak_rss_gb  # noqa: E402
from processing.audio import SAMPLE_RATE, DecodedAudio  # noqa: E402
from processing.transcription import get_track  # noqa: E402
from processing.transcription.adtof import features  # noqa: E402

SONG_S = 240
DEV_SONGS = ROOT.parent / "shared" / "data" / "mdb-dev"


def four_minutes() -> DecodedAudio:
    parts = [soundfile.read(path, dtype="float32", always_2d=True)[0].T for path in sorted(DEV_SONGS.glob("*.flac"))]
    mono = np.concatenate([part.mean(axis=0) for part in parts])
    looped = np.tile(mono, int(np.ceil(SONG_S * SAMPLE_RATE / mono.size)))[: SONG_S * SAMPLE_RATE]
    return DecodedAudio(samples=looped[None, :], sample_rate=SAMPLE_RATE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model-dir", type=Path, default=ROOT.parent / "shared" / "models")
    args = parser.parse_args()
    audio = four_minutes()
    track = get_track("adtof")
    start = time.perf_counter()
    track.run(audio=DecodedAudio(samples=audio.samples[:, : SAMPLE_RATE * 10], sample_rate=SAMPLE_RATE), model_dir=args.model_dir)
    print(f"model load + first 10 s call: {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    features.log_filterbank_spectrogram(samples=audio.mono())
    feature_s = time.perf_counter() - start
    runs = []
    for _ in range(3):
        # A new array each run: the track remembers its last analysis by the audio it was given.
        song = DecodedAudio(samples=audio.samples.copy(), sample_rate=audio.sample_rate)
        start = time.perf_counter()
        hits = track.run(audio=song, model_dir=args.model_dir)
        runs.append(time.perf_counter() - start)
    peak_gb = peak_rss_gb()
    print(f"4-minute song: features {feature_s:.2f} s; whole track best {min(runs):.2f} s, "
          f"median {np.median(runs):.2f} s over {len(runs)} runs; {len(hits)} hits; peak RSS {peak_gb:.2f} GB")


if __name__ == "__main__":
    main()
