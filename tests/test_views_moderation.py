"""Staff moderate: the queue of open reports grouped by chart, dismiss, hide, restore, remove,
ban, each written to the audit log; removed charts are purged after the retention period."""

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from charts import services
from charts.models import ChartVersion, ModerationAction, Report, Song, UserBan
from tests.community import make_chart


@pytest.fixture
def reported(user, other_user, package_bytes):
    """Two public charts of `user`, reported by other players: the first one reported last."""
    first = make_chart(owner=user, package=package_bytes, title="First Reported")
    second = make_chart(owner=user, package=package_bytes, title="Second Reported")
    services.report_create(reporter=other_user, version=first, reason="spam", text="ads in the title")
    services.report_create(reporter=other_user, version=second, reason="copyright", text="")
    third_player = User.objects.create_user(username="third", password="x" * 12)
    services.report_create(reporter=third_player, version=first, reason="broken", text="all notes in one lane")
    return first, second


def test_queue_is_staff_only_grouped_newest_first(client, user, staff_user, reported):
    client.force_login(user)
    assert client.get(reverse("moderation-queue")).status_code == 404
    client.logout()
    assert client.get(reverse("moderation-queue")).status_code == 302
    client.force_login(staff_user)
    page = client.get(reverse("moderation-queue")).content.decode()
    assert page.index("First Reported") < page.index("Second Reported"), "the newest report's chart first"
    assert "2 open reports" in page and "ads in the title" in page and "all notes in one lane" in page


def _act(client, version, action, reason=""):
    return client.post(reverse("moderation-act", args=[version.pk]), {"action": action, "reason": reason})


def test_hide_shows_the_owner_the_reason_and_restore_undoes_it(client, user, other_user, staff_user, reported):
    first, _ = reported
    client.force_login(staff_user)
    assert _act(client, first, "hide").status_code == 302  # a hide needs a reason
    first.refresh_from_db()
    assert first.moderation == "visible"
    _act(client, first, "hide", "Spam links in the title")
    first.refresh_from_db()
    assert first.moderation == "hidden"
    assert not Report.objects.filter(version=first, status="open").exists()
    queue = client.get(reverse("moderation-queue")).content.decode()
    assert f'data-version="{first.pk}"' not in queue and "Restore “First Reported”" in queue
    client.force_login(other_user)
    assert client.get(reverse("chart-version-detail", args=[first.pk])).status_code == 404
    client.force_login(user)
    page = client.get(reverse("chart-version-detail", args=[first.pk])).content.decode()
    assert "Spam links in the title" in page
    client.force_login(staff_user)
    _act(client, first, "restore", "Fixed by the owner")
    first.refresh_from_db()
    assert (first.moderation, first.moderation_reason) == ("visible", "Fixed by the owner")
    actions = list(ModerationAction.objects.order_by("id").values_list("action", "actor__username", "reason"))
    assert actions == [("hide", "moderator", "Spam links in the title"), ("restore", "moderator", "Fixed by the owner")]


def test_dismiss_closes_reports_and_keeps_the_chart(client, staff_user, reported):
    _, second = reported
    client.force_login(staff_user)
    _act(client, second, "dismiss", "It is the right song")
    second.refresh_from_db()
    assert second.moderation == "visible" and second.reports.get().status == "dismissed"
    assert ModerationAction.objects.get().action == "dismiss"


def test_remove_then_purge_after_retention(client, user, staff_user, reported, media_root,
                                           django_capture_on_commit_callbacks):
    first, second = reported
    client.force_login(staff_user)
    _act(client, first, "remove", "Copyright claim by the label")
    first.refresh_from_db()
    assert first.moderation == "removed" and first.removed_at is not None
    client.force_login(user)
    assert client.get(reverse("chart-version-detail", args=[first.pk])).status_code == 404
    song_page = client.get(reverse("song-detail", args=[first.song_id])).content.decode()
    assert f'id="version-{first.pk}"' not in song_page, "the owner's song stays, without the removed chart"
    package = media_root / first.package.name
    call_command("purge_removed")
    assert package.exists(), "kept during the retention period"
    ChartVersion.objects.filter(pk=first.pk).update(removed_at=timezone.now() - datetime.timedelta(days=31))
    with django_capture_on_commit_callbacks(execute=True):  # files leave once the deletion commits
        call_command("purge_removed")
    assert not package.exists() and not ChartVersion.objects.filter(pk=first.pk).exists()
    assert not Song.objects.filter(pk=first.song_id).exists(), "the song had no other version"
    assert (media_root / second.package.name).exists()
    assert list(ModerationAction.objects.values_list("action", flat=True).order_by("id")) == ["remove", "purge"]


def test_ban_refuses_every_action_with_the_reason(client, user, other_user, staff_user, package_bytes, groove_file):
    chart = make_chart(owner=other_user, package=package_bytes)
    own = make_chart(owner=user, package=package_bytes, title="Mine")
    client.force_login(staff_user)
    client.post(reverse("moderation-ban", args=[user.pk]), {"reason": "Uploads spam"})
    assert UserBan.objects.get(user=user).banned_by == staff_user
    assert ModerationAction.objects.get().action == "ban"
    client.force_login(user)
    with open(groove_file[0], "rb") as handle:
        attempts = {
            "upload page": client.get(reverse("song-upload")),
            "upload": client.post(reverse("song-upload"), {"upload": handle, "track": "spectral"}),
            "rerun": client.post(reverse("chart-version-rerun", args=[own.song_id]), {"track": "spectral"}),
            "vote": client.post(reverse("chart-version-vote", args=[chart.pk]), {"value": "1"}),
            "report": client.post(reverse("chart-version-report", args=[chart.pk]), {"reason": "spam"}),
        }
    for action, response in attempts.items():
        assert response.status_code == 403, action
        assert "Uploads spam" in response.content.decode(), action
    assert Song.objects.count() == 2 and ChartVersion.objects.count() == 2
    assert not chart.votes.exists() and not chart.reports.exists()
    assert client.get(reverse("chart-version-download", args=[own.pk])).status_code == 200


def test_staff_cannot_be_banned_and_a_ban_needs_a_reason(client, staff_user, user):
    other_staff = User.objects.create_user(username="admin2", password="x" * 12, is_staff=True)
    client.force_login(staff_user)
    client.post(reverse("moderation-ban", args=[other_staff.pk]), {"reason": "no"})
    client.post(reverse("moderation-ban", args=[user.pk]), {"reason": ""})
    assert not UserBan.objects.exists() and not ModerationAction.objects.exists()


def test_audit_log_is_read_only_in_the_admin(client, staff_user, reported):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    _act(client, reported[0], "hide", "reason")
    entry = ModerationAction.objects.get()
    assert client.get(reverse("admin:charts_moderationaction_changelist")).status_code == 200
    assert client.get(reverse("admin:charts_moderationaction_add")).status_code == 403
    assert client.post(reverse("admin:charts_moderationaction_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    for name in ("song", "chartversion", "report", "vote", "userban"):
        assert client.get(reverse(f"admin:charts_{name}_changelist")).status_code == 200, name


def test_actions_follow_the_charts_state(client, staff_user, reported):
    first, _ = reported
    client.force_login(staff_user)
    _act(client, first, "restore", "nothing to restore")
    _act(client, first, "remove", "Copyright claim")
    first.refresh_from_db()
    removed_at = first.removed_at
    for action in ("hide", "remove"):
        response = client.post(reverse("moderation-act", args=[first.pk]), {"action": action, "reason": "again"},
                                follow=True)
        assert "does not apply to this chart" in response.content.decode(), action
    first.refresh_from_db()
    assert (first.moderation, first.removed_at) == ("removed", removed_at), "the retention clock did not restart"
    assert list(ModerationAction.objects.values_list("action", flat=True)) == ["remove"]


def test_staff_act_only_on_what_they_may_see(client, user, other_user, staff_user, package_bytes):
    private = make_chart(owner=user, package=package_bytes, state="private", title="Private Demo")
    client.force_login(staff_user)
    assert _act(client, private, "remove", "curious").status_code == 404
    private.refresh_from_db()
    assert private.moderation == "visible" and not ModerationAction.objects.exists()
    reported_then_private = make_chart(owner=user, package=package_bytes, title="Reported")
    services.report_create(reporter=other_user, version=reported_then_private, reason="spam", text="")
    services.chart_version_set_visibility(version=reported_then_private, visibility="private")
    assert client.get(reverse("chart-version-detail", args=[reported_then_private.pk])).status_code == 200
    _act(client, reported_then_private, "hide", "Spam")
    reported_then_private.refresh_from_db()
    assert reported_then_private.moderation == "hidden"


def test_unban_in_the_admin_is_audited(client, user, staff_user):
    staff_user.is_superuser = True
    staff_user.save()
    services.user_ban(actor=staff_user, user=user, reason="spam")
    client.force_login(staff_user)
    ban = UserBan.objects.get()
    client.post(reverse("admin:charts_userban_delete", args=[ban.pk]), {"post": "yes"})
    assert not UserBan.objects.exists()
    assert list(ModerationAction.objects.values_list("action", flat=True).order_by("id")) == ["ban", "unban"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_purges_once_a_day(user, staff_user, package_bytes, media_root, run_worker, redis_url):
    import redis

    removed = make_chart(owner=user, package=package_bytes)
    services.chart_version_moderate(actor=staff_user, version=removed, action="remove", reason="Copyright")
    ChartVersion.objects.filter(pk=removed.pk).update(removed_at=timezone.now() - datetime.timedelta(days=40))
    package = media_root / removed.package.name
    worker = run_worker()
    assert worker.returncode == 0 and "Purged 1 chart versions" in worker.stderr
    assert not ChartVersion.objects.filter(pk=removed.pk).exists() and not package.exists()
    assert redis.Redis.from_url(redis_url).ttl("audio2dtx:purge-removed") > 23 * 3600
    assert "Purged" not in run_worker().stderr, "once a day, not at every worker start"
