"""On each development song the four difficulties really differ: more notes and a level at
least LEVEL_GAP higher at each step from BASIC to MASTER, EXTREME at most EXTREME_MAX_SHARE of
MASTER's notes and ADVANCED a real step below EXTREME, unless the song is sparse. The songs are
transcribed by the default track on the drum tempo map, as a conversion of the mix does, once
for the module."""

from pathlib import Path

import pytest

from processing import rhythm
from processing.arrangement import Chart, arrange
from processing.audio import decode
from processing.difficulty import (
    EXTREME_MAX_SHARE, LEVEL_GAP, MAX_LEVEL, MIN_LEVEL, SPARSE_EXTREME_MAX_SHARE, is_sparse, leveled_difficulties,
    make_playable,
)
from processing.transcription import default_track, get_track
from processing.transcription.adtof import track as adtof
from tests.conftest import ROOT, SHARED_MODELS

DEV_SONGS = ROOT.parent / "shared" / "data" / "mdb-dev"
SONGS = ("Beatles", "Country1", "Punk", "Rockabilly")
# ADVANCED keeps at least this share of MASTER's notes fewer than EXTREME on a song that is not
# sparse: a step a player notices (the guide's ranges, 75-90 % and 50-70 %, lie 20 points apart).
MIN_ADVANCED_STEP = 0.10


def transcribe_song(*, path: Path, model_dir: Path) -> Chart:
    """The MASTER chart of the song at `path`: the default track's hits on the tempo map of its
    drums."""
    audio = decode(path=path)
    spectrogram, activations = adtof.analyse(audio=audio, model_dir=model_dir)
    tempo_map = rhythm.drum_tempo_map(drum_activations=activations, spectrogram=spectrogram)
    track = get_track(default_track(model_dir=model_dir))
    return arrange(hits=track.run(audio=audio, model_dir=model_dir), tempo_map=tempo_map)


@pytest.fixture(scope="module")
def charts() -> dict[str, Chart]:
    return {song: transcribe_song(path=DEV_SONGS / f"{song}.flac", model_dir=SHARED_MODELS) for song in SONGS}


@pytest.mark.parametrize("song", SONGS)
def test_the_four_charts_rise_in_notes_and_level(charts, song):
    leveled = leveled_difficulties(chart=charts[song])
    counts = [len(reduced.notes) for _, reduced, _ in leveled]
    levels = [level for *_, level in leveled]
    assert all(easier < harder for easier, harder in zip(counts, counts[1:])), counts
    assert all(harder - easier >= LEVEL_GAP for easier, harder in zip(levels, levels[1:])), levels
    assert MIN_LEVEL <= levels[0] and levels[-1] <= MAX_LEVEL


@pytest.mark.parametrize("song", SONGS)
def test_extreme_and_advanced_drop_a_real_share(charts, song):
    chart = charts[song]
    _, advanced, extreme, master = [len(reduced.notes) for _, reduced, _ in leveled_difficulties(chart=chart)]
    if is_sparse(notes=make_playable(notes=chart.notes), tempo_map=chart.tempo_map):
        # A sparse song keeps more; its charts only need to differ (the test above).
        assert extreme <= SPARSE_EXTREME_MAX_SHARE * master, (extreme, master)
        return
    assert extreme <= EXTREME_MAX_SHARE * master, (extreme, master)
    assert advanced <= extreme - MIN_ADVANCED_STEP * master, (advanced, extreme, master)
