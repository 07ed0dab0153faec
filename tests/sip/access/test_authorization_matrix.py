"""The authorization matrix: every URL of the project, for every role, on the role's own object and
on a foreign one. The expected answer of every cell is declared once, in MATRIX.

Adding a URL (docs/access-control.md, "The authorization matrix"):
1. Add a row to MATRIX under the URL's full name ("namespace:name").
2. If the URL has a keyword KWARGS does not map (or maps to the wrong object), name the object in
   the row's `kwargs`; a new kind of object is added to tests/sip/access/world.py.
A URL without a row fails test_every_url_of_the_project_has_a_row.
"""

from dataclasses import dataclass, field

import pytest
import time_machine
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.sip.access.world import NOW, ROLES, World

pytestmark = pytest.mark.django_db

LOGIN = "login"  # a redirect to the login page
REDIRECT = 302  # any other redirect (a step done or refused with a message)
OK, FORBIDDEN, NOT_FOUND = 200, 403, 404

# The world object each URL keyword names unless a row says otherwise.
KWARGS = {
    "pk": "case",
    "consent_pk": "consent",
    "meeting_pk": "meeting",
    "participant_pk": "participant",
    "invitation_pk": "invitation",
    "item_pk": "review_item",
}


@dataclass(frozen=True)
class Row:
    """method; the answers per role (in ROLES order) for the role's own object, and for a foreign
    object (None for a URL that names no object); URL keywords that name other objects."""

    method: str
    own: tuple
    foreign: tuple | None = None
    kwargs: dict[str, str] = field(default_factory=dict)


# A foreign object: nobody sees it, the anonymous user is sent to log in.
NOBODY = (404, 404, 404, 404, 404, 404, LOGIN)
PERSON = {"pk": "individual"}
REVIEW = {"pk": "review"}

MATRIX: dict[str, Row] = {
    # Answers in ROLES order: convener, participant, manager, outsider, steering, admin, anonymous.
    "home": Row("GET", own=(OK, OK, OK, OK, OK, OK, LOGIN)),
    "login": Row("GET", own=(OK, OK, OK, OK, OK, OK, OK)),
    "logout": Row("POST", own=(302, 302, 302, 302, 302, 302, 302)),
    "actors:my_units": Row("GET", own=(OK, OK, OK, OK, OK, OK, LOGIN)),
    # The directory is the admins'.
    "actors:directory": Row("GET", own=(403, 403, 403, 403, 403, OK, LOGIN)),
    "actors:export": Row("GET", own=(403, 403, 403, 403, 403, OK, LOGIN)),
    "actors:import": Row("GET", own=(403, 403, 403, 403, 403, OK, LOGIN)),
    # Everyone has their own notifications; another's is a 404.
    "deadlines:notifications": Row("GET", own=(OK, OK, OK, OK, OK, OK, LOGIN)),
    "deadlines:notification_read": Row(
        "POST",
        own=(302, 404, 404, 404, 404, 404, LOGIN),
        foreign=NOBODY,
        kwargs={"pk": "notification"},
    ),
    "deadlines:notifications_read_all": Row("POST", own=(302, 302, 302, 302, 302, 302, LOGIN)),
    # Lists show only what the user may see; anyone in the system may register a person.
    "sip:case_list": Row("GET", own=(OK, OK, OK, OK, OK, OK, LOGIN)),
    "sip:individual_create": Row("GET", own=(OK, OK, OK, OK, OK, OK, LOGIN)),
    # Reading a person or a case: members of the convening and participating units.
    "sip:individual_detail": Row(
        "GET", own=(OK, OK, OK, 404, 404, 404, LOGIN), foreign=NOBODY, kwargs=PERSON
    ),
    "sip:case_detail": Row("GET", own=(OK, OK, OK, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:plan_pdf": Row("GET", own=(OK, OK, OK, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:kallelse_pdf": Row("GET", own=(OK, OK, OK, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:meeting_ics": Row("GET", own=(OK, OK, OK, 404, 404, 404, LOGIN), foreign=NOBODY),
    # Changing a case: its convening unit (and the plan's lead units); viewers get 403.
    "sip:consent_create": Row("GET", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:consent_refuse": Row("POST", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:consent_withdraw": Row("POST", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:case_cancel": Row("POST", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:case_close": Row("POST", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:case_reopen": Row("POST", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:participant_create": Row("GET", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:participant_remove": Row(
        "POST", own=(302, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY
    ),
    "sip:meeting_create": Row("GET", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:kallelse_send": Row("POST", own=(302, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:meeting_held": Row("GET", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:meeting_reschedule": Row("POST", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:meeting_cancel": Row("POST", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:invitation_answer": Row("POST", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    "sip:plan_edit": Row("GET", own=(OK, 403, 403, 404, 404, 404, LOGIN), foreign=NOBODY),
    # Protected persons: whoever sees the person may ask (the service answers), others 404.
    "sip:access:unmask": Row(
        "POST", own=(302, 302, 302, 404, 404, 404, LOGIN), foreign=NOBODY, kwargs=PERSON
    ),
    "sip:access:individual_authorise": Row(
        "POST", own=(302, 302, 302, 404, 404, 404, LOGIN), foreign=NOBODY, kwargs=PERSON
    ),
    # A person's access report: managers of a unit that reaches the person.
    "sip:access:person_report": Row(
        "GET", own=(403, 403, OK, 404, 404, 404, LOGIN), foreign=NOBODY, kwargs=PERSON
    ),
    "sip:access:person_report_csv": Row(
        "GET", own=(403, 403, OK, 404, 404, 404, LOGIN), foreign=NOBODY, kwargs=PERSON
    ),
    # The log review: managers only, and only their units' reviews.
    "sip:access:review_list": Row("GET", own=(403, 403, OK, 403, 403, 403, LOGIN)),
    "sip:access:log_list": Row("GET", own=(403, 403, OK, 403, 403, 403, LOGIN)),
    "sip:access:review_detail": Row(
        "GET",
        own=(403, 403, OK, 403, 403, 403, LOGIN),
        foreign=(403, 403, 404, 403, 403, 403, LOGIN),
        kwargs=REVIEW,
    ),
    "sip:access:review_item_mark": Row(
        "POST",
        own=(403, 403, 302, 403, 403, 403, LOGIN),
        foreign=(403, 403, 404, 403, 403, 403, LOGIN),
        kwargs=REVIEW,
    ),
    "sip:access:review_complete": Row(
        "POST",
        own=(403, 403, 302, 403, 403, 403, LOGIN),
        foreign=(403, 403, 404, 403, 403, 403, LOGIN),
        kwargs=REVIEW,
    ),
}


def project_urls() -> dict[str, set[str]]:
    """Every named URL of the project but Django's admin: full name -> its keywords."""
    found: dict[str, set[str]] = {}

    def walk(patterns, namespaces: tuple[str, ...], route: str, keywords: set[str]) -> None:
        for pattern in patterns:
            path = route + str(pattern.pattern)
            converters = set(getattr(pattern.pattern, "converters", {}))
            if isinstance(pattern, URLResolver):
                if path.startswith("admin/"):
                    continue
                inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
                walk(pattern.url_patterns, inner, path, keywords | converters)
            elif isinstance(pattern, URLPattern):
                name = ":".join((*namespaces, pattern.name or f"<unnamed {path}>"))
                found[name] = keywords | converters

    walk(get_resolver().url_patterns, (), "", set())
    return found


def url_for(name: str, row: Row, world: World) -> str:
    keywords = project_urls()[name]
    names = {keyword: row.kwargs.get(keyword, KWARGS.get(keyword)) for keyword in keywords}
    return reverse(name, kwargs={key: world.objects[obj].pk for key, obj in names.items()})


def request_as(client, user, method: str, url: str):
    """One request at the tests' clock, rolled back afterwards so no cell changes the next."""
    with time_machine.travel(NOW, tick=False):
        client.logout()
        if user is not None:
            client.force_login(user)
        with transaction.atomic():
            response = getattr(client, method.lower())(url)
            transaction.set_rollback(True)
    return response


def answered(response, expected) -> bool:
    if expected == LOGIN:
        return response.status_code == 302 and response["Location"].startswith(reverse("login"))
    return response.status_code == expected


def test_every_url_of_the_project_has_a_row():
    missing = sorted(set(project_urls()) - set(MATRIX))
    assert not missing, (
        f"URLs without a row in MATRIX ({__file__}): {missing}. "
        "Add one per URL; see docs/access-control.md."
    )


def test_every_row_names_a_url_of_the_project():
    assert sorted(set(MATRIX) - set(project_urls())) == []


def test_every_url_keyword_names_an_object_of_the_world(world):
    for name, keywords in project_urls().items():
        for keyword in keywords:
            obj = MATRIX[name].kwargs.get(keyword, KWARGS.get(keyword))
            assert obj in world.objects, f"{name}: keyword {keyword!r} names no world object"


def test_every_row_declares_an_answer_for_every_role():
    for name, row in MATRIX.items():
        assert len(row.own) == len(ROLES), name
        assert row.foreign is None or len(row.foreign) == len(ROLES), name
        assert (row.foreign is None) == (not project_urls()[name]), name


def test_each_role_gets_the_declared_answer_for_each_url(client, world, foreign):
    wrong = []
    for name, row in MATRIX.items():
        sides = [("own", world, row.own)]
        if row.foreign is not None:
            sides.append(("foreign", foreign, row.foreign))
        for side, objects, answers in sides:
            url = url_for(name, row, objects)
            for role, expected in zip(ROLES, answers, strict=True):
                response = request_as(client, world.users[role], row.method, url)
                if not answered(response, expected):
                    wrong.append(f"{name} {side} {role}: {expected} != {response.status_code}")
    assert wrong == []
