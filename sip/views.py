"""Minimal SIP pages. Each view finds the case or person through sip.access.shortcuts (404 for
others, 403 for a change a viewer may not make, one access-log entry per request, protected persons
masked), lets a form check the input and one service do the work; a refused step shows its Swedish
message."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.exceptions import ApplicationError
from sip import forms, services
from sip.access.forms import AuthoriseForm, UnmaskForm
from sip.access.models import AccessLogEntry, identity_hidden
from sip.access.selectors import access_report_allowed, users_who_may_see_individual
from sip.access.shortcuts import get_case_or_404, get_individual_or_404
from sip.emails import Method
from sip.ics import meeting_ics
from sip.links import url_for_each
from sip.models import Case, Individual, Invitation, Meeting
from sip.pdf import kallelse_letter_pdf, plan_pdf
from sip.selectors import (
    case_detail,
    case_list_for_user,
    individual_get_for_user,
    meeting_recipients,
    plan_get,
    user_units_for_convening,
)
from sip.workspace.selectors import deadline_rows


def _case(request: HttpRequest, pk: int) -> Case:
    """A case whose page changes it: only those who may change the case get past this."""
    return get_case_or_404(request, pk, change=True)


def _meeting(case: Case, meeting_pk: int) -> Meeting:
    meeting = get_object_or_404(case.meetings.all(), pk=meeting_pk)
    # The case already checked, logged and masked is the one documents and pages print.
    meeting.case = case
    return meeting


def register_individual(
    request: HttpRequest, form: forms.IndividualForm, *, existing_url: str = "sip:individual_detail"
):
    """Register the person a valid IndividualForm describes; on refusal the Swedish message goes
    on the form (with a link when the number is already registered) and None is returned."""
    data = form.cleaned_data
    guardians = [
        services.GuardianData(
            name=data[f"guardian_{n}"],
            email=data[f"guardian_{n}_email"],
            has_custody=data[f"guardian_{n}_custody"],
        )
        for n in (1, 2)
        if data[f"guardian_{n}"]
    ]
    try:
        return services.individual_register(
            id_kind=data["id_kind"],
            id_number=data["id_number"],
            reserve_number=data["reserve_number"],
            birth_date=data["birth_date"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            gender=data["gender"],
            home_municipality=data["home_municipality"],
            address=data["address"],
            email=data["email"],
            phone=data["phone"],
            protected_identity=data["protected_identity"],
            protected_residence=data["protected_residence"],
            guardians=guardians,
            registered_by_unit=user_units_for_convening(user=request.user).first(),
            by=request.user,
        )
    except ApplicationError as exc:
        existing = exc.extra.get("existing_id")
        # The link is offered only to those who may open the person's page; one SIP per
        # person, so others ask the unit that holds it to add them as a participant.
        if existing and individual_get_for_user(user=request.user, pk=existing):
            form.add_error(
                "id_number",
                format_html(
                    '{} <a href="{}">{}</a>',
                    exc.message,
                    reverse(existing_url, args=[existing]),
                    _("Gå till personen"),
                ),
            )
        else:
            form.add_error(None, exc.message)
    return None


@login_required
def individual_create(request: HttpRequest) -> HttpResponse:
    form = forms.IndividualForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        individual = register_individual(request, form)
        if individual is not None:
            return redirect("sip:individual_detail", pk=individual.pk)
    return render(request, "sip/individual_form.html", {"form": form})


@login_required
def individual_detail(request: HttpRequest, pk: int) -> HttpResponse:
    individual = get_individual_or_404(request, pk)
    cases = case_list_for_user(user=request.user).filter(individual=individual)
    form = forms.CaseOpenForm(
        request.POST or None, units=user_units_for_convening(user=request.user)
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
            return redirect("sip:case_detail", pk=case.pk)
    return render(
        request,
        "sip/individual_detail.html",
        {
            "individual": individual,
            "guardians": [] if identity_hidden(individual) else list(individual.guardians.all()),
            "cases": cases,
            "form": form,
            "unmask_form": _unmask_form(individual),
            "authorise_form": _authorise_form(individual),
            "may_report": access_report_allowed(user=request.user, individual=individual),
        },
    )


def _unmask_form(individual: Individual) -> UnmaskForm | None:
    if individual.person_revealed or not individual.viewer_authorised:
        return None
    return UnmaskForm()


def _authorise_form(individual: Individual) -> AuthoriseForm | None:
    """Offered to an authorised viewer who has the data unmasked."""
    if not (individual.is_protected and individual.person_revealed):
        return None
    return AuthoriseForm(
        users=users_who_may_see_individual(individual=individual).exclude(
            authorised_individuals=individual
        )
    )


@dataclass(frozen=True)
class _MeetingRow:
    """A meeting on the case page with the forms for the steps it still allows."""

    meeting: Meeting
    invitations: list[tuple[Invitation, forms.InvitationAnswerForm | None]]
    reschedule_form: forms.MeetingTimeForm | None
    cancel_form: forms.MeetingCancelForm | None


def _meeting_row(meeting: Meeting, *, changes: bool) -> _MeetingRow:
    # Only a planned meeting can be moved, cancelled or answered (the services refuse the rest).
    # auto_id is per object so the many small forms on one page keep unique element ids.
    if meeting.status != Meeting.Status.PLANNED or not changes:
        return _MeetingRow(
            meeting=meeting,
            invitations=[(invitation, None) for invitation in meeting.invitations.all()],
            reschedule_form=None,
            cancel_form=None,
        )
    return _MeetingRow(
        meeting=meeting,
        invitations=[
            (invitation, forms.InvitationAnswerForm(auto_id=f"svar{invitation.pk}_%s"))
            for invitation in meeting.invitations.all()
        ],
        reschedule_form=forms.MeetingTimeForm.for_meeting(
            meeting, auto_id=f"flytta{meeting.pk}_%s"
        ),
        cancel_form=forms.MeetingCancelForm(auto_id=f"installa{meeting.pk}_%s"),
    )


def _add_row_urls(case: Case, deadlines, meetings: list[_MeetingRow]) -> None:
    """The links each deadline, meeting and invitation row of the case page carries, without a
    reverse() per row."""
    deadline_report = url_for_each("sip:deviation_create_for_deadline", case.pk)
    for deadline, _signal in deadlines:
        deadline.report_url = deadline_report(deadline.pk)
    meeting_ics = url_for_each("sip:meeting_ics", case.pk)
    meeting_report = url_for_each("sip:deviation_create_for_meeting", case.pk)
    for row in meetings:
        meeting = row.meeting
        meeting.ics_url = meeting_ics(meeting.pk)
        meeting.report_url = meeting_report(meeting.pk)
        letter = url_for_each("sip:kallelse_pdf", case.pk, meeting.pk)
        for invitation, _form in row.invitations:
            invitation.letter_url = letter(invitation.participant_id)


@login_required
def case_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_or_404(request, pk)
    detail = case_detail(case=case)
    # The state machine decides which case steps are offered; the page never restates its rules.
    # Each form is built only when its step is offered (building one copies all its fields).
    step_forms = {
        "refuse_consent": (
            Case.Status.CONSENT_REFUSED,
            lambda: forms.ConsentRefuseForm(auto_id="neka_%s"),
        ),
        "cancel": (Case.Status.CANCELLED, lambda: forms.CaseEndForm(auto_id="avbryt_%s")),
        "close": (Case.Status.CLOSED, lambda: forms.CaseEndForm(auto_id="avsluta_%s")),
        "reopen": (Case.Status.REOPENED, forms.CaseReopenForm),
    }
    # A viewer who may not change the case sees it without any of the step forms.
    changes = case.viewer_can_change
    steps = {
        name: build() if changes and case.can_move_to(status) else None
        for name, (status, build) in step_forms.items()
    }
    consents = [
        (
            consent,
            None
            if consent.withdrawn_at or not changes
            else forms.ConsentWithdrawForm(auto_id=f"aterkalla{consent.pk}_%s"),
        )
        for consent in detail.consents
    ]
    deadlines = deadline_rows(
        deadlines=detail.deadlines, agreement_id=case.agreement_id, now=timezone.now()
    )
    meetings = [_meeting_row(meeting, changes=changes) for meeting in detail.meetings]
    _add_row_urls(case, deadlines, meetings)
    return render(
        request,
        "sip/case_detail.html",
        {
            "detail": detail,
            "deadlines": deadlines,
            "case": case,
            "steps": steps,
            "consents": consents,
            "meetings": meetings,
            "unmask_form": None
            if case.person_revealed or not case.viewer_authorised
            else UnmaskForm(initial={"case": case.pk}),
        },
    )


def _form_page(request, case, form, title, extra=None):
    return render(
        request, "sip/form.html", {"case": case, "form": form, "title": title, **(extra or {})}
    )


def _step(
    request: HttpRequest,
    case: Case,
    form: django_forms.Form,
    *,
    title: str,
    run: Callable[[dict], object],
    done: str,
) -> HttpResponse:
    """Run one posted step: bad input or a refused step re-shows the form with the Swedish
    message (the service's transaction has rolled back); success returns to the case page."""
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("sip:case_detail", pk=case.pk)
    return _form_page(request, case, form, title)


@login_required
@require_POST
def consent_refuse(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    return _step(
        request,
        case,
        forms.ConsentRefuseForm(request.POST),
        title=_("Samtycke nekat"),
        run=lambda data: services.consent_refuse(case=case, reason=data["reason"], by=request.user),
        done=_("Ärendet är registrerat som samtycke nekat."),
    )


@login_required
@require_POST
def consent_withdraw(request: HttpRequest, pk: int, consent_pk: int) -> HttpResponse:
    case = _case(request, pk)
    consent = get_object_or_404(case.consents, pk=consent_pk)
    return _step(
        request,
        case,
        forms.ConsentWithdrawForm(request.POST),
        title=_("Återkalla samtycke"),
        run=lambda data: services.consent_withdraw(consent=consent, by=request.user, **data),
        done=_("Samtycket är återkallat."),
    )


@login_required
@require_POST
def case_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    return _step(
        request,
        case,
        forms.CaseEndForm(request.POST),
        title=_("Avbryt ärendet"),
        run=lambda data: services.case_cancel(case=case, reason=data["reason"], by=request.user),
        done=_("Ärendet är avbrutet."),
    )


@login_required
@require_POST
def case_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    return _step(
        request,
        case,
        forms.CaseEndForm(request.POST),
        title=_("Avsluta ärendet"),
        run=lambda data: services.case_close(case=case, reason=data["reason"], by=request.user),
        done=_("Ärendet är avslutat."),
    )


@login_required
@require_POST
def case_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    return _step(
        request,
        case,
        forms.CaseReopenForm(request.POST),
        title=_("Återöppna ärendet"),
        run=lambda data: services.case_reopen(case=case, by=request.user),
        done=_("Ärendet är återöppnat."),
    )


@login_required
@require_POST
def meeting_reschedule(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    case = _case(request, pk)
    meeting = _meeting(case, meeting_pk)
    return _step(
        request,
        case,
        forms.MeetingTimeForm(request.POST),
        title=_("Ändra tid eller plats"),
        run=lambda data: services.meeting_reschedule(meeting=meeting, by=request.user, **data),
        done=_("Mötet är ändrat. Har kallelsen gått ut får alla en uppdatering."),
    )


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    case = _case(request, pk)
    meeting = _meeting(case, meeting_pk)
    return _step(
        request,
        case,
        forms.MeetingCancelForm(request.POST),
        title=_("Ställ in mötet"),
        run=lambda data: services.meeting_cancel(
            meeting=meeting, reason=data["reason"], by=request.user
        ),
        done=_("Mötet är inställt. Har kallelsen gått ut får alla en avbokning."),
    )


@login_required
@require_POST
def invitation_answer(
    request: HttpRequest, pk: int, meeting_pk: int, invitation_pk: int
) -> HttpResponse:
    case = _case(request, pk)
    invitation = get_object_or_404(
        _meeting(case, meeting_pk).invitations.select_related("meeting", "participant"),
        pk=invitation_pk,
    )
    return _step(
        request,
        case,
        forms.InvitationAnswerForm(request.POST),
        title=_("Svar på kallelse: %s") % invitation.participant,
        run=lambda data: services.invitation_answer(invitation=invitation, by=request.user, **data),
        done=_("Svaret är registrerat."),
    )


@login_required
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = forms.ConsentForm(request.POST or None, individual=case.individual)
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
            messages.success(request, _("Samtycket är registrerat."))
            return redirect("sip:case_detail", pk=case.pk)
    return _form_page(request, case, form, _("Registrera samtycke"))


@login_required
def participant_create(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = forms.ParticipantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.participant_add(case=case, by=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("sip:case_detail", pk=case.pk)
    return _form_page(request, case, form, _("Lägg till deltagare"))


@login_required
@require_POST
def participant_remove(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    case = _case(request, pk)
    participant = get_object_or_404(case.participants.all(), pk=participant_pk)
    try:
        services.participant_remove(participant=participant, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Deltagaren är borttagen och verksamheten har inte längre tillgång till ärendet."),
        )
    return redirect("sip:case_detail", pk=case.pk)


@login_required
@require_POST
def kallelse_send(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    case = _case(request, pk)
    try:
        services.kallelse_send(meeting=_meeting(case, meeting_pk), by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Kallelsen är skickad."))
    return redirect("sip:case_detail", pk=case.pk)


@login_required
def meeting_held(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    case = _case(request, pk)
    meeting = _meeting(case, meeting_pk)
    # Those who accepted are ticked to start with; the coordinator corrects who really came.
    accepted = meeting.invitations.filter(response=Invitation.Response.ACCEPTED).values_list(
        "participant_id", flat=True
    )
    form = forms.MeetingHeldForm(
        request.POST or None, meeting=meeting, initial={"attended": list(accepted)}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_record_held(
                meeting=meeting,
                attended=form.cleaned_data["attended"],
                excused=form.cleaned_data["excused"],
                notes=form.cleaned_data["notes"],
                by=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Mötet är registrerat som hållet."))
            return redirect("sip:case_detail", pk=case.pk)
    return _form_page(request, case, form, _("Registrera mötet som hållet"))


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def plan_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_or_404(request, pk, action=AccessLogEntry.Action.PDF)
    plan = plan_get(
        case=case,
        version=int(request.GET["version"]) if request.GET.get("version", "").isdigit() else None,
    )
    if plan is None:
        raise Http404
    # Print the person as this viewer may see them (masked unless unmasked).
    plan.case = case
    return _file(
        plan_pdf(plan=plan), "application/pdf", f"{case.reference}-plan-v{plan.version}.pdf"
    )


@login_required
def kallelse_pdf_download(
    request: HttpRequest, pk: int, meeting_pk: int, participant_pk: int
) -> HttpResponse:
    case = get_case_or_404(request, pk, action=AccessLogEntry.Action.PDF)
    meeting = _meeting(case, meeting_pk)
    participant = get_object_or_404(case.participants.select_related("unit"), pk=participant_pk)
    return _file(
        kallelse_letter_pdf(meeting=meeting, participant=participant),
        "application/pdf",
        f"{case.reference}-kallelse-{participant.pk}.pdf",
    )


@login_required
def meeting_ics_download(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    case = get_case_or_404(request, pk, action=AccessLogEntry.Action.ICS)
    meeting = _meeting(case, meeting_pk)
    method = Method.CANCEL if meeting.status == Meeting.Status.CANCELLED else Method.REQUEST
    recipients = meeting_recipients(
        meeting=meeting, with_person=not identity_hidden(case.individual)
    )
    ics = meeting_ics(meeting=meeting, recipients=recipients, method=method)
    return _file(
        ics, f"text/calendar; method={method.value}", f"{case.reference}-mote-{meeting.pk}.ics"
    )
