"""The `multi-scale` track: stretched views brought back to the song's time, and its flag."""

import numpy as np
import pytest

from processing.lanes import Lane
from processing.transcription.adtof import multi_scale, peaks, track
from tests.audio_fixtures import render_groove
from tests.cli import convert_master_chart
from tests.conftest import SHARED_MODELS

KICK = 0


@pytest.mark.parametrize("stretch", [0.95, 1.05])
def test_a_stretched_view_finds_the_kicks_where_the_song_has_them(stretch):
    groove = render_groove(seconds=12.0, bpm_start=110.0)
    mono = groove.samples.mean(axis=0)
    source = track.network_source(model_dir=SHARED_MODELS)
    n_frames = int(len(mono) / groove.sample_rate * multi_scale.FRAME_RATE)
    curves = multi_scale.stretched_activations(mono=mono, sample_rate=groove.sample_rate, stretch=stretch,
                                               source=source, n_frames=n_frames)
    assert curves.shape == (n_frames, 5)
    kicks = peaks.pick_onsets(activations=curves)[KICK]
    truth = groove.hits[Lane.BASS_DRUM]
    errors = np.abs(kicks[:, None] - truth[None, :]).min(axis=1)
    assert len(kicks) >= 0.9 * len(truth) and np.median(errors) <= 0.015


def test_use_multi_scale_converts_the_test_song(groove_file, tmp_path):
    path, groove = groove_file
    chart = convert_master_chart(path, "--use-multi-scale", title="Scales", out=tmp_path)
    assert "multi-scale" in chart.headers["COMMENT"]
    kicks = np.array(chart.note_times(Lane.BASS_DRUM))
    truth = groove.hits[Lane.BASS_DRUM]
    assert len(kicks) >= 0.9 * len(truth)
    assert np.abs(kicks[:, None] - truth[None, :]).min(axis=1).max() < 0.03
