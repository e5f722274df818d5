from django.urls import path, register_converter

from charts import views


class ChartRefConverter:
    """A chart version in a URL: its id, or its share token (the only way to an unlisted chart)."""

    regex = r"[0-9]{1,18}|[A-Za-z0-9_-]{16,32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


register_converter(ChartRefConverter, "ref")

urlpatterns = [
    path("", views.browse, name="browse"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.auth_views.LogoutView.as_view(), name="logout"),
    path("songs/", views.song_list, name="song-list"),
    path("songs/new/", views.song_upload, name="song-upload"),
    path("songs/<int:song_id>/", views.song_detail, name="song-detail"),
    path("songs/<int:song_id>/audio/", views.song_audio, name="song-audio"),
    path("songs/<int:song_id>/versions/", views.chart_version_rerun, name="chart-version-rerun"),
    path("songs/<int:song_id>/delete/", views.song_delete, name="song-delete"),
    path("versions/<ref:ref>/", views.chart_version_detail, name="chart-version-detail"),
    path("versions/<ref:ref>/download/", views.chart_version_download, name="chart-version-download"),
    path("versions/<ref:ref>/chart.json", views.chart_version_chart_json, name="chart-version-chart-json"),
    path("versions/<ref:ref>/files/<path:name>", views.chart_version_file, name="chart-version-file"),
    path("versions/<ref:ref>/vote/", views.chart_version_vote, name="chart-version-vote"),
    path("versions/<ref:ref>/report/", views.chart_version_report, name="chart-version-report"),
    path("versions/<int:version_id>/visibility/", views.chart_version_visibility, name="chart-version-visibility"),
    path("versions/<int:version_id>/delete/", views.chart_version_delete, name="chart-version-delete"),
    path("moderation/", views.moderation_queue, name="moderation-queue"),
    path("moderation/versions/<int:version_id>/", views.moderation_act, name="moderation-act"),
    path("moderation/users/<int:user_id>/ban/", views.moderation_ban, name="moderation-ban"),
    path("api/charts/", views.api_chart_list, name="api-chart-list"),
    path("api/charts/<int:version_id>/", views.api_chart_detail, name="api-chart-detail"),
    path("healthz/", views.health, name="health"),
]
