"""The pipeline with separation: the BGM is the drum-less backing track when asked, the
progress reports separation as its own stage, and chips can come from the song."""

import io
import zipfile

import numpy as np
import pytest
import soundfile

from processing.audio import decode
from processing.dtx.validator import validate_package
from processing.pipeline import convert
from processing.separation import BACKING_STEMS, Separator
from tests.conftest import SHARED_MODELS
from tests.spleeter_checkpoint import write_random_checkpoint


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A model folder with a small random-weight Spleeter checkpoint beside the ADTOF weights."""
    folder = tmp_path_factory.mktemp("models")
    write_random_checkpoint(model_dir=folder)
    (folder / "adtof-frame-rnn").symlink_to(SHARED_MODELS / "adtof-frame-rnn")
    return folder


def _bgm(package) -> np.ndarray:
    with zipfile.ZipFile(package) as archive:
        data, _ = soundfile.read(io.BytesIO(archive.read("groove/bgm.ogg")), dtype="float32", always_2d=True)
    return data.T


@pytest.mark.parametrize("bgm", ["drumless", "original"])
def test_bgm_follows_the_option(groove_file, models, tmp_path, bgm):
    path, _ = groove_file
    stages = []
    convert(source=path, out_path=tmp_path / "p.zip", track_name="spectral", model_dir=models, title="groove",
            parameters={"bgm": bgm, "song_chips": bgm == "drumless"},
            on_progress=lambda stage, fraction: stages.append((stage, fraction)))
    assert validate_package(path=tmp_path / "p.zip") == []
    song = decode(path=path).samples
    expected = Separator(model_dir=models).separate(
        audio=song, sample_rate=44_100, mixes={"backing": BACKING_STEMS})["backing"] if bgm == "drumless" else song
    written = _bgm(tmp_path / "p.zip")[:, : expected.shape[1]]
    error = np.sqrt(np.mean((written - expected[:, : written.shape[1]]) ** 2)) / np.sqrt(np.mean(expected ** 2))
    assert error < 0.2, "the BGM is the asked-for audio (up to Vorbis coding)"
    separating = [fraction for stage, fraction in stages if stage == "separating"]
    assert bool(separating) == (bgm == "drumless")
    assert separating == sorted(separating)


def test_a_missing_spleeter_model_fails_with_the_clear_message(groove_file, tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_HOST", "http://127.0.0.1:9")
    from processing.errors import PipelineError

    with pytest.raises(PipelineError, match="fetch_models"):
        convert(source=groove_file[0], out_path=tmp_path / "p.zip", track_name="spectral", model_dir=tmp_path,
                title="groove", parameters={"bgm": "drumless"})
    assert not (tmp_path / "p.zip").exists()
