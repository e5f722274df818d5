"""On each development song the four difficulties really differ: more notes and a level at
least LEVEL_GAP higher at each step from BASIC to MASTER, EXTREME at most EXTREME_MAX_SHARE of
MASTER's notes and ADVANCED a real step below EXTREME, unless the song is sparse. The songs are
transcribed by the default track on the drum tempo map, as a conversion of the mix does, once
for the module."""

import pytest

from processing.arrangement import Chart
from processing.audio import decode
from processing.difficulty import (
    EXTREME_MAX_SHARE, LEVEL_GAP, MAX_LEVEL, MIN_LEVEL, SPARSE_EXTREME_MAX_SHARE, is_sparse, leveled_difficulties,
    make_playable,
)
from processing.pipeline import master_chart
from processing.transcription import default_track
from tests.conftest import ROOT, SHARED_MODELS

DEV_SONGS = ROOT.parent / "shared" / "data" / "mdb-dev"
SONGS = ("Beatles", "Country1", "Punk", "Rockabilly")
# ADVANCED keeps at least this share of MASTER's notes fewer than EXTREME on a song that is not
# sparse: a step a player notices (the guide's ranges, 75-90 % and 50-70 %, lie 20 points apart).
MIN_ADVANCED_STEP = 0.10


@pytest.fixture(scope="module")
def charts() -> dict[str, Chart]:
    track_name = default_track(model_dir=SHARED_MODELS)
    return {song: master_chart(audio=decode(path=DEV_SONGS / f"{song}.flac"), model_dir=SHARED_MODELS,
                               track_name=track_name) for song in SONGS}


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
