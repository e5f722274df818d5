"""Guards that several views share: rate limits per user and per address, bans, staff only."""

from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import reswap, retarget
from django_ratelimit.core import is_ratelimited
from redis.exceptions import RedisError

from charts import services

logger = logging.getLogger(__name__)

RATE_LIMIT_TEMPLATE = "charts/rate_limited.html"
BANNED_TEMPLATE = "charts/banned.html"
PERIOD_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def client_address(request: HttpRequest) -> str:
    """The visitor's address: REMOTE_ADDR, or behind a proxy the header it sets
    (A2D_CLIENT_IP_HEADER); of a list, the last entry, the one our own proxy appended."""
    header = settings.A2D_CLIENT_IP_HEADER
    value = request.META.get(header, "") if header else ""
    return value.split(",")[-1].strip() or request.META.get("REMOTE_ADDR", "") or "unknown"


def _user_or_address(group: str, request: HttpRequest) -> str:
    return f"user:{request.user.pk}" if request.user.is_authenticated else f"address:{client_address(request)}"


def _address(group: str, request: HttpRequest) -> str:
    return f"address:{client_address(request)}"


def rate_in_words(rate: str) -> str:
    """django-ratelimit's "10/5m" as "10 every 5 minutes", "5/h" as "5 an hour"."""
    count, period = rate.split("/")
    if period[-1].isdigit():  # a bare number of seconds
        period += "s"
    number, unit = period[:-1], PERIOD_NAMES[period[-1]]
    if number and number != "1":
        return f"{count} every {number} {unit}s"
    return f"{count} {'an' if unit == 'hour' else 'a'} {unit}"


def _ip_rate(rate: str) -> str:
    count, period = rate.split("/")
    return f"{int(count) * settings.A2D_RATE_LIMIT_IP_FACTOR}/{period}"


def refusal(request: HttpRequest, template: str, context: dict, *, status: int) -> HttpResponse:
    """A page that says why a request was refused; to htmx, its message in place of the page's main part."""
    if not request.htmx:
        return render(request, template, context, status=status)
    return reswap(retarget(render(request, f"{template}#message", context, status=status), "main"), "innerHTML")


def rate_limit(action: str):
    """Refuse a POST past the action's rate (settings.A2D_RATE_LIMITS) for this user (or,
    logged out, this address) or past a looser rate for this address, with a 429 page.
    Every POST counts, accepted or not: a rate limit is about attempts. Without the cache
    (Redis down) requests pass: the limits protect the site, they must not take it down."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                rate = settings.A2D_RATE_LIMITS[action]
                try:
                    limited = is_ratelimited(request, group=f"{action}:user", key=_user_or_address, rate=rate,
                                             increment=True)
                    limited |= is_ratelimited(request, group=f"{action}:address", key=_address,
                                              rate=_ip_rate(rate), increment=True)
                except RedisError:
                    logger.warning("Rate limit of %s not checked: the cache is unreachable", action, exc_info=True)
                    limited = False
                if limited:
                    context = {"action": action, "rate": rate_in_words(rate)}
                    return refusal(request, RATE_LIMIT_TEMPLATE, context, status=429)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def refuse_banned(view):
    """Tell a banned user why they may not do this (403), before they fill in a form."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            services.user_check_may_act(user=request.user)
            return view(request, *args, **kwargs)
        except services.Banned as ban:
            return refusal(request, BANNED_TEMPLATE, {"reason": ban.reason}, status=403)

    return wrapper


def staff_required(view):
    """Staff only: others are sent to log in, or told the page does not exist."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise Http404("No such page.")
        return view(request, *args, **kwargs)

    return wrapper
