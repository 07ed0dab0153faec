"""Placement pages. Each view finds the placement through placement_list_for_user (404 for
others, 403 for a step only the placing social services may take), logs the read as an access to
the placed person (one entry per request, one per row on the list), masks a protected person,
lets a form check the input and one service do the work; a refused step re-shows the form with its
Swedish message and nothing is written."""

from collections.abc import Callable

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from config.exceptions import ApplicationError
from sip.access.models import AccessLogEntry
from sip.access.services import Read, access_log_record, access_log_record_rows
from sip.access.shortcuts import get_individual_or_404, person_shown, reveals
from sip.models import Individual
from sip.placements import forms, services
from sip.placements.models import CostShare, ExaminationRequest, Placement
from sip.placements.selectors import (
    examination_unit_choices,
    huvudman_choices,
    party_unit_choices,
    placement_actor_meetings,
    placement_detail,
    placement_get_for_user,
    placement_interventions,
    placement_is_placing_team,
    placement_list_for_user,
    placing_team_users,
    user_placing_units,
)
from sip.selectors import case_list_for_user

PLACEMENTS_PER_PAGE = 50


def _placement(request: HttpRequest, pk: int, *, change: bool = False) -> Placement:
    """The placement, if the user may see it (and act for the placing social services, with
    change=True), logged as an access to its person, who is masked unless revealed.

    The placement carries `person_revealed` for the page.
    """
    placement = placement_get_for_user(user=request.user, pk=pk)
    if placement is None:
        raise Http404
    if change and not placement_is_placing_team(placement=placement, user=request.user):
        # Other viewers (SIP participants, cost-split parties) see the placement already, so
        # its existence is no secret: refuse plainly.
        raise PermissionDenied
    access_log_record(
        request=request,
        action=AccessLogEntry.Action.CHANGE
        if request.method == "POST"
        else AccessLogEntry.Action.VIEW,
        individual=placement.individual,
        case=placement.case if placement.case_visible else None,
        unit_id=placement.viewer_unit_id,
    )
    authorised = placement.viewer_authorised
    placement.person_revealed = reveals(request, placement.individual, authorised=authorised)
    placement.individual = person_shown(request, placement.individual, authorised=authorised)
    return placement


@login_required
def placement_list(request: HttpRequest) -> HttpResponse:
    placements = placement_list_for_user(user=request.user)
    person = request.GET.get("person", "")
    if person.isdigit():
        placements = placements.filter(individual_id=int(person))
    page = Paginator(placements, PLACEMENTS_PER_PAGE).get_page(request.GET.get("sida"))
    rows = list(page.object_list)
    # Every row names a person: one access-log entry each, protected persons masked.
    access_log_record_rows(
        request=request,
        rows=[
            Read(
                individual=placement.individual,
                case=placement.case if placement.case_visible else None,
                unit_id=placement.viewer_unit_id,
            )
            for placement in rows
        ],
    )
    for placement in rows:
        placement.individual = person_shown(
            request, placement.individual, authorised=placement.viewer_authorised
        )
    return render(
        request,
        "sip/placements/list.html",
        {"placements": rows, "page": page, "person": person if person.isdigit() else ""},
    )


@login_required
def placement_create(request: HttpRequest, individual_pk: int) -> HttpResponse:
    individual = get_individual_or_404(request, individual_pk)
    units = user_placing_units(user=request.user)
    form = forms.PlacementForm(
        request.POST or None,
        units=units,
        cases=case_list_for_user(user=request.user).filter(individual_id=individual.pk),
    )
    if request.method == "POST" and form.is_valid():
        try:
            placement = services.placement_register(
                # The service gets the stored person, never the masked copy the page shows.
                individual=Individual.objects.get(pk=individual.pk),
                by=request.user,
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Placeringen är registrerad."))
            return redirect("sip:placement_detail", pk=placement.pk)
    return render(
        request,
        "sip/placements/form.html",
        {
            "form": form,
            "individual": individual,
            "title": _("Registrera placering"),
            "no_units": not units.exists(),
        },
    )


@login_required
def placement_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk)
    detail = placement_detail(
        placement=placement, user=request.user, person_revealed=placement.person_revealed
    )
    team = detail.is_placing_team
    return render(
        request,
        "sip/placements/detail.html",
        {
            "placement": placement,
            "detail": detail,
            "end_form": forms.PlacementEndForm(auto_id="avsluta_%s")
            if team and not placement.is_ended
            else None,
            "joint_planning_form": forms.JointPlanningForm(auto_id="planering_%s")
            if team and placement.is_acute and not placement.joint_planning_invited_on
            else None,
            "authorise_form": forms.AuthoriseForm(
                auto_id="behorig_%s", users=placing_team_users(placement=placement)
            )
            if team and placement.protected_residence and detail.show_address
            else None,
            "examination_form": forms.ExaminationRequestForm(
                auto_id="undersokning_%s", units=examination_unit_choices(placement=placement)
            )
            if team
            else None,
        },
    )


def _step(
    request: HttpRequest,
    placement: Placement,
    form: django_forms.Form,
    *,
    title: str,
    run: Callable[[dict], object],
    done: str,
) -> HttpResponse:
    """Run one posted step: bad input or a refused step re-shows the form with the message (the
    service's transaction has rolled back); success returns to the placement page."""
    if form.is_valid():
        try:
            run(form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("sip:placement_detail", pk=placement.pk)
    return render(
        request,
        "sip/placements/form.html",
        {"form": form, "placement": placement, "title": title},
    )


@login_required
@require_POST
def placement_end(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk, change=True)
    return _step(
        request,
        placement,
        forms.PlacementEndForm(request.POST),
        title=_("Avsluta placeringen"),
        run=lambda data: services.placement_end(placement=placement, by=request.user, **data),
        done=_("Placeringen är avslutad."),
    )


@login_required
@require_POST
def joint_planning_invited(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk, change=True)
    return _step(
        request,
        placement,
        forms.JointPlanningForm(request.POST),
        title=_("Inbjudan till gemensam planering"),
        run=lambda data: services.placement_record_joint_planning_invitation(
            placement=placement, by=request.user, **data
        ),
        done=_("Inbjudan till gemensam planering är registrerad."),
    )


@login_required
@require_POST
def placement_authorise(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk, change=True)
    return _step(
        request,
        placement,
        forms.AuthoriseForm(request.POST, users=placing_team_users(placement=placement)),
        title=_("Ge behörighet till vistelseorten"),
        run=lambda data: services.placement_authorise_user(
            placement=placement, user=data["user"], by=request.user
        ),
        done=_("Behörigheten är given."),
    )


@login_required
def cost_split_create(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk, change=True)
    data = request.POST or None
    form = forms.CostSplitForm(
        data,
        interventions=placement_interventions(placement=placement),
        parties=huvudman_choices(placement=placement),
        meetings=placement_actor_meetings(placement=placement),
    )
    shares = forms.CostShareFormSet(
        data, prefix="andel", form_kwargs={"units": party_unit_choices(placement=placement)}
    )
    if request.method == "POST" and form.is_valid() and shares.is_valid():
        try:
            services.cost_split_propose(
                placement=placement,
                by=request.user,
                shares=[
                    services.ShareData(unit=row["unit"], value=row["value"])
                    for row in shares.cleaned_data
                    if row
                ],
                **form.cleaned_data,
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Förslaget till kostnadsfördelning är registrerat."))
            return redirect("sip:placement_detail", pk=placement.pk)
    return render(
        request,
        "sip/placements/cost_split_form.html",
        {"placement": placement, "form": form, "shares": shares},
    )


def _share(placement: Placement, split_pk: int, share_pk: int) -> CostShare:
    return get_object_or_404(
        CostShare.objects.select_related("unit"),
        pk=share_pk,
        cost_split_id=split_pk,
        cost_split__placement=placement,
    )


@login_required
@require_POST
def cost_share_agree(request: HttpRequest, pk: int, split_pk: int, share_pk: int) -> HttpResponse:
    placement = _placement(request, pk)
    share = _share(placement, split_pk, share_pk)
    try:
        services.cost_share_agree(share=share, by=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Andelen är godkänd."))
    return redirect("sip:placement_detail", pk=placement.pk)


@login_required
@require_POST
def cost_share_decline(request: HttpRequest, pk: int, split_pk: int, share_pk: int) -> HttpResponse:
    placement = _placement(request, pk)
    share = _share(placement, split_pk, share_pk)
    return _step(
        request,
        placement,
        forms.CostShareDeclineForm(request.POST),
        title=_("Inte överens om kostnadsfördelningen"),
        run=lambda data: services.cost_share_decline(
            share=share, reason=data["reason"], by=request.user
        ),
        done=_("Kostnadsfördelningen är registrerad som ej överens."),
    )


@login_required
@require_POST
def examination_request(request: HttpRequest, pk: int) -> HttpResponse:
    placement = _placement(request, pk, change=True)
    return _step(
        request,
        placement,
        forms.ExaminationRequestForm(
            request.POST, units=examination_unit_choices(placement=placement)
        ),
        title=_("Begär undersökning"),
        run=lambda data: services.examination_request(placement=placement, by=request.user, **data),
        done=_("Begäran är registrerad."),
    )


@login_required
@require_POST
def examination_answer(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    placement = _placement(request, pk, change=True)
    examination = get_object_or_404(ExaminationRequest, pk=request_pk, placement=placement)
    return _step(
        request,
        placement,
        forms.ExaminationAnswerForm(request.POST),
        title=_("Registrera svar: %s") % examination.get_kind_display(),
        run=lambda data: services.examination_record_answer(
            request=examination, by=request.user, **data
        ),
        done=_("Svaret är registrerat."),
    )
