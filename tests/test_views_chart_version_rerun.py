"""Rerunning a song: another track or the user's tempo corrections make a new chart version."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from charts.models import ChartVersion
from processing.transcription import TRACKS
from tests.uploads import upload

HIDDEN_FIELD = r'<input type="hidden" name="(\w+)" value="([^"]*)">'


@pytest.mark.django_db(transaction=True)
def test_rerun_with_a_tempo_override_is_honoured(logged_in_client, groove_file, run_worker):
    first = upload(logged_in_client, groove_file[0])
    response = logged_in_client.post(reverse("chart-version-rerun", args=[first.song_id]),
                                     {"track": "spectral", "bpm": "60", "first_downbeat_s": "0.5",
                                      "bgm": "original", "input": "mix"})
    assert response.status_code == 302
    rerun = ChartVersion.objects.latest("id")
    assert rerun.pk != first.pk
    assert rerun.parameters == {"bpm": 60.0, "first_downbeat_s": 0.5, "bgm": "original", "input": "mix", "song_chips": False}
    assert run_worker().returncode == 0
    first.refresh_from_db()
    rerun.refresh_from_db()
    assert first.bpm == pytest.approx(120.0, abs=0.1)
    assert rerun.status == ChartVersion.Status.DONE and rerun.bpm == pytest.approx(60.0, abs=1e-6)
    page = logged_in_client.get(reverse("song-detail", args=[first.song_id])).content.decode()
    assert page.index(f'id="version-{rerun.pk}"') < page.index(f'id="version-{first.pk}"'), "newest first"


@pytest.mark.django_db
def test_rerun_rejects_bad_values_and_other_users(client, user, other_user, groove_file, settings):
    client.force_login(user)
    first = upload(client, groove_file[0])
    url = reverse("chart-version-rerun", args=[first.song_id])
    response = client.post(url, {"track": "spectral", "bpm": "5000"})
    assert response.status_code == 400 and "less than or equal to 300" in response.content.decode()
    response = client.post(url, {"track": "spectral", "first_downbeat_s": "999"})
    assert response.status_code == 400
    client.force_login(other_user)
    assert client.post(url, {"track": "spectral"}).status_code == 404
    assert ChartVersion.objects.count() == 1


@pytest.mark.django_db
def test_rerun_takes_a_meter_and_a_master_level_from_the_scale(logged_in_client, groove_file):
    first = upload(logged_in_client, groove_file[0])
    url = reverse("chart-version-rerun", args=[first.song_id])
    for refused, message in (({"meter": "5/4"}, "Select a valid choice"),
                             ({"level": "10"}, "less than or equal to 9.99"),
                             ({"level": "0.99"}, "greater than or equal to 1"),
                             ({"level": "6.505"}, "no more than 2 decimal places")):
        response = logged_in_client.post(url, {"track": "spectral", **refused})
        assert response.status_code == 400 and message in response.content.decode(), refused
    assert ChartVersion.objects.count() == 1
    response = logged_in_client.post(url, {"track": "spectral", "meter": "6/8", "level": "1", "bgm": "original",
                                           "input": "mix"})
    assert response.status_code == 302
    rerun = ChartVersion.objects.latest("id")
    assert rerun.parameters == {"meter": "6/8", "level": 100, "bgm": "original", "input": "mix", "song_chips": False}


@pytest.mark.django_db
def test_rerun_reuses_the_upload_and_leaves_earlier_versions_alone(logged_in_client, groove_file, media_root):
    first = upload(logged_in_client, groove_file[0])
    uploads = sorted((media_root / "songs").rglob("*"))
    before = ChartVersion.objects.values().get(pk=first.pk)
    response = logged_in_client.post(reverse("chart-version-rerun", args=[first.song_id]), {"track": "adtof"})
    assert response.status_code == 302
    rerun = ChartVersion.objects.latest("id")
    assert (rerun.song_id, rerun.track) == (first.song_id, "adtof")
    assert sorted((media_root / "songs").rglob("*")) == uploads, "no second copy of the song"
    assert ChartVersion.objects.values().get(pk=first.pk) == before


@pytest.mark.django_db
def test_the_rerun_form_lists_every_track_with_its_idea_and_figure(logged_in_client, groove_file):
    first = upload(logged_in_client, groove_file[0])
    page = logged_in_client.get(reverse("song-detail", args=[first.song_id])).content.decode()
    form = page[page.index('class="rerun"'):page.index("Convert again")]
    for track in TRACKS.values():
        assert f'<option value="{track.name}"' in form
        assert f"<dt>{escape(track.title)}</dt>" in form and escape(track.description) in form


def _close_call_form(response) -> str:
    """The HTML of the close-call form on a page, up to its closing tag."""
    page = response.content.decode()
    form = page[page.index('data-role="close-call"'):]
    return form[:form.index("</form>")]


@pytest.mark.django_db
def test_a_close_call_on_the_bar_lines_offers_the_rival_in_one_click(logged_in_client, groove_file):
    first = upload(logged_in_client, groove_file[0])
    ChartVersion.objects.filter(pk=first.pk).update(
        status=ChartVersion.Status.DONE, track="adtof", close_call_shift=2,
        parameters={"bgm": "original", "input": "mix", "song_chips": False, "level": 650})
    form = _close_call_form(logged_in_client.get(reverse("song-detail", args=[first.song_id])))
    assert "bars starting 2 beats later" in form and "Move the bar lines 2 beats later" in form
    fields = dict(re.findall(HIDDEN_FIELD, form))
    beside_preview = _close_call_form(logged_in_client.get(reverse("chart-version-detail", args=[first.pk])))
    assert "Move the bar lines 2 beats later" in beside_preview, "the chart's own page offers the same"
    assert {**dict(re.findall(HIDDEN_FIELD, beside_preview)), "csrfmiddlewaretoken": ""} == {
        **fields, "csrfmiddlewaretoken": ""}
    assert fields == {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "track": "adtof", "bgm": "original",
                      "input": "mix", "bar_shift_beats": "2", "level": "6.50"}
    response = logged_in_client.post(reverse("chart-version-rerun", args=[first.song_id]), fields)
    assert response.status_code == 302
    rerun = ChartVersion.objects.latest("id")
    assert (rerun.track, rerun.parameters) == ("adtof", {"bar_shift_beats": 2, "level": 650, "bgm": "original",
                                                         "input": "mix", "song_chips": False})
    page = logged_in_client.get(reverse("song-detail", args=[first.song_id])).content.decode()
    assert page.count('data-role="close-call"') == 1, "only the close call offers it"
    assert "bar lines moved 2 beats by you" in page


@pytest.mark.django_db
def test_bar_lines_move_by_one_to_five_beats(logged_in_client, groove_file):
    first = upload(logged_in_client, groove_file[0])
    url = reverse("chart-version-rerun", args=[first.song_id])
    for refused in ("0", "6", "two"):
        response = logged_in_client.post(url, {"track": "spectral", "bar_shift_beats": refused})
        assert response.status_code == 400 and "Select a valid choice" in response.content.decode(), refused
    assert logged_in_client.post(url, {"track": "spectral", "bar_shift_beats": "5"}).status_code == 302
    assert ChartVersion.objects.latest("id").parameters["bar_shift_beats"] == 5


def _downbeat_form(response) -> str:
    """The HTML of the preview's "bar 1 on the beat just played" form, up to its closing tag."""
    page = response.content.decode()
    form = page[page.index('data-role="downbeat-form"'):]
    return form[:form.index("</form>")]


@pytest.mark.django_db
def test_the_preview_offers_its_owner_bar_1_on_a_beat_keeping_the_tempo_and_meter_they_set(client, user, other_user,
                                                                                          groove_file):
    client.force_login(user)
    first = upload(client, groove_file[0])
    ChartVersion.objects.filter(pk=first.pk).update(
        status=ChartVersion.Status.DONE, track="adtof", visibility=ChartVersion.Visibility.PUBLIC,
        parameters={"bgm": "original", "input": "mix", "song_chips": True, "bpm": 96.0, "meter": "3/4",
                    "first_downbeat_s": 1.5, "bar_shift_beats": 2, "level": 650})
    form = _downbeat_form(client.get(reverse("chart-version-detail", args=[first.pk])))
    fields = dict(re.findall(HIDDEN_FIELD, form))
    assert fields == {"csrfmiddlewaretoken": fields["csrfmiddlewaretoken"], "track": "adtof", "bgm": "original",
                      "input": "mix", "song_chips": "on", "level": "6.50", "bpm": "96.0", "meter": "3/4"}, \
        "the earlier first downbeat and moved bar lines are what the new downbeat replaces"
    assert '<input type="hidden" name="first_downbeat_s" data-role="downbeat">' in form, "the preview fills it in"
    response = client.post(reverse("chart-version-rerun", args=[first.song_id]),
                           {**fields, "first_downbeat_s": "2.25"})
    assert response.status_code == 302
    assert ChartVersion.objects.latest("id").parameters == {
        "bgm": "original", "input": "mix", "song_chips": True, "bpm": 96.0, "meter": "3/4", "first_downbeat_s": 2.25,
        "level": 650}

    client.force_login(other_user)
    page = client.get(reverse("chart-version-detail", args=[first.pk]))
    assert page.status_code == 200 and 'data-role="downbeat-form"' not in page.content.decode(), "the owner's only"
