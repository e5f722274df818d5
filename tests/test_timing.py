"""Stage timings: recorded where the work happens, nested stages counted once, threads included;
a conversion reports every stage it ran."""

from __future__ import annotations

import contextvars
import threading
import time

import pytest

from processing import timing
from processing.pipeline import convert
from tests.conftest import SHARED_MODELS
from tests.spleeter_checkpoint import write_random_checkpoint

SLEEP_S = 0.1
# Sleeps overrun on a busy machine; they never run short.
SLACK_S = 0.08


def test_a_stage_adds_its_seconds_and_a_nested_stage_counts_once():
    with timing.recording() as seconds:
        with timing.stage("outer"):
            time.sleep(SLEEP_S)
            with timing.stage("inner"):
                time.sleep(SLEEP_S)
        with timing.stage("inner"):
            time.sleep(SLEEP_S)
    assert SLEEP_S <= seconds["outer"] < SLEEP_S + SLACK_S
    assert 2 * SLEEP_S <= seconds["inner"] < 2 * SLEEP_S + SLACK_S


def test_a_thread_started_in_a_copy_of_the_context_records_into_the_same_recording():
    def encode():
        with timing.stage("beside"):
            time.sleep(SLEEP_S)

    with timing.recording() as seconds:
        thread = threading.Thread(target=contextvars.copy_context().run, args=(encode,))
        thread.start()
        with timing.stage("main"):
            time.sleep(SLEEP_S)
        thread.join()
    assert set(seconds) == {"beside", "main"}
    assert seconds["beside"] >= SLEEP_S


def test_outside_a_recording_a_stage_only_runs_its_block():
    ran = []
    with timing.stage("alone"):
        ran.append(True)
    assert ran == [True]
    with timing.recording() as seconds:
        pass
    assert seconds == {}


@pytest.fixture
def models_with_spleeter(tmp_path):
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / "adtof-frame-rnn").symlink_to(SHARED_MODELS / "adtof-frame-rnn")
    write_random_checkpoint(model_dir=folder)
    return folder


@pytest.mark.parametrize("bgm", ["original", "drumless"])
def test_a_conversion_reports_the_seconds_of_every_stage_it_ran(bgm, groove_file, models_with_spleeter, tmp_path):
    started = time.perf_counter()
    result = convert(source=groove_file[0], out_path=tmp_path / "out.zip", track_name="adtof",
                     model_dir=models_with_spleeter, title="Timed",
                     parameters={"bgm": bgm, "input": "mix", "song_chips": bgm == "drumless"})
    wall_s = time.perf_counter() - started
    expected = set(timing.STAGES) - ({timing.SEPARATE} if bgm == "original" else set())
    assert set(result.stage_seconds) == expected
    assert list(result.stage_seconds) == [name for name in timing.STAGES if name in expected]
    assert all(seconds >= 0 for seconds in result.stage_seconds.values())
    # The BGM is encoded beside the analysis: everything but the encoder fits in the job's time.
    beside = {timing.ENCODE_BGM, timing.PREVIEW}
    assert sum(s for name, s in result.stage_seconds.items() if name not in beside) <= wall_s
    assert result.stage_seconds[timing.TRANSCRIBE] > 0.05  # the network ran under its own name
