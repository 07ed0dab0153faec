import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests import factories
from tests.helpers import login_verified

pytestmark = pytest.mark.django_db


def test_the_notifications_page_lists_only_my_notifications(client, coordinator, outsider):
    mine = factories.NotificationFactory(user=coordinator, text="Min notis")
    factories.NotificationFactory(user=outsider, text="Någon annans notis")
    login_verified(client, coordinator)
    response = client.get(reverse("deadlines:notifications"))
    assert response.status_code == 200
    assert mine.text in response.text
    assert "Någon annans notis" not in response.text


def test_the_notifications_page_needs_a_login(client):
    response = client.get(reverse("deadlines:notifications"))
    assert response.status_code == 302


def test_the_notifications_page_query_count_is_the_same_for_5_and_50(client, coordinator):
    login_verified(client, coordinator)
    counts = []
    for total in (5, 50):
        factories.NotificationFactory.create_batch(
            total - coordinator.deadline_notifications.count(), user=coordinator
        )
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("deadlines:notifications"))
        assert response.text.count("Markera som läst") == total
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


def test_marking_as_read_with_htmx_returns_the_updated_row(client, coordinator):
    notification = factories.NotificationFactory(user=coordinator)
    login_verified(client, coordinator)
    response = client.post(
        reverse("deadlines:notification_read", args=[notification.pk]),
        headers={"HX-Request": "true"},
    )
    notification.refresh_from_db()
    assert response.status_code == 200
    assert notification.read_at is not None
    assert f'id="notis-{notification.pk}"' in response.text
    assert "Markera som läst" not in response.text


def test_someone_elses_notification_cannot_be_marked_read(client, coordinator, outsider):
    notification = factories.NotificationFactory(user=outsider)
    login_verified(client, coordinator)
    response = client.post(reverse("deadlines:notification_read", args=[notification.pk]))
    notification.refresh_from_db()
    assert response.status_code == 404
    assert notification.read_at is None


def test_marking_all_read_touches_only_my_notifications(client, coordinator, outsider):
    factories.NotificationFactory.create_batch(3, user=coordinator)
    theirs = factories.NotificationFactory(user=outsider)
    login_verified(client, coordinator)
    response = client.post(reverse("deadlines:notifications_read_all"))
    theirs.refresh_from_db()
    assert response.status_code == 302
    assert coordinator.deadline_notifications.filter(read_at__isnull=True).count() == 0
    assert theirs.read_at is None


def test_reading_is_post_only(client, coordinator):
    notification = factories.NotificationFactory(user=coordinator)
    login_verified(client, coordinator)
    response = client.get(reverse("deadlines:notification_read", args=[notification.pk]))
    assert response.status_code == 405


def test_the_notifications_page_paginates_at_50(client, coordinator):
    factories.NotificationFactory.create_batch(51, user=coordinator)
    login_verified(client, coordinator)

    first = client.get(reverse("deadlines:notifications"))
    second = client.get(reverse("deadlines:notifications"), {"sida": 2})

    assert first.text.count("Markera som läst") == 50
    assert second.text.count("Markera som läst") == 1
    assert "Sida 2 av 2" in second.text


def test_the_notifications_page_query_count_is_the_same_for_one_and_three_pages(
    client, coordinator
):
    login_verified(client, coordinator)
    counts = []
    for total in (10, 150):
        factories.NotificationFactory.create_batch(
            total - coordinator.deadline_notifications.count(), user=coordinator
        )
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("deadlines:notifications")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
