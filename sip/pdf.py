"""Printable PDFs in Swedish: the plan (for reading and signing) and the kallelse letter for units
without system access. Addresses of persons with protected identity are never printed."""

import io
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from deadlines.calendar import STOCKHOLM
from sip.models import Meeting, Participant, Plan

_STYLES = getSampleStyleSheet()
_CELL = _STYLES["BodyText"].clone("cell", fontSize=8, leading=10)


def _p(text: str, style: str = "BodyText") -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), _STYLES[style])


def _cell(text: str) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), _CELL)


def _day(value) -> str:
    return value.isoformat() if value else "–"


def _build(story: list, *, title: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="Samordna",
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
    )
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def _footer(canvas, document) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 7)
    canvas.drawString(20 * mm, 10 * mm, document.title)
    canvas.drawRightString(190 * mm, 10 * mm, _("Sida %d") % document.page)
    canvas.restoreState()


def _table(rows: list[list], widths: list[float], heights: list | None = None) -> Table:
    table = Table(rows, colWidths=widths, rowHeights=heights, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e9ecef")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def plan_pdf(*, plan: Plan) -> bytes:
    case = plan.case
    individual = case.individual
    title = _("Samordnad individuell plan – %(reference)s, version %(version)d") % {
        "reference": case.reference,
        "version": plan.version,
    }
    story: list = [
        _p(_("Samordnad individuell plan (SIP)"), "Title"),
        _p(
            _("Ärende %(reference)s · version %(version)d · upprättad %(day)s")
            % {
                "reference": case.reference,
                "version": plan.version,
                "day": date_format(timezone.localtime(plan.created_at), "Y-m-d"),
            }
        ),
        _p(_("Namn: %(name)s") % {"name": individual.full_name}),
        _p(_("Person-/samordningsnummer: %(id)s") % {"id": individual.id_display}),
        Spacer(1, 4 * mm),
    ]
    for heading, text in (
        (_("Mina mål"), plan.own_goals),
        (_("Mina synpunkter"), plan.own_views),
        (_("Behov"), plan.needs),
    ):
        story += [_p(heading, "Heading3"), _p(text or "–")]

    story.append(_p(_("Insatser"), "Heading3"))
    interventions = list(plan.interventions.all())
    if interventions:
        rows = [
            [
                _cell(_("Insats")),
                _cell(_("Ansvarig huvudman / verksamhet")),
                _cell(_("Utförare")),
                _cell(_("Omfattning")),
                _cell(_("Period")),
                _cell(_("Uppföljning")),
            ]
        ]
        for item in interventions:
            rows.append(
                [
                    _cell(item.description),
                    _cell(f"{item.huvudman.name} / {item.unit.name}"),
                    _cell(item.performer),
                    _cell(item.scope),
                    _cell(f"{_day(item.starts_on)} – {_day(item.ends_on)}"),
                    _cell(item.follow_up),
                ]
            )
        story.append(_table(rows, [40 * mm, 32 * mm, 24 * mm, 22 * mm, 24 * mm, 28 * mm]))
    else:
        story.append(_p(_("Inga insatser.")))

    no_interventions = list(plan.no_interventions.all())
    if no_interventions:
        story.append(_p(_("Verksamheter som inte behöver göra insatser"), "Heading3"))
        for item in no_interventions:
            story.append(_p(f"{item.unit.name}: {item.reason}"))
    story += [
        _p(_("Insatser av andra än region och kommun"), "Heading3"),
        _p(plan.other_measures or "–"),
        _p(_("Ansvar"), "Heading3"),
        _p(
            _("Huvudansvarig: %(name)s, %(unit)s")
            % {"name": plan.lead_name, "unit": plan.lead_unit.name}
        ),
        _p(
            _("Samordnare: %(name)s, %(unit)s")
            % {"name": plan.coordinator_name, "unit": plan.coordinator_unit.name}
        ),
    ]
    if plan.plan_owner_unit_id:
        story.append(
            _p(
                _("Planansvarig: %(name)s, %(unit)s")
                % {"name": plan.plan_owner_name, "unit": plan.plan_owner_unit.name}
            )
        )
    story += [
        _p(_("Nästa uppföljning: %(day)s") % {"day": _day(plan.next_follow_up)}),
        Spacer(1, 10 * mm),
        _p(_("Underskrifter"), "Heading3"),
    ]
    signature_rows = [
        [_cell(_("Namn")), _cell(_("Roll/verksamhet")), _cell(_("Datum")), _cell(_("Underskrift"))]
    ]
    signature_rows += [["", "", "", ""] for _row in range(6)]
    # Tall empty rows leave room for handwritten signatures.
    story.append(
        _table(signature_rows, [45 * mm, 45 * mm, 25 * mm, 55 * mm], [None] + [12 * mm] * 6)
    )
    return _build(story, title=title)


def kallelse_letter_pdf(*, meeting: Meeting, participant: Participant) -> bytes:
    """The letter for one participant: addressed to the unit, with time, place and contact."""
    case = meeting.case
    starts = meeting.starts_at.astimezone(STOCKHOLM)
    ends = meeting.ends_at.astimezone(STOCKHOLM)
    title = _("Kallelse till %(kind)s – %(reference)s") % {
        "kind": meeting.get_kind_display(),
        "reference": case.reference,
    }
    recipient = participant.organisation_name
    if participant.person_name:
        recipient = f"{participant.person_name}\n{recipient}"
    if participant.letter_address:
        recipient = f"{recipient}\n{participant.letter_address}"
    story: list = [
        _p(recipient),
        Spacer(1, 12 * mm),
        _p(title, "Title"),
        _p(
            _("Ni kallas till %(kind)s gällande %(name)s (ärende %(reference)s).")
            % {
                "kind": meeting.get_kind_display(),
                "name": case.individual.full_name,
                "reference": case.reference,
            }
        ),
        _p(
            _("Tid: %(day)s kl. %(start)s–%(end)s")
            % {
                "day": date_format(starts, "l j F Y"),
                "start": starts.strftime("%H:%M"),
                "end": ends.strftime("%H:%M"),
            }
        ),
    ]
    if meeting.place:
        story.append(_p(_("Plats: %s") % meeting.place))
    if meeting.video_link:
        story.append(_p(_("Videolänk: %s") % meeting.video_link))
    if not meeting.includes_individual:
        story.append(_p(_("Mötet hålls utan den enskilde.")))
    coordinator = case.coordinator
    contact = ", ".join(filter(None, [str(coordinator), coordinator.phone, coordinator.email]))
    story += [
        _p(_("Kallande verksamhet: %s") % case.convening_unit.name),
        _p(_("Kontaktperson: %s") % contact),
        Spacer(1, 6 * mm),
        _p(
            _(
                "Meddela kontaktpersonen om ni kan delta. Kan ni inte delta, ange skälet och om "
                "någon annan från er verksamhet kommer i ert ställe."
            )
        ),
    ]
    return _build(story, title=title)
