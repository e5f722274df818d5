"""Reads. Who may see what is decided here, in `chart_versions_visible_to` and
`songs_visible_to`: every view, the API and the downloads go through them."""

import re
import statistics
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from charts.models import LEVEL_COLUMNS, LISTED, ChartVersion, Report, Song, UserBan, Vote
from processing.chart_view import LaneUncertainty, chart_view_data, lane_uncertainty
from processing.dtx.reader import decode_dtx_bytes, parse_dtx
from processing.package import package_chart_files, package_confidences, package_folder
from processing.pipeline import BGM_DRUMLESS, INPUT_DRUMS, PackageOptions
from processing.transcription import TRACKS

User = get_user_model()
SEPARATION_PROVENANCE = "Spleeter 4 stems (Deezer), MIT licence"

# Package files the browser may fetch: the audio and the chip sounds, nothing else.
SERVABLE_PACKAGE_FILE = re.compile(r"bgm\.ogg|preview\.ogg|chips/[A-Z]{2,3}\.wav")

Viewer = AbstractBaseUser | AnonymousUser

SORTS = {
    "newest": ("-published_at", "-id"),
    "downloads": ("-download_count", "-id"),
    "rating": ("-score", "-id"),
}
# The latest done jobs of the same kind (with or without separation) that an estimate of a new
# job's time learns from; a few more are read, since some are of the other kind.
ESTIMATE_HISTORY = 20
ESTIMATE_READ = 4 * ESTIMATE_HISTORY
TRIGRAM = 3  # a search word this long matches anywhere in title, artist or uploader; shorter ones a word's start
# The chart whose uncertain notes the chart page counts: the one with every note.
UNCERTAINTY_DIFFICULTY = "MASTER"


def chart_versions_visible_to(*, viewer: Viewer, by_link: bool = False) -> QuerySet[ChartVersion]:
    """The one rule of who may see a chart version. Everyone: public ones that no moderator
    hid or removed. The owner: their own, unless removed. Staff: everything that was shared,
    reported or moderated (never a private chart that nobody reported). With `by_link` (the
    version's unguessable share link), unlisted ones too; a sequential id never opens an
    unlisted chart to anyone but its owner and staff."""
    visible = Q(visibility=ChartVersion.Visibility.PUBLIC, moderation=ChartVersion.Moderation.VISIBLE)
    if by_link:
        visible |= Q(visibility=ChartVersion.Visibility.UNLISTED, moderation=ChartVersion.Moderation.VISIBLE)
    if viewer.is_authenticated:
        visible |= Q(song__owner=viewer) & ~Q(moderation=ChartVersion.Moderation.REMOVED)
        if viewer.is_staff:
            visible |= (~Q(visibility=ChartVersion.Visibility.PRIVATE) | ~Q(moderation=ChartVersion.Moderation.VISIBLE)
                        | Exists(Report.objects.filter(version=OuterRef("pk"))))
    return ChartVersion.objects.filter(visible).select_related("song", "song__owner")


def chart_version_get(*, viewer: Viewer, ref: str | int) -> ChartVersion:
    """The version a URL names, by id or by share token; Http404 when it does not exist or
    `viewer` may not see it by that reference."""
    by_link = not str(ref).isdigit()
    lookup = {"share_token": ref} if by_link else {"pk": int(ref)}
    try:
        return chart_versions_visible_to(viewer=viewer, by_link=by_link).get(**lookup)
    except ChartVersion.DoesNotExist:
        raise Http404("No such chart version.") from None


def chart_version_get_for_change(*, viewer: Viewer, version_id: int) -> ChartVersion:
    """The version, for its owner to change (visibility, deletion): Http404 when `viewer` may
    not see it, PermissionDenied when they may see it but it is not theirs."""
    version = chart_version_get(viewer=viewer, ref=version_id)
    if not may_change(viewer=viewer, version=version):
        raise PermissionDenied("Only the chart's owner may change it.")
    return version


def may_change(*, viewer: Viewer, version: ChartVersion) -> bool:
    return viewer.is_authenticated and version.song.owner_id == viewer.pk


def songs_visible_to(*, viewer: Viewer) -> QuerySet[Song]:
    """The songs whose page and upload `viewer` may open: their own (a song's file is never shared)."""
    if not viewer.is_authenticated:
        return Song.objects.none()
    return Song.objects.filter(owner=viewer)


def song_get(*, viewer: Viewer, song_id: int) -> Song:
    """The song, or Http404 when it does not exist or `viewer` may not see it."""
    try:
        return songs_visible_to(viewer=viewer).get(pk=song_id)
    except Song.DoesNotExist:
        raise Http404("No such song.") from None


def song_get_for_change(*, viewer: Viewer, song_id: int) -> Song:
    """The song, for its owner to rerun or delete: PermissionDenied for a viewer who may see
    one of its chart versions, Http404 for anyone else."""
    try:
        return song_get(viewer=viewer, song_id=song_id)
    except Http404:
        if chart_versions_visible_to(viewer=viewer).filter(song_id=song_id).exists():
            raise PermissionDenied("Only the song's owner may change it.") from None
        raise


def song_versions_for_owner(*, song: Song) -> QuerySet[ChartVersion]:
    """The song's versions its owner sees, newest first: all but those a moderator removed."""
    return song.versions.exclude(moderation=ChartVersion.Moderation.REMOVED)


def song_list_for_owner(*, owner: Viewer) -> QuerySet[Song]:
    """The owner's songs, newest first, each with its chart versions newest first."""
    versions = ChartVersion.objects.exclude(moderation=ChartVersion.Moderation.REMOVED)
    return songs_visible_to(viewer=owner).prefetch_related(Prefetch("versions", queryset=versions))


def user_ban_reason(*, user: Viewer) -> str | None:
    """Why `user` is banned, or None when they are not."""
    if not user.is_authenticated:
        return None
    return UserBan.objects.filter(user=user).values_list("reason", flat=True).first()


def user_get(*, user_id: int) -> AbstractBaseUser:
    try:
        return User.objects.get(pk=user_id)
    except User.DoesNotExist:
        raise Http404("No such user.") from None


def user_song_count(*, user: AbstractBaseUser) -> int:
    return Song.objects.filter(owner=user).count()


def user_active_job_count(*, user: AbstractBaseUser) -> int:
    return ChartVersion.objects.filter(
        song__owner=user, status__in=[ChartVersion.Status.QUEUED, ChartVersion.Status.RUNNING]
    ).count()


@dataclass(frozen=True, kw_only=True)
class BrowseFilters:
    """What a Browse search asks for; levels in DTXMania's #DLEVEL units (350 shows as 3.50)."""

    text: str = ""
    track: str = ""
    level_min: int | None = None
    level_max: int | None = None
    bpm_min: float | None = None
    bpm_max: float | None = None
    duration_min_s: float | None = None
    duration_max_s: float | None = None
    notes_per_second_min: float | None = None
    notes_per_second_max: float | None = None
    sort: str = "newest"


def listed_chart_versions(*, filters: BrowseFilters) -> QuerySet[ChartVersion]:
    """Public charts matching `filters`, in its sort order: Browse and the API both read this."""
    charts = ChartVersion.objects.filter(LISTED)
    for word in filters.text.lower().split():
        if len(word) >= TRIGRAM:
            charts = charts.filter(search_text__contains=word)
        else:  # too short for a trigram anywhere in a word; at a word's start the index still answers
            charts = charts.filter(Q(search_text__startswith=word) | Q(search_text__contains=f" {word}"))
    if filters.track:
        charts = charts.filter(track=filters.track)
    if filters.level_min is not None or filters.level_max is not None:
        any_level = Q()
        for column in LEVEL_COLUMNS.values():
            bounds = {}
            if filters.level_min is not None:
                bounds[f"{column}__gte"] = filters.level_min
            if filters.level_max is not None:
                bounds[f"{column}__lte"] = filters.level_max
            any_level |= Q(**bounds)
        charts = charts.filter(any_level)
    for field, low, high in (
        ("bpm", filters.bpm_min, filters.bpm_max),
        ("duration_s", filters.duration_min_s, filters.duration_max_s),
        ("notes_per_second", filters.notes_per_second_min, filters.notes_per_second_max),
    ):
        if low is not None:
            charts = charts.filter(**{f"{field}__gte": low})
        if high is not None:
            charts = charts.filter(**{f"{field}__lte": high})
    return charts.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def listed_chart_page(*, filters: BrowseFilters, page_number: str | int | None) -> Page:
    """One page of `listed_chart_versions`, each chart with its song and uploader.

    The page's ids are read first (from an index, past any OFFSET), then only those rows
    with their joins: an OFFSET over the joined rows would join every row it skips.
    """
    ids = listed_chart_versions(filters=filters).values_list("pk", flat=True)
    page = Paginator(ids, settings.A2D_BROWSE_PAGE_SIZE).get_page(page_number)
    # LISTED again: a chart made private between the two queries is left out, not shown.
    rows = ChartVersion.objects.filter(LISTED).select_related("song", "song__owner").in_bulk(list(page.object_list))
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return page


def listed_chart_version_get(*, version_id: int) -> ChartVersion:
    """One public chart for the API; Http404 for anything else."""
    try:
        return ChartVersion.objects.filter(LISTED).select_related("song", "song__owner").get(pk=version_id)
    except ChartVersion.DoesNotExist:
        raise Http404("No such public chart.") from None


def vote_of(*, user: Viewer, version: ChartVersion) -> int:
    """The viewer's vote on the version: +1, -1, or 0 for none."""
    if not user.is_authenticated:
        return 0
    return Vote.objects.filter(user=user, version=version).values_list("value", flat=True).first() or 0


@dataclass(frozen=True)
class ReportedChart:
    version: ChartVersion
    reports: list[Report]


def moderation_queue() -> list[ReportedChart]:
    """Open reports grouped by chart, the chart with the newest report first."""
    reports = Report.objects.filter(status=Report.Status.OPEN).select_related(
        "reporter", "version", "version__song", "version__song__owner"
    ).order_by("-created_at", "-id")
    grouped: dict[int, ReportedChart] = {}
    for report in reports:
        grouped.setdefault(report.version_id, ReportedChart(version=report.version, reports=[])).reports.append(report)
    return list(grouped.values())


def moderated_chart_versions(*, limit: int = 50) -> QuerySet[ChartVersion]:
    """Charts a moderator hid or removed, newest first, for restoring."""
    return ChartVersion.objects.exclude(moderation=ChartVersion.Moderation.VISIBLE).select_related(
        "song", "song__owner").order_by("-id")[:limit]


def chart_provenance(*, version: ChartVersion) -> dict[str, str]:
    """How the chart was made, in words: the track, the settings, the model weights and their licences."""
    track = TRACKS.get(version.track)
    parameters = version.parameters
    weights = [f"{spec.folder}: {spec.licence}" for spec in track.weights] if track else []
    if PackageOptions.pop_from(dict(parameters)).needs_separation:
        weights.append(SEPARATION_PROVENANCE)
    tempo = []
    if parameters.get("bpm"):
        tempo.append(f"tempo set to {parameters['bpm']:g} BPM")
    if parameters.get("first_downbeat_s") is not None:
        tempo.append(f"first downbeat set at {parameters['first_downbeat_s']:g} s")
    if parameters.get("meter"):
        tempo.append(f"meter set to {parameters['meter']}")
    if parameters.get("bar_shift_beats"):
        beats = parameters["bar_shift_beats"]
        tempo.append(f"bar lines moved {beats} beat{'s' if beats != 1 else ''} later")
    return {
        "Track": f"{track.title} ({version.track})" if track else version.track,
        "Transcribed from": "the separated drum stem" if parameters.get("input") == INPUT_DRUMS else "the mix",
        "Backing track": "the song without its drums" if parameters.get("bgm") == BGM_DRUMLESS else "the original mix",
        "Tempo map": "; ".join(tempo) if tempo else "detected from the song",
        "Model weights": "; ".join(weights) if weights else "none (signal processing only)",
    }


def chart_version_view(*, version: ChartVersion, difficulty: str) -> dict:
    """The lane-view data of one difficulty, read from the version's .dtx and its notes'
    confidences (None in a package made before they were stored); Http404 when the version
    has no package or no such difficulty."""
    if not version.package:
        raise Http404("This chart version has no package yet.")
    with version.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        member = package_chart_files(archive).get(difficulty)
        if member is None:
            raise Http404("No such difficulty.")
        dtx = parse_dtx(text=decode_dtx_bytes(archive.read(member)))
        confidences = package_confidences(archive).get(difficulty)
    return chart_view_data(dtx=dtx, label=difficulty, level=dtx.level,
                           confidences=confidences)


def chart_version_uncertainty(*, version: ChartVersion) -> list[LaneUncertainty] | None:
    """Per lane of the MASTER chart, how many notes are uncertain; None when the version has no
    package yet or its package stores no confidences (made before notes carried one)."""
    if not version.package:
        return None
    with version.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        confidences = package_confidences(archive).get(UNCERTAINTY_DIFFICULTY)
    return None if confidences is None else lane_uncertainty(confidences=confidences)


def chart_version_package_file(*, version: ChartVersion, name: str) -> bytes:
    """The bytes of an audio file inside the version's package; Http404 for anything else."""
    if not version.package or not SERVABLE_PACKAGE_FILE.fullmatch(name):
        raise Http404("No such file.")
    with version.package.open("rb") as handle, zipfile.ZipFile(handle) as archive:
        try:
            return archive.read(f"{package_folder(archive)}/{name}")
        except KeyError:
            raise Http404("No such file.") from None


def expected_job_seconds(*, duration_s: float, separated: bool) -> float | None:
    """Seconds a job on a song of `duration_s` seconds should take: the median time per second of
    song of the latest ESTIMATE_HISTORY done jobs that did (or, for separated=False, did not)
    separate the drums, times `duration_s`. None before there is such a job."""
    recent = (ChartVersion.objects.filter(status=ChartVersion.Status.DONE, started_at__isnull=False,
                                          finished_at__isnull=False, duration_s__gt=0)
              .order_by("-id").values_list("started_at", "finished_at", "duration_s", "parameters")[:ESTIMATE_READ])
    rates = [(finished - started).total_seconds() / song_s for started, finished, song_s, parameters in recent
             if PackageOptions.pop_from(dict(parameters)).needs_separation == separated][:ESTIMATE_HISTORY]
    return statistics.median(rates) * duration_s if rates else None
