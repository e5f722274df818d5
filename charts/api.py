"""The read-only JSON API's shapes: what a public chart looks like to other tools."""

from django.core.paginator import Page
from django.http import HttpRequest
from django.urls import reverse

from charts.models import DIFFICULTY_LABELS, ChartVersion


def chart_summary(*, request: HttpRequest, version: ChartVersion) -> dict:
    """One public chart as Browse shows it, with absolute links to its page and its package."""
    return {
        "id": version.pk,
        "title": version.song.title,
        "artist": version.song.artist,
        "uploader": version.song.owner.get_username(),
        "track": version.track,
        "bpm": round(version.bpm, 2) if version.bpm is not None else None,
        "duration_s": round(version.duration_s, 2) if version.duration_s is not None else None,
        "levels": {label: version.levels.get(label) for label in DIFFICULTY_LABELS},
        "notes_per_second": round(version.notes_per_second, 2) if version.notes_per_second is not None else None,
        "downloads": version.download_count,
        "score": version.score,
        "created": (version.published_at or version.created_at).isoformat(),
        "url": request.build_absolute_uri(reverse("chart-version-detail", args=[version.pk])),
        "download_url": request.build_absolute_uri(reverse("chart-version-download", args=[version.pk])),
        "api_url": request.build_absolute_uri(reverse("api-chart-detail", args=[version.pk])),
    }


def chart_detail(*, request: HttpRequest, version: ChartVersion) -> dict:
    """The summary plus the header's genre, charter and comment, the track's settings, the
    notes per lane and the vote tallies."""
    return chart_summary(request=request, version=version) | {
        "genre": version.song.genre,
        "charter": version.song.charter,
        "comment": version.song.comment,
        "settings": version.parameters,
        "note_counts": version.note_counts,
        "votes_up": version.votes_up,
        "votes_down": version.votes_down,
    }


def chart_page(*, request: HttpRequest, page: Page) -> dict:
    def link(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next": link(page.next_page_number()) if page.has_next() else None,
        "previous": link(page.previous_page_number()) if page.has_previous() else None,
        "results": [chart_summary(request=request, version=version) for version in page.object_list],
    }
