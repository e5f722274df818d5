"""Thin views: guard, call one function, render."""

import mimetypes

from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from charts import selectors, services
from charts.health import health_report, is_healthy
from charts.forms import RerunForm, SignUpForm, SongUploadForm
from processing.package import folder_name
from processing.transcription import TRACKS


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("song-list")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_GET
def song_list(request: HttpRequest) -> HttpResponse:
    songs = selectors.song_list_for_owner(owner=request.user)
    return render(request, "charts/song_list.html", {"songs": songs})


@login_required
@require_http_methods(["GET", "POST"])
def song_upload(request: HttpRequest) -> HttpResponse:
    form = SongUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        version = services.song_create(
            owner=request.user,
            uploaded_file=form.cleaned_data["upload"],
            info=form.probe,
            title=form.cleaned_data["title"],
            artist=form.cleaned_data["artist"],
            track=form.cleaned_data["track"],
            parameters=form.package_parameters(),
        )
        return redirect("song-detail", song_id=version.song_id)
    return render(request, "charts/song_upload.html", {"form": form, "tracks": TRACKS.values()})


@login_required
@require_GET
def song_detail(request: HttpRequest, song_id: int) -> HttpResponse:
    song = selectors.song_get(viewer=request.user, song_id=song_id)
    form = RerunForm(song_duration_s=song.duration_s)
    return render(request, "charts/song_detail.html", {"song": song, "versions": song.versions.all(), "form": form})


@login_required
@require_POST
def chart_version_rerun(request: HttpRequest, song_id: int) -> HttpResponse:
    song = selectors.song_get(viewer=request.user, song_id=song_id)
    form = RerunForm(request.POST, song_duration_s=song.duration_s)
    if not form.is_valid():
        context = {"song": song, "versions": song.versions.all(), "form": form}
        return render(request, "charts/song_detail.html", context, status=400)
    services.chart_version_create(song=song, track=form.cleaned_data["track"], parameters=form.parameters())
    return redirect("song-detail", song_id=song.pk)


@login_required
@require_GET
def chart_version_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.chart_version_get(viewer=request.user, version_id=version_id)
    version = services.chart_version_fail_if_abandoned(version=version)
    if request.htmx:
        response = render(request, "charts/song_detail.html#version-status", {"version": version})
        if version.status == version.Status.DONE and request.htmx.current_url_abs_path == request.path:
            response["HX-Refresh"] = "true"  # the chart page's preview needs the whole page
        return response
    context = {"version": version, "song": version.song, "difficulty_labels": version.levels.keys()}
    return render(request, "charts/chart_version_detail.html", context)


@login_required
@require_GET
def chart_version_download(request: HttpRequest, version_id: int) -> FileResponse:
    version = selectors.chart_version_get(viewer=request.user, version_id=version_id)
    if not version.package:
        raise Http404("This chart version has no package yet.")
    return FileResponse(
        version.package.open("rb"), as_attachment=True, filename=f"{folder_name(version.song.title)}.zip"
    )


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if is_healthy(report) else 503)


@login_required
@require_GET
def chart_version_chart_json(request: HttpRequest, version_id: int) -> JsonResponse:
    version = selectors.chart_version_get(viewer=request.user, version_id=version_id)
    data = selectors.chart_version_view(version=version, difficulty=request.GET.get("difficulty", "MASTER"))
    return JsonResponse(data)


@login_required
@require_GET
def chart_version_file(request: HttpRequest, version_id: int, name: str) -> HttpResponse:
    version = selectors.chart_version_get(viewer=request.user, version_id=version_id)
    data = selectors.chart_version_package_file(version=version, name=name)
    content_type = "audio/ogg" if name.endswith(".ogg") else "audio/wav"
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
@require_GET
def song_audio(request: HttpRequest, song_id: int) -> FileResponse:
    song = selectors.song_get(viewer=request.user, song_id=song_id)
    guessed = mimetypes.guess_type(song.upload.name)[0] or ""
    content_type = guessed if guessed.startswith("audio/") else "application/octet-stream"
    return FileResponse(song.upload.open("rb"), content_type=content_type)
