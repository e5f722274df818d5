"""The chart page says how the chart was made: track, settings, model weights and licences."""

import pytest
from django.urls import reverse

from tests.community import make_chart


@pytest.mark.parametrize("parameters,separated", [
    ({"bgm": "original", "input": "mix", "song_chips": False}, False),
    ({"bgm": "drumless", "input": "mix", "song_chips": True}, True),
    ({"bgm": "original", "input": "drums", "song_chips": False}, True),
    ({"bgm": "original", "input": "mix", "song_chips": True}, True),  # chips are cut from the drum stem
])
def test_provenance_names_every_model_that_ran(client, user, package_bytes, parameters, separated):
    chart = make_chart(owner=user, package=package_bytes, parameters=parameters | {"bpm": 96.0})
    page = client.get(reverse("chart-version-detail", args=[chart.pk])).content.decode()
    assert "made by a machine" in page and "Spectral (spectral)" in page and "tempo set to 96 BPM" in page
    assert ("Spleeter 4 stems (Deezer), MIT licence" in page) == separated
