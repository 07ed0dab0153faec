"""One-line access for views: find, check, mask and log.

A view that shows a case or a person calls one of these and gets back an object it may show:

    case = get_case_or_404(request, pk)                      # a page about the case
    case = get_case_or_404(request, pk, change=True)         # a page that changes it
    case = get_case_or_404(request, pk, action=AccessLogEntry.Action.PDF)
    individual = get_individual_or_404(request, pk)
    cases = log_case_list(request, page.object_list)         # a list of cases

Each call writes exactly one access-log entry (a list: one per row), answers 404 for what the user
may not see and 403 for a change they may not make, and replaces a protected person by a masked
copy unless the viewer is authorised and has unmasked them (with a stated reason) in the last
UNMASK_MINUTES minutes.
"""

import time

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from sip.access.models import AccessLogEntry, MaskedIndividual
from sip.access.selectors import case_get_for_user, individual_get_for_user
from sip.access.services import access_log_record, access_log_record_cases
from sip.models import Case, Individual

UNMASK_SESSION_KEY = "sip_unmasked"
UNMASK_MINUTES = 10


def unmask_remember(request: HttpRequest, individual: Individual) -> None:
    """Show the person's protected data to this session for the next UNMASK_MINUTES minutes."""
    unmasked = {
        key: until
        for key, until in request.session.get(UNMASK_SESSION_KEY, {}).items()
        if until > time.time()
    }
    unmasked[str(individual.pk)] = time.time() + UNMASK_MINUTES * 60
    request.session[UNMASK_SESSION_KEY] = unmasked


def _unmasked(request: HttpRequest, individual_id: int) -> bool:
    until = request.session.get(UNMASK_SESSION_KEY, {}).get(str(individual_id), 0)
    return until > time.time()


def reveals(request: HttpRequest, individual: Individual, *, authorised: bool) -> bool:
    """Whether the viewer sees this person's protected data now."""
    return not individual.is_protected or (authorised and _unmasked(request, individual.pk))


def person_shown(request: HttpRequest, individual: Individual, *, authorised: bool) -> Individual:
    """The person as this viewer may see them: the stored object, or a masked copy."""
    if reveals(request, individual, authorised=authorised):
        return individual
    return MaskedIndividual.of(individual)


def _default_action(request: HttpRequest) -> str:
    if request.method == "POST":
        return AccessLogEntry.Action.CHANGE
    return AccessLogEntry.Action.VIEW


def get_case_or_404(
    request: HttpRequest, pk: int, *, change: bool = False, action: str | None = None
) -> Case:
    """The case, if the user may see it (and change it, with change=True), logged and masked.

    The case carries `viewer_can_change`, `viewer_authorised` and `person_revealed` for the page.
    """
    case = case_get_for_user(user=request.user, pk=pk)
    if case is None:
        raise Http404
    if change and not case.viewer_can_change:
        # They see the case already, so its existence is no secret: refuse plainly.
        raise PermissionDenied
    access_log_record(request=request, action=action or _default_action(request), case=case)
    case.individual = person_shown(request, case.individual, authorised=case.viewer_authorised)
    case.person_revealed = not isinstance(case.individual, MaskedIndividual)
    return case


def get_individual_or_404(request: HttpRequest, pk: int, *, action: str | None = None):
    """The person, if the user may see them, logged, and masked unless revealed.

    The returned object carries `viewer_authorised` and `person_revealed`.
    """
    individual = individual_get_for_user(user=request.user, pk=pk)
    if individual is None:
        raise Http404
    access_log_record(
        request=request, action=action or _default_action(request), individual=individual
    )
    shown = person_shown(request, individual, authorised=individual.viewer_authorised)
    shown.viewer_authorised = individual.viewer_authorised
    shown.viewer_unit_id = individual.viewer_unit_id
    shown.person_revealed = shown is individual
    return shown


def log_case_list(request: HttpRequest, cases) -> list[Case]:
    """Log a page of cases from case_list_for_user (one entry per row) and mask its persons."""
    rows = list(cases)
    access_log_record_cases(request=request, cases=rows)
    for case in rows:
        case.individual = person_shown(request, case.individual, authorised=case.viewer_authorised)
    return rows
