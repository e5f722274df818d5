import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_health_reports_database_and_redis(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["database"] == "ok" and response.json()["redis"] == "ok"


@pytest.mark.django_db
def test_health_fails_when_redis_is_unreachable(client, settings):
    queue = settings.RQ_QUEUES[settings.A2D_QUEUE]
    original = queue["URL"]
    queue["URL"] = "redis://127.0.0.1:1/0"
    try:
        response = client.get(reverse("health"))
    finally:
        queue["URL"] = original
    assert response.status_code == 503 and response.json()["redis"].startswith("error")
