"""One worker process builds Spleeter's graph and the Frame_RNN once and reuses them for
every job it runs (RQ's forking worker would rebuild them in each job's work horse)."""

import pytest
from django.urls import reverse

from charts.models import ChartVersion
from tests.conftest import SHARED_MODELS
from tests.spleeter_checkpoint import write_random_checkpoint

JOBS = 2


@pytest.fixture
def models(tmp_path, settings):
    """A model folder with a small random-weight Spleeter checkpoint beside the ADTOF weights."""
    folder = tmp_path / "models"
    write_random_checkpoint(model_dir=folder)
    (folder / "adtof-frame-rnn").symlink_to(SHARED_MODELS / "adtof-frame-rnn")
    settings.A2D_MODEL_DIR = folder
    return folder


@pytest.mark.django_db(transaction=True)
def test_models_are_built_once_per_worker(logged_in_client, groove_file, models, run_worker):
    for _ in range(JOBS):
        with open(groove_file[0], "rb") as handle:
            response = logged_in_client.post(reverse("song-upload"), {
                "upload": handle, "track": "adtof", "bgm": "drumless", "input": "drums", "song_chips": "on",
            })
        assert response.status_code == 302
    worker = run_worker(A2D_MODEL_DIR=str(models))
    assert worker.returncode == 0, worker.stderr[-2000:]
    versions = list(ChartVersion.objects.all())
    assert len(versions) == JOBS
    assert all(version.status == ChartVersion.Status.DONE for version in versions), \
        [version.error_message for version in versions]
    assert all(version.parameters["bgm"] == "drumless" for version in versions)
    assert worker.stderr.count("Built Spleeter's 4stems graph") == 1, worker.stderr[-3000:]
    assert worker.stderr.count("Built the Frame_RNN") == 1, worker.stderr[-3000:]
