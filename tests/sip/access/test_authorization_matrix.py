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

from tests.helpers import login_verified
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
    "case_pk": "case",
    "deadline_pk": "deadline",
    "individual_pk": "individual",
    "split_pk": "cost_split",
    "share_pk": "cost_share",
    "request_pk": "examination",
    "unit_pk": "unit",
    # Keywords from a fixed vocabulary, or a secret the system made, name a string of the world.
    "kind": "plan_row_kind",
    "step": "deviation_step",
    "token": "feed_token",
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
PLACEMENT = {"pk": "placement"}
REPORT = {"pk": "report"}
AGREEMENT = {"pk": "agreement"}
# Recurring rows: any signed-in user; a case's readers; those who change it; admins; managers.
EVERYONE = (OK, OK, OK, OK, OK, OK, LOGIN)
READERS = (OK, OK, OK, 404, 404, 404, LOGIN)
CHANGERS = (OK, 403, 403, 404, 404, 404, LOGIN)
ADMINS = (403, 403, 403, 403, 403, OK, LOGIN)
MANAGERS = (403, 403, OK, 403, 403, 403, LOGIN)
# Aggregates only: managers for their units, steering groups for their scope, admins nationally.
STATISTICS_READERS = (403, 403, OK, 403, OK, OK, LOGIN)
# The placing social services (the convener's unit, where the manager is a member too) act for a
# placement; readers of the linked case and cost-split parties (the participant) only look.
PLACING_TEAM = (OK, 403, OK, 404, 404, 404, LOGIN)
# A deviation report is seen by the reporting unit, the concerned unit and, once lifted to it,
# the covering steering group.
REPORT_READERS = (OK, OK, OK, 404, OK, 404, LOGIN)

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
    # --- the second factor: a page for managers and admins, who are verified here already;
    # everyone else is sent on.
    "two_factor:enrol": Row("GET", own=(302, 302, 302, 302, 302, 302, LOGIN)),
    "two_factor:verify": Row("GET", own=(302, 302, 302, 302, 302, 302, LOGIN)),
    # --- the directory's and the agreements' pages are the admins'; agreements are no one's own.
    "actors:huvudman_list": Row("GET", own=ADMINS),
    "actors:professional_list": Row("GET", own=ADMINS),
    "actors:steering_group_list": Row("GET", own=ADMINS),
    "agreements:list": Row("GET", own=ADMINS),
    "agreements:rules": Row("GET", own=ADMINS),
    "agreements:detail": Row("GET", own=ADMINS, foreign=ADMINS, kwargs=AGREEMENT),
    "agreements:source": Row("GET", own=ADMINS, foreign=ADMINS, kwargs=AGREEMENT),
    # --- overdue deadlines: the managers' (their units' deadlines, case references only).
    "deadlines:overdue": Row("GET", own=MANAGERS),
    "sip:statistics": Row("GET", own=STATISTICS_READERS),
    "sip:statistics_csv": Row("GET", own=STATISTICS_READERS),
    "sip:statistics_xlsx": Row("GET", own=STATISTICS_READERS),
    "sip:statistics_pdf": Row("GET", own=STATISTICS_READERS),
    "deadlines:overdue_export": Row("GET", own=MANAGERS),
    # --- the coordinator's pages. Starting a case and the directory search: anyone signed in.
    "sip:case_new": Row("GET", own=EVERYONE),
    "sip:case_new_register": Row("GET", own=EVERYONE),
    "sip:unit_pick_search": Row("GET", own=EVERYONE),
    "sip:unit_pick_chip": Row("GET", own=EVERYONE, foreign=EVERYONE),
    # The wizard's person step reads the person; its later steps change the new case.
    "sip:case_new_details": Row("GET", own=READERS, foreign=NOBODY, kwargs=PERSON),
    "sip:case_new_consent": Row("GET", own=CHANGERS, foreign=NOBODY),
    "sip:case_new_done": Row("GET", own=CHANGERS, foreign=NOBODY),
    # Inviting, scheduling and the plan editor (with their htmx parts) change the case.
    "sip:case_invite": Row("GET", own=CHANGERS, foreign=NOBODY),
    "sip:case_unit_search": Row("GET", own=CHANGERS, foreign=NOBODY),
    "sip:meeting_schedule_week": Row("GET", own=CHANGERS, foreign=NOBODY),
    "sip:plan_row": Row("GET", own=CHANGERS, foreign=NOBODY),
    # --- calendars: one's own meetings. The feed's secret token is its only credential.
    "sip:calendar_week": Row("GET", own=EVERYONE),
    "sip:calendar_month": Row("GET", own=EVERYONE),
    "sip:calendar_subscription": Row("GET", own=EVERYONE),
    "sip:calendar_feed": Row("GET", own=(OK,) * 7, foreign=(OK,) * 7),
    # --- placements: the list shows what one may see; registering reads the person.
    "sip:placement_list": Row("GET", own=EVERYONE),
    "sip:placement_create": Row(
        "GET", own=READERS, foreign=NOBODY, kwargs={"individual_pk": "individual"}
    ),
    "sip:placement_detail": Row("GET", own=READERS, foreign=NOBODY, kwargs=PLACEMENT),
    "sip:placement_end": Row("POST", own=PLACING_TEAM, foreign=NOBODY, kwargs=PLACEMENT),
    "sip:placement_joint_planning": Row("POST", own=PLACING_TEAM, foreign=NOBODY, kwargs=PLACEMENT),
    "sip:placement_authorise": Row("POST", own=PLACING_TEAM, foreign=NOBODY, kwargs=PLACEMENT),
    "sip:cost_split_create": Row("GET", own=PLACING_TEAM, foreign=NOBODY, kwargs=PLACEMENT),
    "sip:examination_request": Row("POST", own=PLACING_TEAM, foreign=NOBODY, kwargs=PLACEMENT),
    "sip:examination_answer": Row("POST", own=PLACING_TEAM, foreign=NOBODY, kwargs=PLACEMENT),
    # Each party answers for its own share (the service refuses the others, with a message).
    "sip:cost_share_agree": Row(
        "POST", own=(302, 302, 302, 404, 404, 404, LOGIN), foreign=NOBODY, kwargs=PLACEMENT
    ),
    "sip:cost_share_decline": Row("POST", own=READERS, foreign=NOBODY, kwargs=PLACEMENT),
    # --- deviation reports. Lists show what one may see; filing needs a unit to file for.
    "sip:deviation_inbox": Row("GET", own=EVERYONE),
    "sip:deviation_steering": Row("GET", own=EVERYONE),
    "sip:deviation_export": Row("GET", own=EVERYONE),
    "sip:deviation_create": Row("GET", own=(OK, OK, OK, OK, 403, 403, LOGIN)),
    "sip:deviation_yearly": Row("GET", own=(403, 403, OK, 403, OK, OK, LOGIN)),
    # Reporting on a case, or reading its reports' timeline: whoever may read the case.
    "sip:deviation_create_for_case": Row("GET", own=READERS, foreign=NOBODY),
    "sip:deviation_create_for_meeting": Row("GET", own=READERS, foreign=NOBODY),
    "sip:deviation_create_for_deadline": Row("GET", own=READERS, foreign=NOBODY),
    "sip:deviation_case_timeline": Row("GET", own=READERS, foreign=NOBODY),
    "sip:deviation_detail": Row("GET", own=REPORT_READERS, foreign=NOBODY, kwargs=REPORT),
    "sip:deviation_step": Row("POST", own=REPORT_READERS, foreign=NOBODY, kwargs=REPORT),
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
    values = {key: world.objects[obj] for key, obj in names.items()}
    return reverse(
        name,
        kwargs={
            key: value if isinstance(value, str) else value.pk for key, value in values.items()
        },
    )


def request_as(client, user, method: str, url: str):
    """One request at the tests' clock, rolled back afterwards so no cell changes the next."""
    with time_machine.travel(NOW, tick=False):
        client.logout()
        if user is not None:
            # Managers and admins have passed the second factor, as they must for any page.
            login_verified(client, user)
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
