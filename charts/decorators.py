"""Guards that several views share: rate limits per user and per address, and bans."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import is_ratelimited

from charts import services

RATE_LIMIT_TEMPLATE = "charts/rate_limited.html"
BANNED_TEMPLATE = "charts/banned.html"
PERIOD_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def rate_in_words(rate: str) -> str:
    """django-ratelimit's "10/5m" as "10 every 5 minutes", "5/h" as "5 an hour"."""
    count, period = rate.split("/")
    number, unit = period[:-1], PERIOD_NAMES[period[-1]]
    if number and number != "1":
        return f"{count} every {number} {unit}s"
    return f"{count} {'an' if unit == 'hour' else 'a'} {unit}"


def _ip_rate(rate: str) -> str:
    count, period = rate.split("/")
    return f"{int(count) * settings.A2D_RATE_LIMIT_IP_FACTOR}/{period}"


def rate_limit(action: str):
    """Refuse a POST past the action's rate (settings.A2D_RATE_LIMITS) for this user (or,
    logged out, this address) or past a looser rate for this address, with a 429 page.
    Every POST counts, accepted or not: a rate limit is about attempts."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                rate = settings.A2D_RATE_LIMITS[action]
                limited = is_ratelimited(request, group=f"{action}:user", key="user_or_ip", rate=rate,
                                         increment=True)
                limited |= is_ratelimited(request, group=f"{action}:ip", key="ip", rate=_ip_rate(rate),
                                          increment=True)
                if limited:
                    return render(request, RATE_LIMIT_TEMPLATE, {"action": action, "rate": rate_in_words(rate)}, status=429)
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
            return render(request, BANNED_TEMPLATE, {"reason": ban.reason}, status=403)

    return wrapper


