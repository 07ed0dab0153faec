"""Protected identity and protected residence: masked on every page, unmasked only by an
authorised user who states a reason, which is logged."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from sip import services
from sip.access.models import AccessLogEntry
from sip.identity import format_id_number
from sip.models import Individual
from tests.helpers import login_verified
from tests.sip.access.test_authorization_matrix import MATRIX, request_as, url_for
from tests.sip.access.world import NOW, ROLES, readable
from tests.sip.conftest import at

pytestmark = pytest.mark.django_db


def secrets(world) -> list[str]:
    individual = world.individual
    return [
        individual.first_name,
        individual.last_name,
        "Lönngången",
        individual.id_number,
        format_id_number(individual.id_number),
    ]


def get(client, user, url, *, when=NOW):
    with time_machine.travel(when, tick=False):
        login_verified(client, user)
        return client.get(url)


def unmask(client, user, world, reason="Ska skicka kallelse till rätt adress.", *, when=NOW):
    with time_machine.travel(when, tick=False):
        login_verified(client, user)
        return client.post(
            reverse("sip:access:unmask", args=[world.individual.pk]),
            {"reason": reason, "case": world.case.pk},
        )


def test_protected_data_appears_on_no_page_for_anyone_who_has_not_unmasked_it(
    client, protected_world
):
    words = secrets(protected_world)
    leaks = []
    for name, row in MATRIX.items():
        url = url_for(name, row, protected_world)
        for role in ROLES:
            response = request_as(client, protected_world.users[role], row.method, url)
            found = [word for word in words if word in readable(response)]
            if found:
                leaks.append(f"{name} {role}: {found}")
    assert leaks == []


def test_an_authorised_user_who_states_a_reason_sees_the_data_and_the_reason_is_logged(
    client, protected_world
):
    convener = protected_world.users["convener"]
    case_url = reverse("sip:case_detail", args=[protected_world.case.pk])
    person_url = reverse("sip:individual_detail", args=[protected_world.individual.pk])

    response = unmask(client, convener, protected_world)

    assert response.status_code == 302
    assert response["Location"] == case_url
    assert "Sagolina Doldsdotter" in get(client, convener, case_url).content.decode()
    person_page = get(client, convener, person_url).content.decode()
    number = format_id_number(protected_world.individual.id_number)
    assert all(word in person_page for word in ("Sagolina", "Lönngången", number))
    entry = AccessLogEntry.objects.get(action=AccessLogEntry.Action.UNMASK)
    assert (entry.user, entry.case, entry.individual) == (
        convener,
        protected_world.case,
        protected_world.individual,
    )
    assert entry.reason == "Ska skicka kallelse till rätt adress."
    assert entry.protected


def test_the_unmasking_lasts_ten_minutes(client, protected_world):
    convener = protected_world.users["convener"]
    case_url = reverse("sip:case_detail", args=[protected_world.case.pk])
    unmask(client, convener, protected_world)

    later = NOW + dt.timedelta(minutes=9, seconds=59)
    assert "Doldsdotter" in get(client, convener, case_url, when=later).content.decode()
    later = NOW + dt.timedelta(minutes=10, seconds=1)
    assert "Doldsdotter" not in get(client, convener, case_url, when=later).content.decode()


def test_unmasking_without_a_reason_is_refused_in_swedish_and_logs_nothing(client, protected_world):
    convener = protected_world.users["convener"]
    unmask(client, convener, protected_world, reason="  ")

    page = get(
        client, convener, reverse("sip:case_detail", args=[protected_world.case.pk])
    ).content.decode()
    assert "Ange skälet" in page
    assert "Doldsdotter" not in page
    assert not AccessLogEntry.objects.filter(action=AccessLogEntry.Action.UNMASK).exists()


def test_a_colleague_who_is_not_authorised_cannot_unmask(client, protected_world):
    participant = protected_world.users["participant"]
    unmask(client, participant, protected_world)

    page = get(
        client, participant, reverse("sip:case_detail", args=[protected_world.case.pk])
    ).content.decode()
    assert "inte behörig" in page
    assert "Doldsdotter" not in page
    assert not AccessLogEntry.objects.filter(action=AccessLogEntry.Action.UNMASK).exists()


def test_an_authorised_user_can_authorise_someone_who_reaches_the_person(client, protected_world):
    convener, participant = protected_world.users["convener"], protected_world.users["participant"]
    url = reverse("sip:access:individual_authorise", args=[protected_world.individual.pk])
    with time_machine.travel(NOW, tick=False):
        login_verified(client, convener)
        client.post(url, {"user": participant.pk})

    assert protected_world.individual.authorised_users.filter(pk=participant.pk).exists()
    unmask(client, participant, protected_world)
    page = get(client, participant, reverse("sip:case_detail", args=[protected_world.case.pk]))
    assert "Doldsdotter" in page.content.decode()


def test_only_an_authorised_user_can_authorise_and_only_someone_who_reaches_the_person(
    client, protected_world
):
    manager, outsider = protected_world.users["manager"], protected_world.users["outsider"]
    convener = protected_world.users["convener"]
    url = reverse("sip:access:individual_authorise", args=[protected_world.individual.pk])
    with time_machine.travel(NOW, tick=False):
        login_verified(client, manager)
        client.post(url, {"user": manager.pk})
        login_verified(client, convener)
        client.post(url, {"user": outsider.pk})

    authorised = set(protected_world.individual.authorised_users.all())
    assert authorised == {convener}


def test_registering_a_protected_person_authorises_the_registrar(client, coordinator, municipality):
    with time_machine.travel(NOW, tick=False):
        login_verified(client, coordinator)
        client.post(
            reverse("sip:individual_create"),
            {
                "id_kind": "okand",
                "first_name": "Elsa",
                "last_name": "Gömd",
                "birth_date": "2015-03-14",
                "gender": "female",
                "home_municipality": municipality.pk,
                "address": "Hemlig väg 1",
                "protected_residence": "on",
            },
        )
    individual = coordinator.authorised_individuals.get()
    assert individual.last_name == "Gömd"


def test_a_case_opened_from_a_masked_persons_page_is_for_the_stored_person(client, protected_world):
    convener = protected_world.users["convener"]
    with time_machine.travel(NOW, tick=False):
        login_verified(client, convener)
        response = client.post(
            reverse("sip:individual_detail", args=[protected_world.individual.pk]),
            {"convening_unit": protected_world.convening_unit.pk, "reason": "Ny oro."},
        )
    new_case = protected_world.individual.cases.exclude(pk=protected_world.case.pk).get()
    assert response["Location"] == reverse("sip:case_detail", args=[new_case.pk])
    protected_world.individual.refresh_from_db()
    assert protected_world.individual.last_name == "Doldsdotter"


def test_the_kallelse_mails_do_not_list_a_protected_identity_among_the_attendees(
    convened, coordinator, django_capture_on_commit_callbacks
):
    individual = convened.case.individual
    Individual.objects.filter(pk=individual.pk).update(
        protected_identity=True, email="astrid@example.se"
    )
    with (
        time_machine.travel(at(2026, 6, 17, 9), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.meeting_reschedule(
            meeting=convened,
            starts_at=at(2026, 6, 24, 13),
            duration_minutes=60,
            place="Rum 3",
            by=coordinator,
        )
    update = [message for message in mail.outbox if message.subject.startswith("Ändrad")]
    assert "astrid@example.se" in {message.to[0] for message in update}
    # Full names: the staff in the file have random names, which may share the family's surname.
    names = [individual.full_name, *individual.guardians.values_list("name", flat=True)]
    for message in update:
        # Unfolded: iCalendar breaks long lines, which could split a name.
        calendar = message.attachments[0].get_payload(decode=True).decode().replace("\r\n ", "")
        assert "astrid@example.se" not in calendar
        assert not [name for name in names if name in calendar]
