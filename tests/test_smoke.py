import pytest

pytestmark = pytest.mark.django_db


def test_the_login_page_is_in_swedish(client):
    response = client.get("/logga-in/")
    assert response.status_code == 200
    assert "Logga in i Samordna" in response.content.decode()


def test_the_start_page_sends_anonymous_users_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/logga-in/")


def test_the_tests_run_on_postgresql(settings):
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
