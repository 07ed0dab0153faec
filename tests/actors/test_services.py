import pytest

from actors import services
from actors.models import Huvudman, Membership, Municipality, Unit, User
from actors.services import RowStatus
from tests import factories
from tests.actors.csvdata import GOOD, HEADER

pytestmark = pytest.mark.django_db


def history_count() -> int:
    return sum(model.history.count() for model in (Huvudman, Municipality, Unit, User, Membership))


def test_it_imports_units_huvudman_municipality_and_professionals(admin_user):
    result = services.directory_import(text=GOOD, user=admin_user, dry_run=False)

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (4, 0, 0)
    ifo = Unit.objects.select_related("huvudman", "municipality").get(key="lulea-ifo")
    assert ifo.kind == Unit.Kind.SOCIAL_IFO
    assert ifo.huvudman.organisationsnummer == "212000-2742"
    assert ifo.huvudman.county == "25"
    assert ifo.municipality.code == "2580"
    assert ifo.municipality.county == "25"  # derived from the kommunkod
    assert ifo.postal_address == "Box 1\n971 85 Luleå"
    bup = Unit.objects.get(key="bup-lulea")
    assert bup.huvudman.kind == Huvudman.Kind.REGION
    assert bup.has_system_access is False
    assert bup.hsa_id == "SE2321000230-1"
    anna = User.objects.get(username="anna.a")
    assert not anna.has_usable_password()
    assert dict(anna.memberships.values_list("unit__key", "role")) == {
        "lulea-ifo": Membership.Role.COORDINATOR,
        "bup-lulea": Membership.Role.MANAGER,
    }


def test_a_comma_separated_file_with_bom_and_english_headers_is_accepted(admin_user):
    text = (
        "\ufeffkey,name,kind,huvudman_organisationsnummer,huvudman_name,huvudman_kind,"
        "huvudman_county,municipality_code,municipality_name,email\n"
        "sthlm-bvc,BVC Norrmalm,bvc,232100-0016,Region Stockholm,region,1,180,Stockholm,\n"
    )
    result = services.directory_import(text=text, user=admin_user, dry_run=False)

    assert result.errors == []
    unit = Unit.objects.get(key="sthlm-bvc")
    # Excel drops leading zeros: "1" is county 01 and "180" is kommunkod 0180.
    assert unit.huvudman.county == "01"
    assert unit.municipality.code == "0180"


def test_a_file_with_one_bad_row_imports_nothing_and_names_the_line(admin_user):
    bad_orgnr_row = (
        "verksamhet;lulea-skola;Grundskola Luleå;Grundskola;212000-2743;Luleå kommun;"
        "kommun;25;2580;Luleå;;;;;;ja;ja;;;;\n"
    )
    # Line 1 header, 2-3 multi-line unit, 4 BUP, 5-6 persons, 7 the bad row.
    result = services.directory_import(text=GOOD + bad_orgnr_row, user=admin_user, dry_run=False)

    assert [error.line for error in result.errors] == [7]
    assert "kontrollsiffra" in result.errors[0].message
    assert not result.imported
    assert Unit.objects.count() == 0
    assert User.objects.filter(username="anna.a").count() == 0
    assert Huvudman.objects.count() == 0


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("verksamhet;x1;Namn;rymdstation;212000-2742;;;;;;;;;;;;;;;;", "Okänd verksamhetstyp"),
        ("verksamhet;x1;Namn;bup;212000-2742;;;;;;;inte-en-adress;;;;;;;;;", "Ogiltig e-post"),
        ("verksamhet;x1;Namn;bup;232100-0230;;;;;;;;;;;;;;;;", "finns inte i katalogen"),
        ("verksamhet;x1;;bup;212000-2742;;;;;;;;;;;;;;;;", "namn"),
        ("verksamhet;x1;Namn;bup;212000-2742;;;;;;;;;;;kanske;;;;;", "”ja” eller ”nej”"),
        ("person;okänd-enhet;;;;;;;;;;;;;;;;bo;Bo;Ek;chef", "Okänt enhets-id"),
        ("person;befintlig;;;;;;;;;;;;;;;;bo;Bo;Ek;vaktmästare", "Okänd roll"),
        ("person;befintlig;;;;;;;;;;fel@;;;;;;bo;Bo;Ek;chef", "Ogiltig e-post"),
        ("hemlig;befintlig;;;;;;;;;;;;;;;;bo;Bo;Ek;chef", "Okänd post"),
    ],
)
def test_each_kind_of_bad_row_gets_a_swedish_reason_with_its_line(admin_user, row, reason):
    factories.UnitFactory(key="befintlig", huvudman__organisationsnummer="212000-2742")

    result = services.directory_import(text=HEADER + row + "\n", user=admin_user, dry_run=True)

    assert len(result.errors) == 1
    assert result.errors[0].line == 2
    assert reason in result.errors[0].message


def test_a_duplicate_unit_key_in_the_file_is_refused_with_both_lines(admin_user):
    row = "verksamhet;dubbel;Namn;bup;212000-2742;Luleå kommun;kommun;25;;;;;;;;;;;;;\n"

    result = services.directory_import(text=HEADER + row + row, user=admin_user, dry_run=False)

    assert [error.line for error in result.errors] == [3]
    assert "rad 2" in result.errors[0].message
    assert Unit.objects.count() == 0


def test_a_missing_required_column_is_reported_on_the_header_line(admin_user):
    result = services.directory_import(
        text="enhets_id;namn\nabc;Namn\n", user=admin_user, dry_run=False
    )

    assert {error.line for error in result.errors} == {1}
    assert any("typ" in error.message for error in result.errors)


def test_the_dry_run_previews_and_writes_nothing(admin_user):
    before = history_count()

    result = services.directory_import(text=GOOD, user=admin_user, dry_run=True)

    assert result.ok
    assert [row.status for row in result.rows] == [RowStatus.CREATED] * 4
    assert [row.line for row in result.rows] == [2, 4, 5, 6]
    assert Unit.objects.count() == 0
    assert Huvudman.objects.count() == 0
    assert User.objects.filter(username="anna.a").count() == 0
    assert history_count() == before


def test_reimporting_the_same_file_changes_nothing_and_adds_no_history(admin_user):
    services.directory_import(text=GOOD, user=admin_user, dry_run=False)
    before = history_count()

    result = services.directory_import(text=GOOD, user=admin_user, dry_run=False)

    assert result.ok
    assert [row.status for row in result.rows] == [RowStatus.UNCHANGED] * 4
    assert history_count() == before


def test_a_changed_value_updates_the_row_and_reports_the_field(admin_user):
    services.directory_import(text=GOOD, user=admin_user, dry_run=False)

    result = services.directory_import(
        text=GOOD.replace("0920-45 30 00", "0920-45 30 01"), user=admin_user, dry_run=False
    )

    assert [row.status for row in result.rows] == [
        RowStatus.UPDATED,
        RowStatus.UNCHANGED,
        RowStatus.UNCHANGED,
        RowStatus.UNCHANGED,
    ]
    assert result.rows[0].changes == ["telefon"]
    assert Unit.objects.get(key="lulea-ifo").phone == "0920-45 30 01"


def test_history_rows_carry_the_importing_user(admin_user):
    services.directory_import(text=GOOD, user=admin_user, dry_run=False)

    for model in (Huvudman, Municipality, Unit, Membership):
        users = set(model.history.values_list("history_user", flat=True))
        assert users == {admin_user.pk}, model
    assert set(User.history.filter(username="anna.a").values_list("history_user", flat=True)) == {
        admin_user.pk
    }


def test_export_then_import_round_trips_unchanged(admin_user):
    membership = factories.MembershipFactory(role=Membership.Role.MANAGER, is_active=False)
    factories.UnitFactory(
        municipality=None,
        has_system_access=False,
        postal_address="Skolgatan 1\n721 00 Västerås",
        hsa_id="SE123-abc",
    )
    factories.MembershipFactory(user=membership.user)
    before = history_count()

    exported = services.directory_export_csv()
    result = services.directory_import(text=exported, user=admin_user, dry_run=False)

    assert exported.startswith("\ufeffpost;enhets_id;")
    assert result.errors == []
    assert len(result.rows) == 5
    assert {row.status for row in result.rows} == {RowStatus.UNCHANGED}
    assert history_count() == before


def test_unit_deactivate_keeps_the_unit_and_records_who(admin_user):
    unit = factories.UnitFactory()

    assert services.unit_deactivate(unit=unit, user=admin_user) is True
    assert services.unit_deactivate(unit=unit, user=admin_user) is False

    unit.refresh_from_db()
    assert unit.is_active is False
    assert unit.history.first().history_user == admin_user


def test_a_renamed_huvudman_is_updated_once_and_reported_on_its_first_row(admin_user):
    services.directory_import(text=GOOD, user=admin_user, dry_run=False)
    renamed = GOOD.replace("Luleå kommun", "Luleå kommun (socialförvaltningen)")

    result = services.directory_import(text=renamed, user=admin_user, dry_run=False)

    assert result.rows[0].status == RowStatus.UPDATED
    assert result.rows[0].changes == ["huvudman Luleå kommun (socialförvaltningen): namn"]
    huvudman = Huvudman.objects.get(organisationsnummer="212000-2742")
    assert huvudman.history.count() == 2
    assert huvudman.history.first().history_user == admin_user


def test_rows_that_describe_one_person_differently_are_refused(admin_user):
    text = GOOD.replace("anna@lulea.se;;;;;;anna.a", "anna@example.se;;;;;;anna.a")

    result = services.directory_import(text=text, user=admin_user, dry_run=False)

    assert [error.line for error in result.errors] == [6]
    assert "motsäger rad 5" in result.errors[0].message
