from django.contrib.auth.models import User
from django.urls import reverse


def test_sign_up_logs_in_and_lands_on_my_songs(client, db):
    response = client.post(reverse("signup"), {
        "username": "newdrummer", "password1": "a-long-enough-pass-91", "password2": "a-long-enough-pass-91",
    })
    assert response.status_code == 302 and response.url == reverse("song-list")
    assert User.objects.filter(username="newdrummer").exists()
    assert "My songs" in client.get(reverse("song-list")).content.decode()


def test_log_in_and_out(client, user):
    response = client.post(reverse("login"), {"username": "drummer", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert client.get(reverse("song-list")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("song-list")).status_code == 302
