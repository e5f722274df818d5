from django.contrib.auth import views as auth_views
from django.urls import path

from charts import views

urlpatterns = [
    path("", views.song_list, name="song-list"),
    path("signup/", views.signup, name="signup"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("songs/new/", views.song_upload, name="song-upload"),
    path("songs/<int:song_id>/", views.song_detail, name="song-detail"),
    path("songs/<int:song_id>/audio/", views.song_audio, name="song-audio"),
    path("songs/<int:song_id>/versions/", views.chart_version_rerun, name="chart-version-rerun"),
    path("versions/<int:version_id>/", views.chart_version_detail, name="chart-version-detail"),
    path("versions/<int:version_id>/download/", views.chart_version_download, name="chart-version-download"),
    path("versions/<int:version_id>/chart.json", views.chart_version_chart_json, name="chart-version-chart-json"),
    path("versions/<int:version_id>/files/<path:name>", views.chart_version_file, name="chart-version-file"),
    path("healthz/", views.health, name="health"),
]
