import pytest
from django.core.management import CommandError, call_command

from actors.models import Unit
from tests.actors.csvdata import GOOD

pytestmark = pytest.mark.django_db


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "katalog.csv"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")
    return path


def test_the_command_imports_a_file_as_the_given_user(good_file, admin_user, capsys):
    call_command("import_directory", str(good_file), "--user", admin_user.username)

    out = capsys.readouterr().out
    assert "4 nya" in out
    assert Unit.objects.get(key="lulea-ifo").history.get().history_user == admin_user


def test_the_command_dry_run_prints_the_preview_and_writes_nothing(good_file, capsys):
    call_command("import_directory", str(good_file), "--dry-run")

    out = capsys.readouterr().out
    assert "rad 2: Ny verksamhet lulea-ifo" in out
    assert not Unit.objects.exists()


def test_the_command_fails_on_a_bad_file_and_names_the_line(tmp_path, capsys):
    path = tmp_path / "fel.csv"
    path.write_text(GOOD.replace("bup;232100-0230", "rymd;232100-0230"), encoding="utf-8")

    with pytest.raises(CommandError, match="2 fel"):
        call_command("import_directory", str(path))

    err = capsys.readouterr().err
    assert "rad 4: Okänd verksamhetstyp ”rymd”." in err
    assert "rad 6: Verksamheten ”bup-lulea” har fel på rad 4." in err
    assert not Unit.objects.exists()


def test_the_command_refuses_an_unknown_user(good_file):
    with pytest.raises(CommandError, match="finns inte"):
        call_command("import_directory", str(good_file), "--user", "ingen")
