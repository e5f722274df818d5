"""Thin views: guard, call one function, render."""

import mimetypes
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseStopPolling, push_url
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from charts import api, selectors, services
from charts.decorators import client_address, rate_limit, refusal, refuse_banned, staff_required
from charts.forms import (BanForm, BrowseForm, ModerationForm, RerunForm, ReportForm, SignUpForm, SongUploadForm,
                          VisibilityForm, VoteForm)
from charts.health import health_report, is_healthy
from charts.uploads import REFUSED_ATTRIBUTE
from charts.models import ChartVersion
from processing.package import folder_name
from processing.transcription import TRACKS

def _cleaned_data(form) -> dict:
    """The form's data for a service's keyword arguments; ValidationError with its messages when invalid."""
    if not form.is_valid():
        raise ValidationError([message for errors in form.errors.values() for message in errors])
    return form.cleaned_data


@rate_limit("signup")
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.save())
        return redirect("song-list")
    return render(request, "registration/signup.html", {"form": form})


login_view = rate_limit("login")(auth_views.LoginView.as_view())


# Browse and the public API

@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    form = BrowseForm(request.GET)
    page = selectors.listed_chart_page(filters=form.filters(), page_number=request.GET.get("page"))
    query = urlencode([(name, value) for name, value in request.GET.items() if value and name != "page"])
    context = {"form": form, "page": page, "query": query}
    if not request.htmx or request.htmx.history_restore_request:
        response = render(request, "charts/browse.html", context)
    else:
        response = render(request, "charts/browse.html#results", context)
        push_url(response, f"{request.path}?{query}" if query else request.path)  # a short URL to share
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def api_chart_list(request: HttpRequest) -> JsonResponse:
    page = selectors.listed_chart_page(filters=BrowseForm(request.GET).filters(), page_number=request.GET.get("page"))
    return JsonResponse(api.chart_page(request=request, page=page))


@require_GET
def api_chart_detail(request: HttpRequest, version_id: int) -> JsonResponse:
    version = selectors.listed_chart_version_get(version_id=version_id)
    return JsonResponse(api.chart_detail(request=request, version=version))


# The owner's songs

@login_required
@require_GET
def song_list(request: HttpRequest) -> HttpResponse:
    songs = selectors.song_list_for_owner(owner=request.user)
    return render(request, "charts/song_list.html", {"songs": songs})


@login_required
@refuse_banned
@rate_limit("upload")
@require_http_methods(["GET", "POST"])
def song_upload(request: HttpRequest) -> HttpResponse:
    quota_error = services.upload_quota_error(owner=request.user)
    if quota_error:  # said before a file is sent; one sent anyway is neither probed nor stored
        context = {"form": SongUploadForm(), "tracks": TRACKS.values(), "quota_error": quota_error}
        return render(request, "charts/song_upload.html", context)
    posted = request.method == "POST"  # bound even when a refused file stopped the reading early
    form = SongUploadForm(request.POST if posted else None, request.FILES if posted else None,
                          upload_refused=getattr(request, REFUSED_ATTRIBUTE, ""))
    if posted and form.is_valid():
        try:
            version = services.song_create(
                owner=request.user,
                uploaded_file=form.cleaned_data["upload"],
                info=form.probe,
                title=form.cleaned_data["title"],
                artist=form.cleaned_data["artist"],
                genre=form.cleaned_data["genre"],
                charter=form.cleaned_data["charter"],
                comment=form.cleaned_data["comment"],
                track=form.cleaned_data["track"],
                parameters=form.package_parameters(),
            )
            return redirect("song-detail", song_id=version.song_id)
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "charts/song_upload.html", {"form": form, "tracks": TRACKS.values()})


def _song_page(request: HttpRequest, song, form: RerunForm, status: int = 200) -> HttpResponse:
    versions = selectors.song_versions_for_owner(song=song)
    context = {"song": song, "versions": versions, "form": form, "is_owner": True, "tracks": TRACKS.values()}
    return render(request, "charts/song_detail.html", context, status=status)


@login_required
@require_GET
def song_detail(request: HttpRequest, song_id: int) -> HttpResponse:
    song = selectors.song_get(viewer=request.user, song_id=song_id)
    return _song_page(request, song, RerunForm(song_duration_s=song.duration_s))


@login_required
@refuse_banned
@rate_limit("rerun")
@require_POST
def chart_version_rerun(request: HttpRequest, song_id: int) -> HttpResponse:
    song = selectors.song_get_for_change(viewer=request.user, song_id=song_id)
    form = RerunForm(request.POST, song_duration_s=song.duration_s)
    if form.is_valid():
        try:
            services.chart_version_rerun(song=song, user=request.user, track=form.cleaned_data["track"],
                                         parameters=form.parameters())
            return redirect("song-detail", song_id=song.pk)
        except ValidationError as error:
            form.add_error(None, error)
    return _song_page(request, song, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def song_delete(request: HttpRequest, song_id: int) -> HttpResponse:
    song = selectors.song_get_for_change(viewer=request.user, song_id=song_id)
    if request.method == "POST":
        services.song_delete(song=song)
        messages.success(request, f"“{song.title}” and its chart versions were deleted.")
        return redirect("song-list")
    context = {"song": song, "versions": selectors.song_versions_for_owner(song=song), "subject": song.title}
    return render(request, "charts/confirm_delete.html", context)


# A chart version: its page and files, for whoever may see it (by id, or by its share link)

@require_GET
def chart_version_detail(request: HttpRequest, ref: str) -> HttpResponse:
    polled = request.htmx and not request.htmx.history_restore_request
    try:
        version = selectors.chart_version_get(viewer=request.user, ref=ref)
    except Http404:
        if polled:  # deleted while its status was watched: the element goes and the polling stops
            return HttpResponseStopPolling()
        raise
    if polled:
        context = {"version": version, "ref": ref, "is_owner": selectors.may_change(viewer=request.user, version=version)}
        response = render(request, "charts/song_detail.html#version-status", context)
        if version.status == version.Status.DONE and request.htmx.current_url_abs_path == request.path:
            response["HX-Refresh"] = "true"  # the chart page's preview needs the whole page
    else:
        response = render(request, "charts/chart_version_detail.html", _chart_page_context(request, version, ref))
    patch_vary_headers(response, ["HX-Request"])
    return response


def _chart_page_context(request: HttpRequest, version: ChartVersion, ref: str, **extra) -> dict:
    is_owner = selectors.may_change(viewer=request.user, version=version)
    return {
        "version": version, "song": version.song, "ref": ref, "is_owner": is_owner,
        "provenance": selectors.chart_provenance(version=version),
        "my_vote": selectors.vote_of(user=request.user, version=version),
        "uncertainty": selectors.chart_version_uncertainty(version=version),
        "visibility_form": VisibilityForm(initial={"visibility": version.visibility}) if is_owner else None,
        "share_url": request.build_absolute_uri(reverse("chart-version-detail", args=[version.share_token]))
        if is_owner else None,
        **extra,
    }


@require_GET
def chart_version_download(request: HttpRequest, ref: str) -> FileResponse:
    version = selectors.chart_version_get(viewer=request.user, ref=ref)
    if not version.package:
        raise Http404("This chart version has no package yet.")
    services.download_record(version=version, user=request.user, address=client_address(request))
    return FileResponse(
        version.package.open("rb"), as_attachment=True, filename=f"{folder_name(version.song.title)}.zip"
    )


@require_GET
def chart_version_chart_json(request: HttpRequest, ref: str) -> JsonResponse:
    version = selectors.chart_version_get(viewer=request.user, ref=ref)
    data = selectors.chart_version_view(version=version, difficulty=request.GET.get("difficulty", "MASTER"))
    return JsonResponse(data)


@require_GET
def chart_version_file(request: HttpRequest, ref: str, name: str) -> HttpResponse:
    version = selectors.chart_version_get(viewer=request.user, ref=ref)
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


# The owner's changes to a version

@login_required
@require_POST
def chart_version_visibility(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.chart_version_get_for_change(viewer=request.user, version_id=version_id)
    try:
        version = services.chart_version_set_visibility(version=version, **_cleaned_data(VisibilityForm(request.POST)))
        error = None
    except ValidationError as invalid:
        error = invalid.messages[0]
    except services.Banned as ban:
        error = f"Your account is banned from sharing: {ban.reason}"
    context = _chart_page_context(request, version, str(version.pk), visibility_error=error, visibility_saved=not error)
    template = "charts/chart_version_detail.html#sharing" if request.htmx else "charts/chart_version_detail.html"
    return render(request, template, context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def chart_version_delete(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.chart_version_get_for_change(viewer=request.user, version_id=version_id)
    if request.method == "POST":
        services.chart_version_delete(version=version)
        messages.success(request, "The chart version was deleted.")
        return redirect("song-detail", song_id=version.song_id)
    return render(request, "charts/confirm_delete.html", {"version": version, "subject": str(version)})


# Votes and reports

@login_required
@refuse_banned
@rate_limit("vote")
@require_POST
def chart_version_vote(request: HttpRequest, ref: str) -> HttpResponse:
    version = selectors.chart_version_get(viewer=request.user, ref=ref)
    try:
        version = services.vote_cast(user=request.user, version=version, **_cleaned_data(VoteForm(request.POST)))
        error = None
    except ValidationError as invalid:
        error = invalid.messages[0]
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("chart-version-detail", ref=ref)
    context = {"version": version, "ref": ref, "vote_error": error,
               "my_vote": selectors.vote_of(user=request.user, version=version)}
    return render(request, "charts/chart_version_detail.html#votes", context, status=400 if error else 200)


@login_required
@refuse_banned
@rate_limit("report")
@require_http_methods(["GET", "POST"])
def chart_version_report(request: HttpRequest, ref: str) -> HttpResponse:
    version = selectors.chart_version_get(viewer=request.user, ref=ref)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_create(reporter=request.user, version=version, **form.cleaned_data)
            messages.success(request, "Thank you: the moderators will look at your report.")
            return redirect("chart-version-detail", ref=ref)
        except ValidationError as error:
            form.add_error(None, error)
    return render(request, "charts/report.html", {"version": version, "ref": ref, "form": form})


# Moderation

@staff_required
@require_GET
def moderation_queue(request: HttpRequest) -> HttpResponse:
    context = {"queue": selectors.moderation_queue(), "moderated": selectors.moderated_chart_versions()}
    return render(request, "charts/moderation.html", context)


@staff_required
@require_POST
def moderation_act(request: HttpRequest, version_id: int) -> HttpResponse:
    version = selectors.chart_version_get(viewer=request.user, ref=version_id)
    try:
        action = _cleaned_data(ModerationForm(request.POST))
        services.chart_version_moderate(actor=request.user, version=version, **action)
        messages.success(request, f"{action['action'].capitalize()}: {version}.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("moderation-queue")


@staff_required
@require_POST
def moderation_ban(request: HttpRequest, user_id: int) -> HttpResponse:
    target = selectors.user_get(user_id=user_id)
    try:
        services.user_ban(actor=request.user, user=target, **_cleaned_data(BanForm(request.POST)))
        messages.success(request, f"{target} is banned.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("moderation-queue")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF_FAILURE_VIEW: a form from before a log-in or log-out elsewhere."""
    return refusal(request, "charts/csrf_failure.html", {}, status=403)


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    report = health_report()
    return JsonResponse(report, status=200 if is_healthy(report) else 503)
