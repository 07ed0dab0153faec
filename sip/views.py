"""Minimal SIP pages. Each view finds the case through case_list_for_user (404 for others), lets a
form check the input and one service do the work; a refused step shows its Swedish message."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from actors.models import Unit
from config.exceptions import ApplicationError
from sip import forms, services
from sip.emails import Method
from sip.ics import meeting_ics
from sip.models import Case, Invitation, Meeting
from sip.pdf import kallelse_letter_pdf, plan_pdf
from sip.selectors import (
    case_detail,
    case_get_for_user,
    case_ids_for_user,
    case_list_by_ids,
    case_list_for_user,
    individual_address_visible,
    individual_list_for_user,
    meeting_recipients,
    plan_get,
    user_units_for_convening,
)

CASES_PER_PAGE = 50


def _case(request: HttpRequest, pk: int) -> Case:
    case = case_get_for_user(user=request.user, pk=pk)
    if case is None:
        raise Http404
    return case


def _meeting(case: Case, meeting_pk: int) -> Meeting:
    return get_object_or_404(
        case.meetings.select_related(
            "case__individual", "case__coordinator", "case__convening_unit"
        ),
        pk=meeting_pk,
    )


def _case_units(case: Case):
    return (
        Unit.objects.filter(Q(pk=case.convening_unit_id) | Q(sip_participations__case=case))
        .select_related("huvudman")
        .distinct()
        .order_by("name")
    )


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(case_ids_for_user(user=request.user), CASES_PER_PAGE).get_page(
        request.GET.get("sida")
    )
    cases = case_list_by_ids(ids=list(page.object_list))
    return render(request, "sip/case_list.html", {"cases": cases, "page": page})


@login_required
def individual_create(request: HttpRequest) -> HttpResponse:
    form = forms.IndividualForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
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
            individual = services.individual_register(
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
            if existing:
                form.add_error(
                    "id_number",
                    format_html(
                        '{} <a href="{}">{}</a>',
                        exc.message,
                        reverse("sip:individual_detail", args=[existing]),
                        _("Gå till personen"),
                    ),
                )
            else:
                form.add_error(None, exc.message)
        else:
            return redirect("sip:individual_detail", pk=individual.pk)
    return render(request, "sip/individual_form.html", {"form": form})


@login_required
def individual_detail(request: HttpRequest, pk: int) -> HttpResponse:
    individual = get_object_or_404(individual_list_for_user(user=request.user), pk=pk)
    cases = case_list_for_user(user=request.user).filter(individual=individual)
    form = forms.CaseOpenForm(
        request.POST or None, units=user_units_for_convening(user=request.user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            case = services.case_open(
                individual=individual,
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
            "guardians": list(individual.guardians.all()),
            "show_address": individual_address_visible(individual=individual, user=request.user),
            "cases": cases,
            "form": form,
        },
    )


@dataclass(frozen=True)
class _MeetingRow:
    """A meeting on the case page with the forms for the steps it still allows."""

    meeting: Meeting
    invitations: list[tuple[Invitation, forms.InvitationAnswerForm | None]]
    reschedule_form: forms.MeetingTimeForm | None
    cancel_form: forms.MeetingCancelForm | None


def _meeting_row(meeting: Meeting) -> _MeetingRow:
    # Only a planned meeting can be moved, cancelled or answered (the services refuse the rest).
    # auto_id is per object so the many small forms on one page keep unique element ids.
    if meeting.status != Meeting.Status.PLANNED:
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


@login_required
def case_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    detail = case_detail(case=case)
    # The state machine decides which case steps are offered; the page never restates its rules.
    step_forms = {
        "refuse_consent": (Case.Status.CONSENT_REFUSED, forms.ConsentRefuseForm(auto_id="neka_%s")),
        "cancel": (Case.Status.CANCELLED, forms.CaseEndForm(auto_id="avbryt_%s")),
        "close": (Case.Status.CLOSED, forms.CaseEndForm(auto_id="avsluta_%s")),
        "reopen": (Case.Status.REOPENED, forms.CaseReopenForm()),
    }
    steps = {
        name: form if case.can_move_to(status) else None
        for name, (status, form) in step_forms.items()
    }
    consents = [
        (
            consent,
            None
            if consent.withdrawn_at
            else forms.ConsentWithdrawForm(auto_id=f"aterkalla{consent.pk}_%s"),
        )
        for consent in detail.consents
    ]
    return render(
        request,
        "sip/case_detail.html",
        {
            "detail": detail,
            "case": case,
            "steps": steps,
            "consents": consents,
            "meetings": [_meeting_row(meeting) for meeting in detail.meetings],
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
def meeting_create(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        send_now = data.pop("send_now")
        try:
            meeting = services.meeting_schedule(case=case, by=request.user, **data)
            if send_now:
                services.kallelse_send(meeting=meeting, by=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("sip:case_detail", pk=case.pk)
    return _form_page(request, case, form, _("Planera möte och kalla"))


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
    form = forms.MeetingHeldForm(request.POST or None, meeting=meeting)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_record_held(
                meeting=meeting,
                attended=form.cleaned_data["attended"],
                notes=form.cleaned_data["notes"],
                by=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("sip:case_detail", pk=case.pk)
    return _form_page(request, case, form, _("Registrera mötet som hållet"))


def _plan_initial(plan):
    if plan is None:
        return {}, [], []
    fields = [
        "own_goals",
        "own_views",
        "needs",
        "other_measures",
        "lead_name",
        "coordinator_name",
        "plan_owner_name",
        "next_follow_up",
    ]
    initial = {name: getattr(plan, name) for name in fields}
    initial |= {
        "lead_unit": plan.lead_unit_id,
        "coordinator_unit": plan.coordinator_unit_id,
        "plan_owner_unit": plan.plan_owner_unit_id,
    }
    interventions = [
        {
            "description": i.description,
            "unit": i.unit_id,
            "performer": i.performer,
            "scope": i.scope,
            "starts_on": i.starts_on,
            "ends_on": i.ends_on,
            "follow_up": i.follow_up,
        }
        for i in plan.interventions.all()
    ]
    none_needed = [{"unit": n.unit_id, "reason": n.reason} for n in plan.no_interventions.all()]
    return initial, interventions, none_needed


@login_required
def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a new plan version, pre-filled from the current one."""
    case = _case(request, pk)
    units = _case_units(case)
    initial, interventions, none_needed = _plan_initial(plan_get(case=case))
    data = request.POST or None
    form = forms.PlanForm(data, initial=initial, units=units)
    intervention_set = forms.InterventionFormSet(
        data, initial=interventions, prefix="insats", form_kwargs={"units": units}
    )
    none_set = forms.NoInterventionFormSet(
        data, initial=none_needed, prefix="ingen", form_kwargs={"units": units}
    )
    if request.method == "POST" and all(
        [form.is_valid(), intervention_set.is_valid(), none_set.is_valid()]
    ):
        plan_data = services.PlanData(
            **form.cleaned_data,
            interventions=[
                services.InterventionData(**row)
                for row in intervention_set.cleaned_data
                if row and not row.get("DELETE")
            ],
            no_interventions=[
                services.NoInterventionData(**row) for row in none_set.cleaned_data if row
            ],
        )
        try:
            plan = services.plan_save(case=case, data=plan_data, by=request.user)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Plan version %d är sparad.") % plan.version)
            return redirect("sip:case_detail", pk=case.pk)
    return render(
        request,
        "sip/plan_form.html",
        {"case": case, "form": form, "interventions": intervention_set, "none_needed": none_set},
    )


def _file(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
def plan_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case(request, pk)
    plan = plan_get(
        case=case,
        version=int(request.GET["version"]) if request.GET.get("version", "").isdigit() else None,
    )
    if plan is None:
        raise Http404
    return _file(
        plan_pdf(plan=plan), "application/pdf", f"{case.reference}-plan-v{plan.version}.pdf"
    )


@login_required
def kallelse_pdf_download(
    request: HttpRequest, pk: int, meeting_pk: int, participant_pk: int
) -> HttpResponse:
    case = _case(request, pk)
    meeting = _meeting(case, meeting_pk)
    participant = get_object_or_404(case.participants.select_related("unit"), pk=participant_pk)
    return _file(
        kallelse_letter_pdf(meeting=meeting, participant=participant),
        "application/pdf",
        f"{case.reference}-kallelse-{participant.pk}.pdf",
    )


@login_required
def meeting_ics_download(request: HttpRequest, pk: int, meeting_pk: int) -> HttpResponse:
    case = _case(request, pk)
    meeting = _meeting(case, meeting_pk)
    method = Method.CANCEL if meeting.status == Meeting.Status.CANCELLED else Method.REQUEST
    ics = meeting_ics(
        meeting=meeting, recipients=meeting_recipients(meeting=meeting), method=method
    )
    return _file(
        ics, f"text/calendar; method={method.value}", f"{case.reference}-mote-{meeting.pk}.ics"
    )
