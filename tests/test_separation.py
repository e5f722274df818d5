"""Segmented Spleeter separation on a small random-weight 4-stem checkpoint."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from processing import separation
from tests.spleeter_checkpoint import SMALL_CONV_N_FILTERS, write_random_checkpoint
from processing.separation import (
    BACKING_STEMS,
    STEMS,
    ModelMissingError,
    Separator,
    check_model_folder,
    ensure_model,
    model_folder,
)

SAMPLE_RATE = 44_100
BLOCK_S = 512 * 1024 / SAMPLE_RATE  # one U-Net block: 11.89 s
# Seams are joined by overlap-add of the same frames the whole-song run adds, so the only
# difference allowed is float rounding: -80 dB below the stem's peak. A click (a step,
# a gap, a doubled frame) at a seam is orders of magnitude above that.
SEAM_TOLERANCE = 1e-4


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("models")
    write_random_checkpoint(model_dir=directory)
    return directory


def tones(seconds: float, channels: int = 2) -> np.ndarray:
    """(channels, n) float32: steady sines, a different mix per channel."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    left = 0.4 * np.sin(2 * np.pi * 110 * t) + 0.2 * np.sin(2 * np.pi * 2500 * t)
    right = 0.3 * np.sin(2 * np.pi * 440 * t + 1.0) + 0.2 * np.sin(2 * np.pi * 1200 * t)
    return np.stack([left, right][:channels]).astype(np.float32)


def test_random_checkpoint_has_spleeters_files_and_is_small(model_dir):
    folder = model_folder(model_dir=model_dir)
    names = {path.name for path in folder.iterdir()}
    assert {"checkpoint", "model.index", "model.meta", "model.data-00000-of-00001", ".probe"} <= names
    assert sum(path.stat().st_size for path in folder.iterdir()) < 3_000_000
    check_model_folder(model_dir=model_dir)


@pytest.mark.parametrize("channels", [1, 2])
def test_stems_have_the_input_shape_and_length(model_dir, channels):
    audio = tones(13.3, channels)[:, :-17]  # two segments of one block, odd length
    stems = Separator(model_dir=model_dir, segment_blocks=1).separate(audio=audio, sample_rate=SAMPLE_RATE)
    assert list(stems) == list(STEMS)
    for stem in stems.values():
        assert stem.shape == audio.shape and stem.dtype == np.float32
        assert np.all(np.isfinite(stem)) and np.abs(stem).max() > 0


def test_other_sample_rates_are_refused(model_dir):
    with pytest.raises(ValueError, match="44100 Hz"):
        Separator(model_dir=model_dir).separate(audio=tones(1.0), sample_rate=22_050)


def test_segments_join_without_clicks(model_dir):
    """Three segments of one block each against one whole-song run, on steady tones."""
    audio = tones(2.6 * BLOCK_S)
    segmented = Separator(model_dir=model_dir, segment_blocks=1).separate(audio=audio, sample_rate=SAMPLE_RATE)
    whole = Separator(model_dir=model_dir, segment_blocks=100).separate(audio=audio, sample_rate=SAMPLE_RATE)
    # Seams: segment k (of 512 frames) ends at sample (512 k - 1) * 1024, the next one
    # starts 3 frames (3072 samples) before that.
    seams = [round(k * 512 * 1024 - 1024) for k in (1, 2)]
    near = round(0.05 * SAMPLE_RATE)
    for name in STEMS:
        peak = np.abs(whole[name]).max()
        for seam in seams:
            around = slice(seam - near, seam + near)
            assert np.abs(segmented[name][:, around] - whole[name][:, around]).max() < SEAM_TOLERANCE * peak, name
        assert np.abs(segmented[name] - whole[name]).max() < SEAM_TOLERANCE * peak, name


def test_equals_spleeters_own_whole_song_separation(model_dir, tmp_path):
    """The same checkpoint through Spleeter's own Separator (its Estimator graph)."""
    from spleeter.separator import Separator as SpleeterSeparator
    from spleeter.utils.configuration import load_configuration

    params = load_configuration("spleeter:4stems")
    params["model"]["params"]["conv_n_filters"] = list(SMALL_CONV_N_FILTERS)
    params["model_dir"] = str(model_folder(model_dir=model_dir).resolve())
    config = tmp_path / "4stems-small.json"
    config.write_text(json.dumps(params))
    rng = np.random.default_rng(1)
    audio = (0.2 * rng.standard_normal((2, round(1.5 * BLOCK_S * SAMPLE_RATE)))).astype(np.float32)
    theirs = SpleeterSeparator(str(config), multiprocess=False).separate(audio.T)
    ours = Separator(model_dir=model_dir, segment_blocks=1).separate(audio=audio, sample_rate=SAMPLE_RATE)
    for name in STEMS:
        assert np.abs(ours[name] - theirs[name].T).max() < SEAM_TOLERANCE * np.abs(theirs[name]).max(), name


def test_progress_is_reported_after_each_segment(model_dir):
    fractions: list[float] = []
    Separator(model_dir=model_dir, segment_blocks=1).separate(
        audio=tones(2.5 * BLOCK_S), sample_rate=SAMPLE_RATE, on_progress=fractions.append
    )
    assert len(fractions) == 3
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_graph_is_built_once_across_calls_and_separators(model_dir, monkeypatch):
    builds = []
    build = separation._build_model
    monkeypatch.setattr(separation, "_build_model", lambda *, folder: builds.append(folder) or build(folder=folder))
    separation.load_model.cache_clear()
    audio = tones(3.0)
    first = Separator(model_dir=model_dir).separate(audio=audio, sample_rate=SAMPLE_RATE)
    second = Separator(model_dir=model_dir, segment_blocks=2).separate(audio=audio, sample_rate=SAMPLE_RATE)
    assert len(builds) == 1
    np.testing.assert_array_equal(first["drums"], second["drums"])


def test_mixes_sum_stems_segment_by_segment(model_dir):
    audio = tones(30.0)  # three segments
    stems = Separator(model_dir=model_dir).separate(audio=audio, sample_rate=SAMPLE_RATE)
    mixed = Separator(model_dir=model_dir).separate(
        audio=audio, sample_rate=SAMPLE_RATE, mixes={"drums": ("drums",), "backing": BACKING_STEMS}
    )
    assert set(mixed) == {"drums", "backing"}
    np.testing.assert_array_equal(mixed["drums"], stems["drums"])
    np.testing.assert_allclose(mixed["backing"], stems["bass"] + stems["vocals"] + stems["other"], atol=1e-6)
    assert not np.allclose(mixed["backing"], 0.0)


def test_an_unknown_stem_is_refused(model_dir):
    with pytest.raises(ValueError, match="unknown stems"):
        Separator(model_dir=model_dir).separate(audio=tones(1.0), sample_rate=SAMPLE_RATE, mixes={"x": ("piano",)})


def assert_refused(model_dir, *missing):
    with pytest.raises(ModelMissingError) as refused:
        check_model_folder(model_dir=model_dir)
    message = str(refused.value)
    assert str(model_folder(model_dir=model_dir)) in message
    assert "manage.py fetch_models" in message
    for name in missing:
        assert name in message
    with pytest.raises(ModelMissingError):
        Separator(model_dir=model_dir)


def test_absent_model_folder_is_refused(tmp_path):
    assert_refused(tmp_path, "does not exist", "checkpoint", "model.index", "model.data-00000-of-00001")


def test_empty_model_folder_is_refused(tmp_path):
    """What a failed Spleeter download leaves: the folder and nothing in it."""
    model_folder(model_dir=tmp_path).mkdir(parents=True)
    assert_refused(tmp_path, "is incomplete", "checkpoint", "model.meta", ".probe")


def test_partial_model_folder_is_refused(model_dir, tmp_path):
    shutil.copytree(model_folder(model_dir=model_dir), model_folder(model_dir=tmp_path))
    folder = model_folder(model_dir=tmp_path)
    (folder / "model.index").unlink()
    (folder / "model.data-00000-of-00001").write_bytes(b"")  # an interrupted extraction
    with pytest.raises(ModelMissingError) as refused:
        check_model_folder(model_dir=tmp_path)
    assert "model.index, model.data-00000-of-00001" in str(refused.value)
    assert "checkpoint," not in str(refused.value)


def test_offline_download_fails_clearly_and_leaves_nothing(tmp_path, monkeypatch):
    # Nothing listens on the discard port: the connection is refused at once.
    monkeypatch.setenv("GITHUB_HOST", "http://127.0.0.1:9")
    with pytest.raises(ModelMissingError, match="Downloading it failed") as refused:
        ensure_model(model_dir=tmp_path)
    assert "manage.py fetch_models" in str(refused.value)
    assert not (tmp_path / "spleeter").exists(), "a failed first download leaves no folder behind"


def test_installed_model_needs_no_download(model_dir, monkeypatch):
    monkeypatch.setenv("GITHUB_HOST", "http://127.0.0.1:9")
    ensure_model(model_dir=model_dir)


def test_stft_puts_a_sine_in_its_bin_and_counts_frames_as_spleeter():
    frame_length, frame_step = 4096, 1024
    n = 10 * frame_length + 100
    t = np.arange(n) / SAMPLE_RATE
    bin_hz = SAMPLE_RATE / frame_length
    samples = np.stack([np.sin(2 * np.pi * 37 * bin_hz * t), np.sin(2 * np.pi * 200 * bin_hz * t)], axis=1)
    spectrum = separation.stft(samples=samples.astype(np.float32), frame_length=frame_length, frame_step=frame_step)
    assert spectrum.shape == (1 + (n - frame_length) // frame_step, frame_length // 2 + 1, 2)
    assert list(np.abs(spectrum).argmax(axis=1)[0]) == [37, 200]


def test_inverse_stft_gives_back_the_samples_where_four_frames_overlap():
    """Hann windows on the way in and out, at a quarter-frame hop, sum to 1.5: Spleeter's 2/3 undoes it."""
    frame_length, frame_step = 4096, 1024
    samples = np.random.default_rng(3).standard_normal((20 * frame_step, 2)).astype(np.float32)
    spectrum = separation.stft(samples=samples, frame_length=frame_length, frame_step=frame_step)
    back = separation.inverse_stft(spectrum=spectrum, frame_length=frame_length, frame_step=frame_step)
    assert back.shape == samples.shape and back.dtype == np.float32
    inside = slice(frame_length - frame_step, len(samples) - (frame_length - frame_step))
    np.testing.assert_allclose(back[inside], samples[inside], atol=1e-4)
    assert np.abs(back[:frame_step]).max() < 0.5 * np.abs(samples[:frame_step]).max(), "the edges are faded"


def test_a_mix_is_the_sum_of_its_stems(model_dir):
    """One inverse transform of the summed masks equals the sum of the stems' transforms."""
    audio = tones(5.0)
    stems = Separator(model_dir=model_dir).separate(audio=audio, sample_rate=SAMPLE_RATE)
    everything = Separator(model_dir=model_dir).separate(audio=audio, sample_rate=SAMPLE_RATE,
                                                         mixes={"all": STEMS})["all"]
    np.testing.assert_allclose(everything, sum(stems.values()), atol=1e-5)
    # The masks sum to one below the model's 11 kHz: away from the song's edges, which fewer
    # frames cover, the four stems give the mix back.
    inside = slice(4096, audio.shape[1] - 4096)
    assert np.abs(everything[:, inside] - audio[:, inside]).max() < 0.01 * np.abs(audio).max()
