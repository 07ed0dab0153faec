"""The coordinator's pages: the worklist ("Mina ärenden"), the new-case wizard, inviting and
scheduling, and the plan editor. Views stay thin: forms check input, services write, selectors read,
and a refused step shows the service's Swedish message."""

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from actors.models import Unit
from actors.selectors import unit_search
from config.exceptions import ApplicationError
from deadlines.calendar import STOCKHOLM, add_working_days, is_working_day
from sip import services
from sip.access.shortcuts import get_case_or_404, get_individual_or_404, log_case_list
from sip.agenda.grid import Entry, iso_week, local_range, parse_iso_week, week_grid
from sip.agenda.selectors import (
    busy_entries,
    meeting_list_busy_for_units,
    meeting_list_for_user,
    mine_entries,
)
from sip.forms import (
    CaseOpenForm,
    IndividualForm,
    InterventionForm,
    MeetingForm,
    NoInterventionForm,
    PlanForm,
)
from sip.models import Case, Individual, Meeting, Plan
from sip.selectors import (
    case_list_for_user,
    individual_list_for_user,
    plan_get,
    user_units_for_convening,
)
from sip.views import register_individual
from sip.workspace.forms import (
    CaseFilterForm,
    InviteForm,
    PersonLookupForm,
    ProposalForm,
    UnitSearchForm,
    WizardConsentForm,
    filters_from_session,
)
from sip.workspace.selectors import (
    case_open_deadlines,
    case_unit_choices,
    case_worklist,
    case_worklist_ids,
    meeting_list_for_case,
    plan_people,
    worklist_rows,
)

CASES_PER_PAGE = 50
WORKLIST_SESSION_KEY = "sip_worklist_filters"
DEFAULT_DURATION = 60
FOLLOW_UP_DEFAULT_TIME = dt.time(9, 0)
# The registration form shares a page with the lookup form; its own ids keep them unique.
PERSON_AUTO_ID = "person_%s"


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """Mina ärenden. The search is posted and kept in the session (post/redirect/get), so the
    page number is the only thing in the URL."""
    units = user_units_for_convening(user=request.user)
    stored = request.session.get(WORKLIST_SESSION_KEY, {})
    if request.method == "POST":
        if "rensa" in request.POST:
            request.session.pop(WORKLIST_SESSION_KEY, None)
            return redirect("sip:case_list")
        form = CaseFilterForm(request.POST, units=units)
        if form.is_valid():
            request.session[WORKLIST_SESSION_KEY] = form.session_data()
            return redirect("sip:case_list")
    else:
        form = CaseFilterForm(initial=stored, units=units)
    # Two reads: every matching id in order (the count and the page come from that list), then
    # only the page's cases with their relations and annotations.
    ids = case_worklist_ids(user=request.user, filters=filters_from_session(stored))
    page = Paginator(ids, CASES_PER_PAGE).get_page(request.GET.get("sida"))
    # Every row shows a person: one access-log entry each, protected persons masked.
    shown = log_case_list(request, case_worklist(user=request.user, ids=page.object_list))
    rows = worklist_rows(cases=shown, user=request.user, now=timezone.now())
    response = render(
        request,
        "sip/workspace/case_list.html",
        {
            "form": form,
            "page": page,
            "cases": shown,
            "rows": rows,
            "is_filtered": bool(stored),
        },
    )
    if form.is_bound and _is_htmx(request):
        # The form posted by htmx was refused: show it with its errors instead of the results.
        response["HX-Retarget"] = "#case-filter"
        response["HX-Reselect"] = "#case-filter"
        response["HX-Reswap"] = "outerHTML"
    return response


def _case(request: HttpRequest, pk: int) -> Case:
    """A case whose page changes it (every page here but the list): checked, logged, masked."""
    return get_case_or_404(request, pk, change=True)


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- new case: person → reason → consent → what started -------------------------------------------


@login_required
def case_new(request: HttpRequest) -> HttpResponse:
    """Step 1: find the person by number; offer registration, pre-filled, when there is none."""
    form = PersonLookupForm(request.POST or None)
    register_form = None
    if request.method == "POST" and form.is_valid():
        number = form.cleaned_data["id_number"]
        individual = (
            individual_list_for_user(user=request.user).filter(id_number=number.number).first()
        )
        if individual is not None:
            return redirect("sip:case_new_details", pk=individual.pk)
        kind = (
            Individual.IdKind.SAMORDNINGSNUMMER
            if number.is_coordination_number
            else Individual.IdKind.PERSONNUMMER
        )
        register_form = IndividualForm(
            initial={"id_kind": kind, "id_number": number.display}, auto_id=PERSON_AUTO_ID
        )
    return render(
        request,
        "sip/workspace/case_new_person.html",
        {"form": form, "register_form": register_form, "step": 1},
    )


@login_required
def case_new_register(request: HttpRequest) -> HttpResponse:
    """Step 1b: register the person (also people without a number), then go on to step 2."""
    form = IndividualForm(request.POST or None, auto_id=PERSON_AUTO_ID)
    if request.method == "POST" and form.is_valid():
        individual = register_individual(request, form, existing_url="sip:case_new_details")
        if individual is not None:
            # No name in the message: messages may travel in a cookie.
            messages.success(request, _("Personen är registrerad."))
            return redirect("sip:case_new_details", pk=individual.pk)
    return render(
        request,
        "sip/workspace/case_new_person.html",
        {"form": None, "register_form": form, "step": 1},
    )


@login_required
def case_new_details(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: why a SIP, whether it is acute, and which of my units convenes."""
    individual = get_individual_or_404(request, pk)
    units = user_units_for_convening(user=request.user)
    form = CaseOpenForm(
        request.POST or None, units=units, initial={"convening_unit": units.first()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(
                # The service gets the stored person, never the masked copy the page shows.
                individual=Individual.objects.get(pk=individual.pk),
                convening_unit=form.cleaned_data["convening_unit"],
                coordinator=request.user,
                reason=form.cleaned_data["reason"],
                is_acute=form.cleaned_data["is_acute"],
                by=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("sip:case_new_consent", pk=case.pk)
    running = [
        case
        for case in case_list_for_user(user=request.user).filter(individual_id=individual.pk)
        if not case.is_ended
    ]
    return render(
        request,
        "sip/workspace/case_new_details.html",
        {"individual": individual, "form": form, "running": running, "step": 2},
    )


@login_required
def case_new_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 3: who consented, when, and which units the consent covers."""
    case = _case(request, pk)
    form = WizardConsentForm(
        request.POST or None,
        individual=case.individual,
        initial={
            "given_at": timezone.localtime().replace(second=0, microsecond=0),
            "units": [case.convening_unit],
            "given_by_individual": not case.individual.is_child_on(timezone.localdate()),
        },
        auto_id="samtycke_%s",
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.consent_record(
                case=case,
                given_at=data["given_at"],
                given_by_individual=data["given_by_individual"],
                guardians=data["guardians"],
                units=data["units"],
                valid_until=data["valid_until"],
                by=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("sip:case_new_done", pk=case.pk)
    return render(
        request,
        "sip/workspace/case_new_consent.html",
        {
            "case": case,
            "form": form,
            "chosen": form.chosen_units(),
            "search_form": UnitSearchForm(auto_id="sok_%s"),
            "step": 3,
        },
    )


@login_required
def case_new_done(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 4: the clocks the consent started, with the working days left on each."""
    case = _case(request, pk)
    return render(
        request,
        "sip/workspace/case_new_done.html",
        {"case": case, "signals": case_open_deadlines(case=case, now=timezone.now()), "step": 4},
    )


# --- directory search, inviting -------------------------------------------------------------------

UNITS_PER_PAGE = 20


def _unit_results(request: HttpRequest) -> tuple[UnitSearchForm, Page]:
    form = UnitSearchForm(request.GET, auto_id="sok_%s")
    units = unit_search(**form.search_arguments())
    return form, Paginator(units, UNITS_PER_PAGE).get_page(request.GET.get("sida"))


def _page_suffix(request: HttpRequest) -> str:
    """The search itself (unit names, kinds, municipalities: no personal data) for page links."""
    query = request.GET.copy()
    query.pop("sida", None)
    return f"&{query.urlencode()}" if query else ""


@login_required
def unit_pick_search(request: HttpRequest) -> HttpResponse:
    """Live directory search for picking units (consent scope): each hit has an Add button."""
    _form, page = _unit_results(request)
    return render(
        request,
        "sip/workspace/_unit_results.html",
        {"page": page, "mode": "pick", "page_suffix": _page_suffix(request)},
    )


@login_required
def unit_pick_chip(request: HttpRequest, unit_pk: int) -> HttpResponse:
    """One chosen unit: a hidden input and a Remove button, added to the form by htmx."""
    unit = get_object_or_404(Unit.objects.filter(is_active=True), pk=unit_pk)
    return render(request, "sip/workspace/_unit_chip.html", {"unit": unit})


def _invite_context(case: Case) -> dict:
    consent = services.consent_in_force(case=case, on=timezone.localdate())
    covered = list(consent.units.all()) if consent else []
    participants = list(case.participants.select_related("unit"))
    taking_part = {participant.unit_id for participant in participants}
    return {
        "case": case,
        "consent": consent,
        "covered_ids": {unit.pk for unit in covered},
        "participant_unit_ids": taking_part,
        "participants": participants,
        "suggested": [unit for unit in covered if unit.pk not in taking_part],
    }


@login_required
def case_unit_search(request: HttpRequest, pk: int) -> HttpResponse:
    """Live directory search on the invite page: hits show whether the consent covers them."""
    case = _case(request, pk)
    _form, page = _unit_results(request)
    return render(
        request,
        "sip/workspace/_unit_results.html",
        {
            **_invite_context(case),
            "page": page,
            "mode": "invite",
            "page_suffix": _page_suffix(request),
        },
    )


@login_required
def case_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick participants from the directory; POST invites one unit (htmx: in place)."""
    case = _case(request, pk)
    if request.method == "POST":
        form = InviteForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Välj en aktiv verksamhet ur katalogen."))
        else:
            unit = form.cleaned_data["unit"]
            try:
                services.participant_add(case=case, unit=unit, by=request.user)
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("%(unit)s är tillagd som deltagare.") % {"unit": unit})
        if not _is_htmx(request):
            return redirect("sip:case_invite", pk=case.pk)
        response = render(request, "sip/workspace/_participants.html", _invite_context(case))
        # The search results refresh too, so the invited unit no longer offers "Bjud in".
        response["HX-Trigger"] = "participants-changed"
        return response
    return render(
        request,
        "sip/workspace/case_invite.html",
        {**_invite_context(case), "search_form": UnitSearchForm(auto_id="sok_%s")},
    )


# --- scheduling -----------------------------------------------------------------------------------


def _proposal(starts_at: dt.datetime | None, duration: int | None) -> Entry | None:
    if starts_at is None:
        return None
    return Entry(
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=duration or DEFAULT_DURATION),
        label=_("Föreslagen tid"),
        kind="proposal",
    )


def _schedule_week(
    request: HttpRequest, case: Case, *, starts_at: dt.datetime | None, duration: int | None
) -> dict:
    """The week around the proposed time: my meetings, the invited units' booked SIP meetings
    (anonymous), the proposal, and which of them clash with the proposal."""
    today = timezone.localdate()
    # Without a proposal, start from the next working day: on a weekend that is next week.
    default_day = (
        timezone.localtime(starts_at).date()
        if starts_at
        else today
        if is_working_day(today)
        else add_working_days(today, 1)
    )
    monday = parse_iso_week(request.GET.get("vecka", ""), default=default_day)
    start, end = local_range(monday, monday + dt.timedelta(days=6))
    mine = list(meeting_list_for_user(user=request.user, starts_from=start, starts_before=end))
    unit_ids = set(case.participants.filter(unit__isnull=False).values_list("unit_id", flat=True))
    busy = meeting_list_busy_for_units(
        unit_ids=unit_ids,
        starts_from=start,
        starts_before=end,
        exclude=[meeting.pk for meeting in mine],
    )
    proposal = _proposal(starts_at, duration)
    entries = mine_entries(mine) + busy_entries(busy, unit_ids=unit_ids)
    days = week_grid(
        monday=monday, entries=[*entries, *([proposal] if proposal else [])], today=today
    )
    clashes = (
        [
            entry
            for day in days
            for entry in day.entries
            if entry.kind != "proposal" and entry.overlaps(proposal)
        ]
        if proposal
        else []
    )
    proposal_params = {}
    if starts_at:
        proposal_params = {
            "starts_at": timezone.localtime(starts_at).strftime("%Y-%m-%dT%H:%M"),
            "duration_minutes": duration or DEFAULT_DURATION,
        }
    return {
        "case": case,
        "days": days,
        "week_number": monday.isocalendar()[1],
        "previous_query": urlencode(
            {**proposal_params, "vecka": iso_week(monday - dt.timedelta(days=7))}
        ),
        "next_query": urlencode(
            {**proposal_params, "vecka": iso_week(monday + dt.timedelta(days=7))}
        ),
        "clashes": clashes,
        "has_proposal": proposal is not None,
    }


def _parse_proposal(request: HttpRequest) -> tuple[dt.datetime | None, int | None]:
    """The proposed start and length from the query; anything unreadable is simply no proposal."""
    form = ProposalForm(request.GET)
    if not form.is_valid():
        return None, None
    return form.cleaned_data["starts_at"], form.cleaned_data["duration_minutes"]


@login_required
def meeting_schedule_week(request: HttpRequest, pk: int) -> HttpResponse:
    """The week grid alone, for htmx to refresh as the proposed time changes."""
    case = _case(request, pk)
    starts_at, duration = _parse_proposal(request)
    return render(
        request,
        "sip/workspace/_schedule_week.html",
        _schedule_week(request, case, starts_at=starts_at, duration=duration),
    )


def _schedule_initial(request: HttpRequest, case: Case) -> dict:
    kind = request.GET.get("typ", "")
    initial: dict = {"kind": kind if kind in Meeting.Kind.values else Meeting.Kind.SIP}
    if initial["kind"] == Meeting.Kind.FOLLOW_UP:
        plan = case.plans.order_by("-version").only("next_follow_up").first()
        if plan and plan.next_follow_up:
            initial["starts_at"] = dt.datetime.combine(
                plan.next_follow_up, FOLLOW_UP_DEFAULT_TIME, tzinfo=STOCKHOLM
            )
    return initial


@login_required
def meeting_schedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose a time against a week of meetings, book it and (by default) send the kallelse.

    Booking and sending run in one transaction: if the kallelse is refused, no meeting is left
    behind and the form shows why, with what the user typed.
    """
    case = _case(request, pk)
    form = MeetingForm(request.POST or None, initial=_schedule_initial(request, case))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        send_now = data.pop("send_now")
        try:
            with transaction.atomic():
                meeting = services.meeting_schedule(case=case, by=request.user, **data)
                if send_now:
                    services.kallelse_send(meeting=meeting, by=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Mötet är bokat och kallelsen skickad.")
                if send_now
                else _("Mötet är bokat. Kallelsen är inte skickad ännu."),
            )
            return redirect("sip:case_detail", pk=case.pk)
    # A failed post keeps showing the week of the time the user typed.
    typed = getattr(form, "cleaned_data", form.initial)
    return render(
        request,
        "sip/workspace/meeting_schedule.html",
        {
            **_schedule_week(
                request,
                case,
                starts_at=typed.get("starts_at"),
                duration=typed.get("duration_minutes") or DEFAULT_DURATION,
            ),
            "form": form,
            "participants": list(case.participants.select_related("unit")),
            "meetings": meeting_list_for_case(case=case, status=Meeting.Status.PLANNED),
        },
    )


# --- the plan -------------------------------------------------------------------------------------

ROW_FORMS = {"insats": InterventionForm, "ingen": NoInterventionForm}
ROW_KEY = re.compile(r"[a-z0-9]{1,16}")
PEOPLE_FIELDS = ("lead_name", "coordinator_name", "plan_owner_name")


@dataclass(frozen=True)
class PlanRow:
    """One intervention (or "no intervention needed") row of the plan editor: either a form being
    edited, or settled values carried as hidden inputs until the plan is saved."""

    kind: str
    key: str
    form: forms.Form | None = None
    values: dict | None = None

    @property
    def hidden(self) -> list[tuple[str, str]]:
        def raw(value) -> str:
            if value is None:
                return ""
            if isinstance(value, Unit):
                return str(value.pk)
            if isinstance(value, dt.date):
                return value.isoformat()
            return str(value)

        return [(f"{self.kind}-{self.key}-{name}", raw(v)) for name, v in self.values.items()]


def _row_form(kind: str, key: str, units, **kwargs) -> forms.Form:
    return ROW_FORMS[kind](prefix=f"{kind}-{key}", units=units, **kwargs)


def _plan_initial(plan: Plan | None) -> tuple[dict, dict[str, list[PlanRow]]]:
    rows: dict[str, list[PlanRow]] = {"insats": [], "ingen": []}
    if plan is None:
        return {}, rows
    initial = {name: getattr(plan, name) for name in PlanForm.base_fields}
    for n, item in enumerate(plan.interventions.all()):
        values = {name: getattr(item, name) for name in InterventionForm.base_fields}
        rows["insats"].append(PlanRow(kind="insats", key=f"v{n}", values=values))
    for n, item in enumerate(plan.no_interventions.all()):
        values = {name: getattr(item, name) for name in NoInterventionForm.base_fields}
        rows["ingen"].append(PlanRow(kind="ingen", key=f"v{n}", values=values))
    return initial, rows


def _posted_rows(request: HttpRequest, kind: str, units) -> list[tuple[str, forms.Form]]:
    keys = dict.fromkeys(key for key in request.POST.getlist(kind) if ROW_KEY.fullmatch(key))
    # A row added and left blank is dropped rather than refused.
    return [
        (
            key,
            _row_form(
                kind,
                key,
                units,
                data=request.POST,
                empty_permitted=True,
                use_required_attribute=False,
            ),
        )
        for key in keys
    ]


def _plan_form(request: HttpRequest, case: Case, initial: dict) -> PlanForm:
    form = PlanForm(request.POST or None, initial=initial, units=case_unit_choices(case=case))
    for name in PEOPLE_FIELDS:
        form.fields[name].widget.attrs["list"] = "plan-people"
    return form


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a new plan version, pre-filled from the current one. Interventions are edited row by
    row in place (plan_row); everything is checked again and saved as one version here."""
    case = _case(request, pk)
    current = plan_get(case=case)
    initial, rows = _plan_initial(current)
    form = _plan_form(request, case, initial)
    if request.method == "POST":
        units = case_unit_choices(case=case)
        posted = {kind: _posted_rows(request, kind, units) for kind in ROW_FORMS}
        checks = [form.is_valid()] + [row.is_valid() for kind in posted for _k, row in posted[kind]]
        if all(checks):
            filled = {
                kind: [row.cleaned_data for _k, row in posted[kind] if row.has_changed()]
                for kind in ROW_FORMS
            }
            plan_data = services.PlanData(
                **form.cleaned_data,
                interventions=[services.InterventionData(**row) for row in filled["insats"]],
                no_interventions=[services.NoInterventionData(**row) for row in filled["ingen"]],
            )
            try:
                plan = services.plan_save(case=case, data=plan_data, by=request.user)
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Plan version %d är sparad.") % plan.version)
                return redirect("sip:case_detail", pk=case.pk)
        rows = {
            kind: [
                PlanRow(kind=kind, key=key, values=row.cleaned_data)
                if row.is_valid()
                else PlanRow(kind=kind, key=key, form=row)
                for key, row in posted[kind]
                if row.has_changed() or not row.is_valid()
            ]
            for kind in ROW_FORMS
        }
    return render(
        request,
        "sip/workspace/plan_edit.html",
        {
            "case": case,
            "form": form,
            "current": current,
            "rows": rows,
            "people": plan_people(case=case, user=request.user),
        },
    )


@login_required
def plan_row(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """One row of the plan editor, for htmx. GET: a new empty row. POST action=edit: the row's
    values back in a form; POST action=done: checked, then shown settled, or the form with the
    Swedish errors and what was typed."""
    case = _case(request, pk)
    if kind not in ROW_FORMS:
        raise Http404
    units = case_unit_choices(case=case)
    if request.method == "GET":
        key = secrets.token_hex(4)
        row = PlanRow(kind=kind, key=key, form=_row_form(kind, key, units))
    else:
        key = request.POST.get("key", "")
        if not ROW_KEY.fullmatch(key):
            return HttpResponseBadRequest()
        if request.POST.get("action") == "edit":
            # Unbound with the posted values as initial: reopening a row shows no errors.
            prefix = f"{kind}-{key}"
            names = ROW_FORMS[kind].base_fields
            typed = {name: request.POST.get(f"{prefix}-{name}", "") for name in names}
            row = PlanRow(kind=kind, key=key, form=_row_form(kind, key, units, initial=typed))
        else:
            form = _row_form(kind, key, units, data=request.POST)
            row = (
                PlanRow(kind=kind, key=key, values=form.cleaned_data)
                if form.is_valid()
                else PlanRow(kind=kind, key=key, form=form)
            )
    if row.form is not None:
        # Keyboard users land in the row: on the first field with an error, else the first field.
        errors = row.form.errors if row.form.is_bound else {}
        first = next((name for name in row.form.fields if name in errors), None)
        first = first or next(iter(row.form.fields))
        row.form.fields[first].widget.attrs["autofocus"] = True
    return render(
        request, "sip/workspace/_plan_row.html", {"case": case, "row": row, "swapped": True}
    )
