"""The health check: can the app reach its database and its queue?"""

import django_rq
from django.conf import settings
from django.db import connection
from django.db.utils import DatabaseError
from redis.exceptions import RedisError
from rq import Worker


def health_report() -> dict[str, str]:
    """{"database": "ok" | error, "redis": "ok" | error, "workers": count}."""
    report = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        report["database"] = "ok"
    except DatabaseError as error:
        report["database"] = f"error: {error.__class__.__name__}"
    try:
        redis = django_rq.get_connection(settings.A2D_QUEUE)
        redis.ping()
        report["redis"] = "ok"
        report["workers"] = str(Worker.count(connection=redis))
    except RedisError as error:
        report["redis"] = f"error: {error.__class__.__name__}"
    return report


def is_healthy(report: dict[str, str]) -> bool:
    return report.get("database") == "ok" and report.get("redis") == "ok"
