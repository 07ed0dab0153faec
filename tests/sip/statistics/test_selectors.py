"""Each indicator and each split against values worked out by hand from the world in conftest."""

import datetime as dt

import pytest

from sip.statistics import selectors
from sip.statistics.selectors import Dimension, ReportQuery, Scope, Split, report_build
from sip.statistics.suppression import publish
from tests.sip.statistics.conftest import YEAR_2025

pytestmark = pytest.mark.django_db

NATION = Scope(key="land", label="Hela landet", national=True)
GIRL, BOY, OTHER_CHILD = "barn:female", "barn:male", "barn:other"
WOMAN = "vuxna:female"


def build(scope=NATION, dimension=Dimension.UNIT, split=Split.GENDER, period=YEAR_2025):
    return report_build(ReportQuery(scope=scope, period=period, dimension=dimension, split=split))


def table(report, key):
    return next(table for table in report.tables if table.key == key)


def unit_key(world, name):
    return str(world.units[name].pk)


def test_it_counts_cases_started_with_consent_declined_held_and_closed_per_unit_and_gender(
    world, report_clock
):
    report = build()
    ifo, bup, other = (unit_key(world, name) for name in ("ifo", "bup", "annan"))

    # G1–G5 and B1–B2 opened at IFO, W1 at BUP, X1 at Annan; E1 opened in 2024.
    assert table(report, "started").cells == {
        (ifo, GIRL): 5,
        (ifo, BOY): 2,
        (bup, WOMAN): 1,
        (other, GIRL): 1,
    }
    # First consents in 2025: G1, G2, G3, B1, B2, W1. E1's second consent is not a first.
    assert table(report, "consented").cells == {(ifo, GIRL): 3, (ifo, BOY): 2, (bup, WOMAN): 1}
    assert table(report, "declined").cells == {(ifo, GIRL): 1}
    # SIP meetings held in 2025: G1, G2, E1 (opened 2024, met 2025), B1, B2, W1; G3's is planned.
    assert table(report, "sip_held").cells == {(ifo, GIRL): 3, (ifo, BOY): 2, (bup, WOMAN): 1}
    assert table(report, "closed").cells == {(ifo, BOY): 1}
    assert table(report, "follow_ups_held").cells == {(ifo, BOY): 1}


def test_it_counts_kallelser_and_meetings_within_their_deadline_leaving_out_undecided_ones(
    world, report_clock
):
    report = build()
    ifo, bup = unit_key(world, "ifo"), unit_key(world, "bup")

    # Kallelse: G3 late; G4's waived and G5's not yet due are left out.
    assert table(report, "kallelse_on_time").cells == {
        (ifo, GIRL): (2, 3),
        (ifo, BOY): (2, 2),
        (bup, WOMAN): (1, 1),
    }
    # Meeting: G3's is breached (decided, not on time), W1's was held two days late.
    assert table(report, "meeting_on_time").cells == {
        (ifo, GIRL): (2, 3),
        (ifo, BOY): (2, 2),
        (bup, WOMAN): (0, 1),
    }


def test_it_reads_cost_splits_from_the_deadline_clocks_of_the_cost_split_kind(world, report_clock):
    report = build()
    ifo = unit_key(world, "ifo")

    # G1 on time, G2 breached, B1 late; W1's waived clock is left out.
    assert table(report, "cost_split_on_time").cells == {(ifo, GIRL): (1, 2), (ifo, BOY): (0, 1)}


def test_it_finds_the_person_of_a_cost_split_clock_on_another_subject_through_its_path(
    world, report_clock, monkeypatch
):
    """A placement-like subject: the clock hangs on a meeting, whose case leads to the person."""
    monkeypatch.setitem(selectors.SUBJECT_PERSON_PATHS, "sip.meeting", "case__individual")
    meeting = world.cases["G1"].meetings.get()
    world.deadline(
        "G1",
        selectors.COST_SPLIT_KIND,
        subject=meeting,
        started=YEAR_2025.starts_at.replace(month=10),
        due_at=YEAR_2025.starts_at.replace(month=11),
        met=YEAR_2025.starts_at.replace(month=10, day=5),
    )

    report = build()

    assert table(report, "cost_split_on_time").cells[(unit_key(world, "ifo"), GIRL)] == (2, 3)


def test_it_gives_median_and_90th_percentile_of_working_days_for_every_cell_and_margin(
    world, report_clock
):
    report = build()
    ifo, bup = unit_key(world, "ifo"), unit_key(world, "bup")
    to_kallelse = table(report, "days_to_kallelse")
    to_meeting = table(report, "days_to_meeting")

    # Consent → kallelse: G1 2, G2 5, G3 7, B1 1, B2 1, W1 2. Sorted 1 1 2 2 5 7: median 2,
    # 90th percentile at position 4.5 → 5 + 0.5 · (7 - 5) = 6.
    assert to_kallelse.total == selectors.Stat(n=6, median=2.0, p90=6.0)
    # IFO 1 1 2 5 7: median 2, position 3.6 → 5 + 0.6 · 2 = 6.2.
    assert to_kallelse.by_group[ifo].n == 5
    assert to_kallelse.by_group[ifo].median == 2.0
    assert to_kallelse.by_group[ifo].p90 == pytest.approx(6.2)
    assert to_kallelse.by_group[bup] == selectors.Stat(n=1, median=2.0, p90=2.0)
    assert to_kallelse.by_column[GIRL].n == 3
    assert to_kallelse.cells[(ifo, BOY)] == selectors.Stat(n=2, median=1.0, p90=1.0)
    # Consent → meeting: G1 7, G2 10 (Easter), B1 10, B2 5 (11 Aug closed), W1 12; G3 none.
    # Sorted 5 7 10 10 12: median 10, position 3.6 → 10 + 0.6 · 2 = 11.2.
    assert to_meeting.total.n == 5
    assert to_meeting.total.median == 10.0
    assert to_meeting.total.p90 == pytest.approx(11.2)
    assert to_meeting.cells[(ifo, BOY)] == selectors.Stat(n=2, median=7.5, p90=pytest.approx(9.5))


def test_it_counts_active_units_and_those_that_convened_a_sip_in_the_period(world, report_clock):
    report = build()
    units = table(report, "units_convening")

    # IFO and BUP sent kallelser in 2025; the school and Annan did not (E1's kallelse was 2024).
    assert units.rows == {
        unit_key(world, "ifo"): (1, 1),
        unit_key(world, "skola"): (1, 0),
        unit_key(world, "bup"): (1, 1),
        unit_key(world, "annan"): (1, 0),
    }
    assert units.total == (4, 2)


def test_it_counts_units_per_agreement_among_the_parties_huvudmans_units(world, report_clock):
    units = table(build(dimension=Dimension.AGREEMENT), "units_convening")

    # Barn: kommun (IFO, school) and region (BUP); only IFO convened under it. Vuxna: BUP only.
    assert units.rows == {str(world.barn.pk): (3, 1), str(world.vuxna.pk): (1, 1)}
    assert units.total == (3, 2)


@pytest.mark.parametrize(
    ("dimension", "expected"),
    [
        (
            Dimension.MUNICIPALITY,
            {("norrby", GIRL): 5, ("norrby", BOY): 2, ("soderby", WOMAN): 1, ("vasterby", GIRL): 1},
        ),
        (
            Dimension.COUNTY_PART,
            {
                ("Norra länsdelen", GIRL): 5,
                ("Norra länsdelen", BOY): 2,
                ("Södra länsdelen", WOMAN): 1,
                (None, GIRL): 1,
            },
        ),
        (
            Dimension.HUVUDMAN,
            {("kommun", GIRL): 5, ("kommun", BOY): 2, ("region", WOMAN): 1, ("annan", GIRL): 1},
        ),
        (Dimension.AGREEMENT, {("barn", GIRL): 6, ("barn", BOY): 2, ("vuxna", WOMAN): 1}),
    ],
)
def test_it_groups_every_indicator_by_the_chosen_dimension(
    world, report_clock, dimension, expected
):
    keys = {
        "norrby": world.municipalities["norrby"].pk,
        "soderby": world.municipalities["soderby"].pk,
        "vasterby": world.municipalities["vasterby"].pk,
        "kommun": world.huvudman["kommun"].pk,
        "region": world.huvudman["region"].pk,
        "annan": world.huvudman["annan"].pk,
        "barn": world.barn.pk,
        "vuxna": world.vuxna.pk,
    }
    report = build(dimension=dimension)

    resolved = {
        (str(keys[group]) if group in keys else group, column): count
        for (group, column), count in expected.items()
    }
    assert table(report, "started").cells == resolved


def test_it_names_the_rows_and_puts_a_missing_county_part_last(world, report_clock):
    report = build(dimension=Dimension.COUNTY_PART)

    assert [group.label for group in report.groups] == [
        "Norra länsdelen",
        "Södra länsdelen",
        "(ingen länsdel)",
    ]


def test_it_splits_by_age_band_on_the_day_the_case_was_opened(world, report_clock):
    report = build(split=Split.AGE)
    ifo, bup, other = (unit_key(world, name) for name in ("ifo", "bup", "annan"))

    # Girls born 1 June 2015 are 9, boys born 10 January 2009 are 16, W1 born 1980 is 45.
    assert table(report, "started").cells == {
        (ifo, "6-12"): 5,
        (ifo, "13-17"): 2,
        (bup, "30-49"): 1,
        (other, "6-12"): 1,
    }
    assert [column.key for column in report.columns] == [
        "0-5",
        "6-12",
        "13-17",
        "18-20",
        "21-29",
        "30-49",
        "50-64",
        "65-",
    ]


def test_it_labels_gender_by_the_agreements_target_group(world, report_clock):
    report = build()

    assert [column.label for column in report.columns] == [
        "flicka",
        "pojke",
        "annan (barn och unga)",
        "kvinna",
        "man",
        "annan (vuxna)",
    ]


def test_it_shows_only_the_children_columns_when_the_scope_has_only_children(
    world, report_clock, steering_group
):
    scope = Scope(
        key="grupp",
        label="BUS Norra",
        unit_ids=(world.units["ifo"].pk,),
        municipality_ids=(world.municipalities["norrby"].pk,),
    )
    report = build(scope=scope)

    assert [column.key for column in report.columns] == [GIRL, BOY, OTHER_CHILD]
    assert set(table(report, "started").cells) == {
        (unit_key(world, "ifo"), GIRL),
        (unit_key(world, "ifo"), BOY),
    }


def test_it_gives_a_steering_group_its_units_its_municipalities_and_nothing_else(
    world, member, steering_group
):
    scopes = selectors.statistics_scopes_for_user(user=member)

    assert scopes == [
        Scope(
            key=f"grupp-{steering_group.pk}",
            label="BUS Norra",
            unit_ids=(world.units["ifo"].pk,),
            municipality_ids=(world.municipalities["norrby"].pk,),
        )
    ]


def test_it_gives_a_regional_group_its_whole_county(world, member, steering_group):
    steering_group.level = "regional"
    steering_group.save()

    (scope,) = selectors.statistics_scopes_for_user(user=member)

    assert scope.counties == ("03",)


def test_it_gives_a_manager_the_units_they_manage_and_a_coordinator_nothing(
    world, ifo_manager, coordinator, admin_user
):
    (managed,) = selectors.statistics_scopes_for_user(user=ifo_manager)

    assert managed.unit_ids == (world.units["ifo"].pk,)
    assert selectors.statistics_scopes_for_user(user=coordinator) == []
    assert selectors.statistics_scopes_for_user(user=admin_user)[0].national


def test_it_restricts_a_managers_report_to_the_cases_their_units_convened(
    world, report_clock, ifo_manager
):
    (scope,) = selectors.statistics_scopes_for_user(user=ifo_manager)

    report = build(scope=scope)

    assert table(report, "started").cells == {
        (unit_key(world, "ifo"), GIRL): 5,
        (unit_key(world, "ifo"), BOY): 2,
    }
    assert table(report, "units_convening").total == (1, 1)


def test_it_counts_nothing_outside_the_period(world, report_clock):
    report = build(
        period=selectors.Period(
            YEAR_2025.first.replace(year=2023), YEAR_2025.last.replace(year=2023)
        )
    )

    assert all(not table.cells for table in report.tables if hasattr(table, "cells"))


def test_it_refuses_a_scope_the_user_does_not_have(world, report_clock, member, ifo_manager):
    (scope,) = selectors.statistics_scopes_for_user(user=ifo_manager)
    query = ReportQuery(scope=scope, period=YEAR_2025)

    assert selectors.statistics_report(user=member, query=query) is None
    assert selectors.statistics_report(user=ifo_manager, query=query) is not None


def test_it_counts_a_cost_split_clock_whose_person_it_cannot_find_in_the_total_only(
    world, report_clock
):
    """A subject without a path in SUBJECT_PERSON_PATHS has no gender: no column, but the total."""
    world.deadline(
        "G1",
        selectors.COST_SPLIT_KIND,
        subject=world.units["skola"],
        started=YEAR_2025.starts_at.replace(month=10),
        due_at=YEAR_2025.starts_at.replace(month=11),
        met=YEAR_2025.starts_at.replace(month=10, day=5),
    )

    report = build()

    cells = table(report, "cost_split_on_time").cells
    assert cells[(unit_key(world, "ifo"), None)] == (1, 1)
    assert [column.key for column in report.columns][:3] == [GIRL, BOY, OTHER_CHILD]
    published = publish(report, scope_label="", dimension_label="", split_label="")
    cost = next(table for table in published.tables if table.key == "cost_split_on_time")
    # 2 of 4 on time at IFO: G1, the unknown person; G2 breached, B1 late. Too few to show.
    assert cost.total_row.total.text == "<5"


# --- deviation reports (D1–D10 in conftest) -----------------------------------------------------

MISSED, ABSENT, PLAN, INFO, COST, OTHER = (
    "missad_frist",
    "utebliven_narvaro",
    "plan_ej_foljd",
    "informationsoverforing",
    "kostnadstvist",
    "annat",
)


def test_it_counts_registered_deviation_reports_by_category_per_reporting_unit(world, report_clock):
    report = build()
    ifo, bup, other = (unit_key(world, name) for name in ("ifo", "bup", "annan"))
    by_category = table(report, "deviations_by_category")

    # D1–D3 and D6 at IFO, D4–D5 at BUP, D10 at Annan; D7 is a draft, D8 a dismissed draft and D9
    # was registered half an hour before 2025 began in Stockholm.
    assert by_category.cells == {
        (ifo, MISSED): 1,
        (ifo, ABSENT): 1,
        (ifo, PLAN): 1,
        (ifo, OTHER): 1,
        (bup, INFO): 1,
        (bup, COST): 1,
        (other, OTHER): 1,
    }
    assert [column.key for column in by_category.columns] == [
        MISSED,
        ABSENT,
        PLAN,
        INFO,
        COST,
        OTHER,
    ]
    assert by_category.columns_label == "Kategori"


def test_it_counts_deviation_reports_by_the_step_of_the_ladder_they_have_reached(
    world, report_clock
):
    report = build()
    ifo, bup, other = (unit_key(world, name) for name in ("ifo", "bup", "annan"))
    by_level = table(report, "deviations_by_level")

    # Step 1: D1, D6 (IFO) and D5 (BUP); D2 escalated to 2, D3 closed at 3; D4 (adults, no
    # ladder) and D10 stand at no level.
    assert by_level.cells == {
        (ifo, "1"): 2,
        (ifo, "2"): 1,
        (ifo, "3"): 1,
        (bup, selectors.NO_LEVEL): 1,
        (bup, "1"): 1,
        (other, selectors.NO_LEVEL): 1,
    }
    assert [column.label for column in by_level.columns] == [
        "Ingen nivå (berörda chefer)",
        "Steg 1",
        "Steg 2",
        "Steg 3",
    ]


def test_it_counts_a_report_at_the_level_it_has_reached_now_and_every_step_below_the_highest(
    world, report_clock
):
    """D2 is lifted to step 3 after the period: it counts there; step 2 stays, empty."""
    report_d2 = world.cases["G2"].deviation_reports.get(status="eskalerad")
    report_d2.level = world.levels[3]
    report_d2.save()

    by_level = table(build(), "deviations_by_level")

    assert by_level.cells[(unit_key(world, "ifo"), "3")] == 2
    assert (unit_key(world, "ifo"), "2") not in by_level.cells
    assert [column.key for column in by_level.columns] == [selectors.NO_LEVEL, "1", "2", "3"]


def test_it_splits_deviation_reports_by_the_persons_gender_and_keeps_reports_without_a_case(
    world, report_clock
):
    report = build()
    ifo, bup, other = (unit_key(world, name) for name in ("ifo", "bup", "annan"))
    by_person = table(report, "deviations")

    # D1, D2, D6 are about girls, D3 about a boy, D4 about a woman; D5 has no case.
    assert by_person.cells == {
        (ifo, GIRL): 3,
        (ifo, BOY): 1,
        (bup, WOMAN): 1,
        (bup, selectors.NO_CASE): 1,
        (other, GIRL): 1,
    }
    assert [column.label for column in by_person.columns] == [
        "flicka",
        "pojke",
        "annan (barn och unga)",
        "kvinna",
        "man",
        "annan (vuxna)",
        "utan ärende",
    ]
    assert by_person.columns_label == "Kön"
    # Every table counts every report once: 7 in all.
    for key in ("deviations", "deviations_by_category", "deviations_by_level"):
        assert sum(table(report, key).cells.values()) == 7


def test_it_splits_deviation_reports_by_age_on_the_day_they_were_registered(world, report_clock):
    by_person = table(build(split=Split.AGE), "deviations")
    ifo, bup, other = (unit_key(world, name) for name in ("ifo", "bup", "annan"))

    # Girls born 2015 and X1 born 2016 are 9, B1 (born January 2009) 16, W1 45.
    assert by_person.cells == {
        (ifo, "6-12"): 3,
        (ifo, "13-17"): 1,
        (bup, "30-49"): 1,
        (bup, selectors.NO_CASE): 1,
        (other, "6-12"): 1,
    }
    assert [column.key for column in by_person.columns][-1] == selectors.NO_CASE


def test_it_places_a_deviation_report_in_the_period_by_its_registration_in_stockholm_time(
    world, report_clock
):
    december = selectors.Period(dt.date(2024, 12, 1), dt.date(2024, 12, 31))
    january = selectors.Period(dt.date(2025, 1, 1), dt.date(2025, 1, 31))

    # D9 at 23:30 on New Year's Eve, D6 at 00:30 on New Year's Day (both 2024 in UTC).
    assert table(build(period=december), "deviations_by_category").cells == {
        (unit_key(world, "ifo"), MISSED): 1
    }
    assert table(build(period=january), "deviations_by_category").cells == {
        (unit_key(world, "ifo"), OTHER): 1
    }


def test_it_counts_a_draft_from_the_day_it_is_confirmed(world, report_clock):
    """D7 (a draft since April) confirmed in November counts as registered in November."""
    draft = world.cases["G1"].deviation_reports.get(status="utkast")
    draft.status = "registrerad"
    draft.registered_at = draft.created_at.replace(month=11)
    draft.save()
    april = selectors.Period(dt.date(2025, 4, 1), dt.date(2025, 4, 30))
    november = selectors.Period(dt.date(2025, 11, 1), dt.date(2025, 11, 30))

    assert table(build(period=april), "deviations_by_category").cells == {}
    assert table(build(period=november), "deviations_by_category").cells == {
        (unit_key(world, "ifo"), MISSED): 1
    }


def test_it_groups_deviation_reports_by_the_persons_home_and_a_report_without_a_case_as_unknown(
    world, report_clock
):
    report = build(dimension=Dimension.MUNICIPALITY)
    norrby, soderby, vasterby = (
        str(world.municipalities[name].pk) for name in ("norrby", "soderby", "vasterby")
    )

    assert table(report, "deviations_by_category").cells == {
        (norrby, MISSED): 1,
        (norrby, ABSENT): 1,
        (norrby, PLAN): 1,
        (norrby, OTHER): 1,
        (soderby, INFO): 1,
        (None, COST): 1,
        (vasterby, OTHER): 1,
    }
    assert report.groups[-1].label == "(okänd)"


def test_it_groups_deviation_reports_by_agreement_and_by_the_reporting_units_huvudman(
    world, report_clock
):
    by_agreement = table(build(dimension=Dimension.AGREEMENT), "deviations")
    by_huvudman = table(build(dimension=Dimension.HUVUDMAN), "deviations_by_level")
    barn, vuxna = str(world.barn.pk), str(world.vuxna.pk)
    kommun, region, annan = (str(world.huvudman[name].pk) for name in ("kommun", "region", "annan"))

    # D5 has no case but is filed under the children's agreement.
    assert by_agreement.cells == {
        (barn, GIRL): 4,
        (barn, BOY): 1,
        (barn, selectors.NO_CASE): 1,
        (vuxna, WOMAN): 1,
    }
    assert by_huvudman.cells == {
        (kommun, "1"): 2,
        (kommun, "2"): 1,
        (kommun, "3"): 1,
        (region, selectors.NO_LEVEL): 1,
        (region, "1"): 1,
        (annan, selectors.NO_LEVEL): 1,
    }


def test_a_steering_group_counts_the_deviation_reports_of_its_units_and_of_its_people_only(
    world, report_clock, member
):
    (scope,) = selectors.statistics_scopes_for_user(user=member)
    # BUP files a report about a boy living in Norrby: his home brings it into the group's scope.
    world.deviation(
        unit="bup",
        case="B2",
        category=INFO,
        registered=YEAR_2025.starts_at.replace(month=10),
    )

    report = build(scope=scope)

    # D1–D3 and D6 (IFO, people of Norrby) and the new one; not D4, D5 (BUP) or D10 (Västerby).
    assert table(report, "deviations").cells == {
        (unit_key(world, "ifo"), GIRL): 3,
        (unit_key(world, "ifo"), BOY): 1,
        (unit_key(world, "bup"), BOY): 1,
    }


def test_a_manager_counts_the_deviation_reports_their_units_filed(world, report_clock, ifo_manager):
    (scope,) = selectors.statistics_scopes_for_user(user=ifo_manager)

    cells = table(build(scope=scope), "deviations_by_category").cells

    assert cells == {
        (unit_key(world, "ifo"), MISSED): 1,
        (unit_key(world, "ifo"), ABSENT): 1,
        (unit_key(world, "ifo"), PLAN): 1,
        (unit_key(world, "ifo"), OTHER): 1,
    }


def test_it_suppresses_small_deviation_counts_so_that_no_total_reveals_them(
    world, report_clock, member
):
    """BUS Norra, per agreement (one row: the children's agreement), 15 more reports at IFO."""
    (scope,) = selectors.statistics_scopes_for_user(user=member)
    for step in (1, 2, 3):
        for n in range(5):
            world.deviation(
                unit="ifo",
                case="G1",
                category=MISSED,
                level=step,
                registered=YEAR_2025.starts_at.replace(month=11, day=1 + n),
            )
    report = build(scope=scope, dimension=Dimension.AGREEMENT)
    published = {
        published_table.key: published_table
        for published_table in publish(
            report, scope_label="", dimension_label="", split_label="Kön"
        ).tables
    }

    # Steps: none 0, 1: 2 + 5 = 7, 2: 1 + 5 = 6, 3: 1 + 5 = 6; 19 in all. The empty "no level"
    # cell is small: alone it would be 19 - 7 - 6 - 6, so the smaller 6 (step 2) is hidden too.
    by_level = published["deviations_by_level"]
    assert [cell.text for cell in by_level.rows[0].cells] == ["<5", "7", "x", "6"]
    assert by_level.rows[0].total.text == "19"
    assert [cell.text for cell in by_level.total_row.cells] == ["<5", "7", "x", "6"]
    # By category: missed 1 + 15 = 16, then 1, 1, 0, 0, 1: five small cells summing to 3.
    by_category = published["deviations_by_category"]
    assert [cell.text for cell in by_category.rows[0].cells] == ["16"] + ["<5"] * 5
    # Girls 3 + 15 = 18, one boy; no other children and none without a case.
    by_person = published["deviations"]
    assert [cell.text for cell in by_person.rows[0].cells] == ["18", "<5", "<5", "<5"]
    for published_table in published.values():
        if published_table.key.startswith("deviations"):
            assert published_table.total_row.total.text == "19"
