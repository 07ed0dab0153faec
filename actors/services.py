"""Writes to the actor directory: the CSV import (and its mirror, the export) and deactivation.

The CSV format is described in docs/directory-import.md. One file holds two kinds of rows:
units (`post` = verksamhet) and professionals (`post` = person). The export lives here, next to
the import, because both must agree on one column list for the round trip to hold.
"""

import csv
import enum
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from actors.models import County, Huvudman, Membership, Municipality, Unit, User
from actors.validators import normalize_organisationsnummer
from config.exceptions import ApplicationError

# Canonical header first, then accepted aliases (compared after _normalize_header).
COLUMNS: dict[str, tuple[str, ...]] = {
    "post": ("record", "radtyp"),
    "enhets_id": ("key", "unit_key", "enhet", "enhetsid"),
    "namn": ("name", "verksamhet"),
    "typ": ("kind", "verksamhetstyp"),
    "huvudman_orgnr": ("huvudman_organisationsnummer", "organisationsnummer", "orgnr"),
    "huvudman": ("huvudman_namn", "huvudman_name"),
    "huvudman_typ": ("huvudman_kind",),
    "huvudman_län": ("huvudman_county", "län"),
    "kommunkod": ("municipality_code", "kommun_kod"),
    "kommun": ("kommun_namn", "municipality_name", "municipality"),
    "kommun_län": ("municipality_county",),
    "länsdel": ("county_part",),
    "epost": ("e_post", "email", "mejl", "funktionsbrevlåda"),
    "telefon": ("phone",),
    "postadress": ("postal_address", "adress"),
    "hsa_id": ("hsa", "hsaid"),
    "systemtillgång": ("has_system_access", "har_systemtillgång"),
    "aktiv": ("is_active", "active"),
    "användarnamn": ("username",),
    "förnamn": ("first_name",),
    "efternamn": ("last_name",),
    "titel": ("title",),
    "roll": ("role",),
}
HEADER = list(COLUMNS)

UNIT_RECORD = "verksamhet"
PERSON_RECORD = "person"
_RECORD_WORDS = {
    "verksamhet": UNIT_RECORD,
    "enhet": UNIT_RECORD,
    "unit": UNIT_RECORD,
    "person": PERSON_RECORD,
    "yrkesperson": PERSON_RECORD,
    "anvandare": PERSON_RECORD,
    "professional": PERSON_RECORD,
    "user": PERSON_RECORD,
}
_ROLE_WORDS = {
    "handlaggare": Membership.Role.COORDINATOR,
    "samordnare": Membership.Role.COORDINATOR,
    "chef": Membership.Role.MANAGER,
}
_TRUE = {"ja", "j", "yes", "y", "true", "sant", "1", "x"}
_FALSE = {"nej", "n", "no", "false", "falskt", "0"}
_KOMMUNKOD = re.compile(r"^\d{4}$")
MAX_IMPORT_BYTES = 5 * 1024 * 1024


class RowStatus(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"

    @property
    def label(self) -> str:
        return {
            RowStatus.CREATED: _("Ny"),
            RowStatus.UPDATED: _("Ändras"),
            RowStatus.UNCHANGED: _("Oförändrad"),
        }[self]


@dataclass
class RowResult:
    line: int
    record: str
    key: str
    status: RowStatus
    changes: list[str] = field(default_factory=list)


@dataclass
class RowError:
    line: int
    message: str


@dataclass
class ImportResult:
    rows: list[RowResult]
    errors: list[RowError]
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def imported(self) -> bool:
        return self.ok and not self.dry_run

    def _count(self, status: RowStatus) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def created(self) -> int:
        return self._count(RowStatus.CREATED)

    @property
    def updated(self) -> int:
        return self._count(RowStatus.UPDATED)

    @property
    def unchanged(self) -> int:
        return self._count(RowStatus.UNCHANGED)


class _RowInvalid(Exception):
    """One cell of a row failed; the row is reported and the rest of it skipped."""


def _fold(value: str) -> str:
    """Lower-case and strip accents so 'Handläggare', 'handlaggare' and 'HANDLÄGGARE' match."""
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _verbose(instance: models.Model, name: str) -> str:
    return str(instance._meta.get_field(name).verbose_name)


def _normalize_header(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", _fold(value))


_HEADER_LOOKUP = {
    _normalize_header(alias): canonical
    for canonical, aliases in COLUMNS.items()
    for alias in (canonical, *aliases)
}


def decode_csv_bytes(*, data: bytes) -> str:
    """Decode an uploaded file as UTF-8, with or without the BOM Excel writes."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ApplicationError(_("Filen är för stor (högst 5 MB)."))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ApplicationError(
            _("Filen är inte sparad som UTF-8. Spara den som ”CSV UTF-8” och försök igen.")
        ) from exc


@dataclass
class _Tracked:
    """A huvudman, municipality or user the file mentions, with what the file says about it."""

    instance: models.Model
    is_new: bool
    declared: dict[str, tuple[object, int]] = field(default_factory=dict)
    changed: set[str] = field(default_factory=set)
    reported: bool = False


class _Importer:
    """Validates every row against the database, building the changes in memory; writes last.

    1. Parse the header and rows, keeping each record's first physical line number.
    2. Look up, in one query per model, every object the file names.
    3. Check unit rows, then person rows (so a person may belong to a unit new in the same file).
    4. Only if no row failed and it is not a dry run: save what changed, in one transaction.
    """

    def __init__(self, *, text: str, user: User | None) -> None:
        self.text = text.lstrip("\ufeff")
        self.user = user
        self.errors: list[RowError] = []
        self.rows: list[RowResult] = []
        self.columns: set[str] = set()
        self.huvudman: dict[str, _Tracked] = {}
        self.municipalities: dict[str, _Tracked] = {}
        self.users: dict[str, _Tracked] = {}
        self.units: dict[str, tuple[Unit, bool, int]] = {}
        self.memberships: dict[tuple[str, str], tuple[Membership, bool, int]] = {}
        self.hsa_lines: dict[str, int] = {}
        self.bad_unit_lines: dict[str, int] = {}

    # --- 1. parsing ------------------------------------------------------------------------------

    def parse(self) -> list[tuple[int, dict[str, str]]]:
        if not self.text.strip():
            self.errors.append(RowError(1, _("Filen är tom.")))
            return []
        first_line = self.text.split("\n", 1)[0]
        delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
        reader = csv.reader(io.StringIO(self.text, newline=""), delimiter=delimiter)
        records: list[tuple[int, dict[str, str]]] = []
        try:
            header = next(reader)
            names = self._parse_header(header)
            if self.errors:
                return []
            next_line = reader.line_num + 1
            for cells in reader:
                line, next_line = next_line, reader.line_num + 1
                if not any(cell.strip() for cell in cells):
                    continue
                if any(cell.strip() for cell in cells[len(names) :]):
                    self.errors.append(RowError(line, _("Raden har fler fält än rubrikraden.")))
                    continue
                records.append(
                    (
                        line,
                        {
                            name: cell.strip()
                            for name, cell in zip(names, cells, strict=False)
                            if name
                        },
                    )
                )
        except csv.Error as exc:
            self.errors.append(
                RowError(reader.line_num, _("Filen kan inte läsas som CSV: %s") % exc)
            )
        return records

    def _parse_header(self, header: list[str]) -> list[str]:
        names = []
        for raw in header:
            if not raw.strip():
                names.append("")
                continue
            name = _HEADER_LOOKUP.get(_normalize_header(raw))
            if name is None:
                self.errors.append(RowError(1, _("Okänd kolumn ”%s”.") % raw.strip()))
            elif name in self.columns:
                self.errors.append(RowError(1, _("Kolumnen ”%s” finns två gånger.") % name))
            else:
                self.columns.add(name)
            names.append(name or "")
        if "enhets_id" not in self.columns:
            self.errors.append(RowError(1, _("Kolumnen ”enhets_id” saknas.")))
        return names

    def _require_columns(self, records: list[tuple[int, dict[str, str]]]) -> None:
        kinds = {record for record, _line, _cells in records}
        required = {
            UNIT_RECORD: ("namn", "typ", "huvudman_orgnr"),
            PERSON_RECORD: ("användarnamn", "roll"),
        }
        for kind in (UNIT_RECORD, PERSON_RECORD):
            if kind not in kinds:
                continue
            for name in required[kind]:
                if name not in self.columns:
                    self.errors.append(
                        RowError(
                            1,
                            _("Kolumnen ”%(column)s” saknas (krävs för rader av typen %(kind)s).")
                            % {"column": name, "kind": kind},
                        )
                    )

    # --- helpers ---------------------------------------------------------------------------------

    def _fail(self, line: int, message: str) -> None:
        self.errors.append(RowError(line, message))
        raise _RowInvalid

    def _clean(self, line: int, model: type[models.Model], name: str, column: str, value: str):
        try:
            return model._meta.get_field(name).clean(value, None)
        except ValidationError as exc:
            self._fail(
                line,
                _("Kolumnen ”%(column)s”: %(message)s")
                % {"column": column, "message": " ".join(exc.messages)},
            )

    def _choice(self, line: int, choices: type[models.TextChoices], value: str, message: str):
        folded = _fold(value)
        if folded.isdigit() and choices is County:
            folded = folded.zfill(2)
        with translation.override("sv"):
            for code, label in choices.choices:
                if folded in (_fold(code), _fold(str(label))):
                    return code
        self._fail(line, message % value)

    def _check_email(self, line: int, value: str) -> None:
        if not value:
            return
        try:
            validate_email(value)
        except ValidationError:
            self._fail(line, _("Ogiltig e-postadress ”%s”.") % value)

    def _bool(self, line: int, column: str, value: str) -> bool:
        folded = _fold(value)
        if folded in _TRUE:
            return True
        if folded in _FALSE:
            return False
        self._fail(
            line,
            _("Kolumnen ”%(column)s” ska vara ”ja” eller ”nej”, inte ”%(value)s”.")
            % {"column": column, "value": value},
        )

    def _declare(self, line: int, tracked: _Tracked, name: str, value, what: str) -> None:
        """Record a value a row gives a shared object; rows that disagree are an error."""
        previous = tracked.declared.get(name)
        if previous is not None and previous[0] != value:
            self._fail(
                line,
                _("%(what)s: fältet ”%(field)s” motsäger rad %(line)s.")
                % {"what": what, "field": name, "line": previous[1]},
            )
        tracked.declared.setdefault(name, (value, line))
        if getattr(tracked.instance, name) != value:
            setattr(tracked.instance, name, value)
            if not tracked.is_new:
                tracked.changed.add(name)

    @staticmethod
    def _report(tracked: _Tracked, label: str) -> list[str]:
        """Describe a shared object's change once, on the first row that causes it."""
        if tracked.reported or not (tracked.is_new or tracked.changed):
            return []
        tracked.reported = True
        if tracked.is_new:
            return [_("ny %(what)s %(name)s") % {"what": label, "name": tracked.instance}]
        return [
            _("%(what)s %(name)s: %(fields)s")
            % {
                "what": label,
                "name": tracked.instance,
                "fields": ", ".join(
                    sorted(_verbose(tracked.instance, name) for name in tracked.changed)
                ),
            }
        ]

    @staticmethod
    def _set(instance: models.Model, values: dict[str, object]) -> list[str]:
        changed = []
        for name, value in values.items():
            if getattr(instance, name) != value:
                setattr(instance, name, value)
                changed.append(_verbose(instance, name))
        return changed

    # --- 2. and 3. validation --------------------------------------------------------------------

    def validate(self) -> None:
        parsed = self.parse()
        records = []
        for line, cells in parsed:
            word = cells.get("post", "")
            if word:
                record = _RECORD_WORDS.get(_fold(word))
                if record is None:
                    self.errors.append(
                        RowError(
                            line,
                            _("Okänd post ”%s” (ange ”verksamhet” eller ”person”).") % word,
                        )
                    )
                    continue
            else:
                record = PERSON_RECORD if cells.get("användarnamn") else UNIT_RECORD
            records.append((record, line, cells))
        self._require_columns(records)
        if any(error.line == 1 for error in self.errors):
            # Without a usable header every row would fail for the same reason.
            return
        self._prefetch(records)
        for record, line, cells in records:
            if record == UNIT_RECORD and not self._try(self._unit_row, line, cells):
                self.bad_unit_lines.setdefault(cells.get("enhets_id", ""), line)
        for record, line, cells in records:
            if record == PERSON_RECORD:
                self._try(self._person_row, line, cells)
        self.rows.sort(key=lambda row: row.line)
        self.errors.sort(key=lambda error: error.line)

    def _try(self, handler, line: int, cells: dict[str, str]) -> bool:
        try:
            handler(line, cells)
        except _RowInvalid:
            return False
        return True

    def _prefetch(self, records: list[tuple[str, int, dict[str, str]]]) -> None:
        unit_keys, orgnrs, codes, usernames, hsa_ids = set(), set(), set(), set(), set()
        for _record, _line, cells in records:
            unit_keys.add(cells.get("enhets_id", ""))
            codes.add(self._kommunkod(cells.get("kommunkod", "")))
            usernames.add(cells.get("användarnamn", ""))
            hsa_ids.add(cells.get("hsa_id", ""))
            try:
                orgnrs.add(normalize_organisationsnummer(cells.get("huvudman_orgnr", "")))
            except ValidationError:
                continue
        self.db_units = {
            unit.key: unit
            for unit in Unit.objects.filter(key__in=unit_keys).select_related(
                "huvudman", "municipality"
            )
        }
        self.db_huvudman = {
            h.organisationsnummer: h
            for h in Huvudman.objects.filter(organisationsnummer__in=orgnrs)
        }
        self.db_municipalities = {m.code: m for m in Municipality.objects.filter(code__in=codes)}
        self.db_users = {u.username: u for u in User.objects.filter(username__in=usernames)}
        self.db_memberships = {
            (m.user.username, m.unit.key): m
            for m in Membership.objects.filter(user__username__in=usernames).select_related(
                "user", "unit"
            )
        }
        hsa_ids.discard("")
        self.db_hsa = dict(Unit.objects.filter(hsa_id__in=hsa_ids).values_list("hsa_id", "key"))

    @staticmethod
    def _kommunkod(value: str) -> str:
        # Excel drops the leading zero of Stockholm county's codes (0180 becomes 180).
        return value.zfill(4) if value.isdigit() and len(value) < 4 else value

    def _huvudman_for(self, line: int, cells: dict[str, str]) -> _Tracked:
        try:
            orgnr = normalize_organisationsnummer(cells.get("huvudman_orgnr", ""))
        except ValidationError as exc:
            self._fail(
                line,
                _("Kolumnen ”huvudman_orgnr”: %(message)s (värde ”%(value)s”).")
                % {"message": " ".join(exc.messages), "value": cells.get("huvudman_orgnr", "")},
            )
        tracked = self.huvudman.get(orgnr)
        if tracked is None:
            existing = self.db_huvudman.get(orgnr)
            instance = existing or Huvudman(organisationsnummer=orgnr)
            tracked = _Tracked(instance=instance, is_new=existing is None)
        what = _("Huvudman %s") % orgnr
        values = {}
        if cells.get("huvudman"):
            values["name"] = self._clean(line, Huvudman, "name", "huvudman", cells["huvudman"])
        if cells.get("huvudman_typ"):
            values["kind"] = self._choice(
                line, Huvudman.Kind, cells["huvudman_typ"], _("Okänd huvudmannatyp ”%s”.")
            )
        if cells.get("huvudman_län"):
            values["county"] = self._choice(
                line, County, cells["huvudman_län"], _("Okänt län ”%s”.")
            )
        if tracked.is_new and not tracked.declared and len(values) < 3:
            self._fail(
                line,
                _(
                    "Huvudmannen med organisationsnummer %s finns inte i katalogen: ange "
                    "huvudman, huvudman_typ och huvudman_län så skapas den."
                )
                % orgnr,
            )
        for name, value in values.items():
            self._declare(line, tracked, name, value, what)
        self.huvudman[orgnr] = tracked
        return tracked

    def _municipality_for(self, line: int, cells: dict[str, str]) -> _Tracked | None:
        raw = cells.get("kommunkod", "")
        if not raw:
            return None
        code = self._kommunkod(raw)
        if not _KOMMUNKOD.match(code):
            self._fail(line, _("Kommunkoden ”%s” ska vara fyra siffror.") % raw)
        tracked = self.municipalities.get(code)
        if tracked is None:
            existing = self.db_municipalities.get(code)
            instance = existing or Municipality(code=code)
            tracked = _Tracked(instance=instance, is_new=existing is None)
        what = _("Kommun %s") % code
        values = {}
        if cells.get("kommun"):
            values["name"] = self._clean(line, Municipality, "name", "kommun", cells["kommun"])
        if cells.get("kommun_län"):
            values["county"] = self._choice(line, County, cells["kommun_län"], _("Okänt län ”%s”."))
        elif tracked.is_new and code[:2] in County.values:
            # The first two digits of a kommunkod are its county's code.
            values["county"] = code[:2]
        if cells.get("länsdel"):
            values["county_part"] = self._clean(
                line, Municipality, "county_part", "länsdel", cells["länsdel"]
            )
        if tracked.is_new and not tracked.declared and not {"name", "county"} <= set(values):
            self._fail(
                line,
                _(
                    "Kommunkoden %s finns inte i katalogen: ange kommun (namn) och kommun_län "
                    "så skapas den."
                )
                % code,
            )
        for name, value in values.items():
            self._declare(line, tracked, name, value, what)
        self.municipalities[code] = tracked
        return tracked

    def _unit_row(self, line: int, cells: dict[str, str]) -> None:
        key = self._clean(line, Unit, "key", "enhets_id", cells.get("enhets_id", ""))
        if key in self.units:
            self._fail(
                line,
                _("Enhets-id ”%(key)s” förekommer redan på rad %(line)s.")
                % {"key": key, "line": self.units[key][2]},
            )
        values: dict[str, object] = {
            "name": self._clean(line, Unit, "name", "namn", cells.get("namn", "")),
            "kind": self._choice(
                line, Unit.Kind, cells.get("typ", ""), _("Okänd verksamhetstyp ”%s”.")
            ),
        }
        self._check_email(line, cells.get("epost", ""))
        for column, name in (("epost", "email"), ("telefon", "phone"), ("hsa_id", "hsa_id")):
            if column in self.columns:
                values[name] = self._clean(line, Unit, name, column, cells.get(column, ""))
        if "postadress" in self.columns:
            address = "\n".join(
                part.strip() for part in cells.get("postadress", "").splitlines() if part.strip()
            )
            values["postal_address"] = address
        for column, name in (("systemtillgång", "has_system_access"), ("aktiv", "is_active")):
            if cells.get(column):
                values[name] = self._bool(line, column, cells[column])
        hsa_id = values.get("hsa_id")
        if hsa_id:
            if hsa_id in self.hsa_lines:
                self._fail(
                    line,
                    _("HSA-id ”%(hsa)s” förekommer redan på rad %(line)s.")
                    % {"hsa": hsa_id, "line": self.hsa_lines[hsa_id]},
                )
            holder = self.db_hsa.get(hsa_id)
            if holder is not None and holder != key:
                self._fail(
                    line,
                    _("HSA-id ”%(hsa)s” tillhör redan verksamheten ”%(key)s”.")
                    % {"hsa": hsa_id, "key": holder},
                )
        huvudman = self._huvudman_for(line, cells)
        municipality = self._municipality_for(line, cells)
        changes = self._report(huvudman, _("huvudman"))
        if municipality is not None:
            changes += self._report(municipality, _("kommun"))

        unit = self.db_units.get(key)
        is_new = unit is None
        if is_new:
            unit = Unit(key=key)
        if is_new or unit.huvudman_id is None or unit.huvudman_id != huvudman.instance.pk:
            unit.huvudman = huvudman.instance
            if not is_new:
                changes.append("huvudman")
        if municipality is not None:
            if is_new or unit.municipality_id != municipality.instance.pk:
                unit.municipality = municipality.instance
                if not is_new:
                    changes.append("kommun")
        elif "kommunkod" in self.columns and unit.municipality_id is not None:
            unit.municipality = None
            changes.append("kommun")
        changed_fields = self._set(unit, values)
        if not is_new:
            changes += changed_fields
        if hsa_id:
            self.hsa_lines[hsa_id] = line
        self.units[key] = (unit, is_new or bool(changes), line)
        status = (
            RowStatus.CREATED if is_new else RowStatus.UPDATED if changes else RowStatus.UNCHANGED
        )
        self.rows.append(RowResult(line, UNIT_RECORD, key, status, changes))

    def _person_row(self, line: int, cells: dict[str, str]) -> None:
        username = self._clean(
            line, User, "username", "användarnamn", cells.get("användarnamn", "")
        )
        unit_key = cells.get("enhets_id", "")
        if (username, unit_key) in self.memberships:
            self._fail(
                line,
                _("Användaren ”%(user)s” i ”%(key)s” förekommer redan på rad %(line)s.")
                % {
                    "user": username,
                    "key": unit_key,
                    "line": self.memberships[(username, unit_key)][2],
                },
            )
        if unit_key in self.units:
            unit = self.units[unit_key][0]
        elif unit_key in self.bad_unit_lines:
            self._fail(
                line,
                _("Verksamheten ”%(key)s” har fel på rad %(line)s.")
                % {"key": unit_key, "line": self.bad_unit_lines[unit_key]},
            )
        elif unit_key in self.db_units:
            unit = self.db_units[unit_key]
        else:
            self._fail(
                line,
                _("Okänt enhets-id ”%s”: verksamheten finns varken i katalogen eller i filen.")
                % unit_key,
            )
        role_word = cells.get("roll", "")
        role = _ROLE_WORDS.get(_fold(role_word)) or self._choice(
            line,
            Membership.Role,
            role_word,
            _("Okänd roll ”%s” (ange ”handläggare” eller ”chef”)."),
        )
        values = {}
        for column, name in (
            ("förnamn", "first_name"),
            ("efternamn", "last_name"),
            ("epost", "email"),
            ("telefon", "phone"),
            ("titel", "title"),
        ):
            if column in self.columns:
                value = cells.get(column, "")
                if name == "email":
                    self._check_email(line, value)
                values[name] = self._clean(line, User, name, column, value)
        is_active = self._bool(line, "aktiv", cells["aktiv"]) if cells.get("aktiv") else None

        tracked = self.users.get(username)
        if tracked is None:
            existing = self.db_users.get(username)
            tracked = _Tracked(
                instance=existing or User(username=username), is_new=existing is None
            )
        for name, value in values.items():
            self._declare(line, tracked, name, value, _("Användaren %s") % username)
        self.users[username] = tracked
        changes = self._report(tracked, _("användare"))

        membership = self.db_memberships.get((username, unit_key))
        is_new = membership is None
        if is_new:
            membership = Membership(user=tracked.instance, unit=unit)
            changes.append(_("nytt medlemskap"))
        membership_values: dict[str, object] = {"role": role}
        if is_active is not None:
            membership_values["is_active"] = is_active
        changed_fields = self._set(membership, membership_values)
        if not is_new:
            changes += changed_fields
        self.memberships[(username, unit_key)] = (membership, is_new or bool(changed_fields), line)
        status = (
            RowStatus.CREATED
            if is_new or tracked.is_new
            else RowStatus.UPDATED
            if changes
            else RowStatus.UNCHANGED
        )
        self.rows.append(
            RowResult(line, PERSON_RECORD, f"{username} @ {unit_key}", status, changes)
        )

    # --- 4. writing ------------------------------------------------------------------------------

    def _save(self, instance: models.Model) -> None:
        instance._history_user = self.user
        instance.save()

    def write(self) -> None:
        with transaction.atomic():
            for tracked in (*self.huvudman.values(), *self.municipalities.values()):
                if tracked.is_new or tracked.changed:
                    self._save(tracked.instance)
            for unit, dirty, _line in self.units.values():
                if dirty:
                    self._save(unit)
            for tracked in self.users.values():
                if tracked.is_new:
                    # Accounts made by import log in only after an admin or reset sets a password.
                    tracked.instance.set_unusable_password()
                if tracked.is_new or tracked.changed:
                    self._save(tracked.instance)
            for membership, dirty, _line in self.memberships.values():
                if dirty:
                    self._save(membership)


def directory_import(*, text: str, user: User | None, dry_run: bool) -> ImportResult:
    """Validate a directory CSV and, unless `dry_run` or any row is bad, upsert all of it.

    All-or-nothing: a single bad row means nothing is written. Rows whose values already match
    the directory are not saved, so re-importing a file adds no history rows.
    """
    importer = _Importer(text=text, user=user)
    importer.validate()
    result = ImportResult(rows=importer.rows, errors=importer.errors, dry_run=dry_run)
    if result.ok and not dry_run:
        importer.write()
    return result


def _yes_no(value: bool) -> str:
    return "ja" if value else "nej"


def directory_export_rows() -> Iterable[list[str]]:
    """The directory as import rows: every unit, then every membership, in a stable order."""
    yield HEADER
    units = Unit.objects.select_related("huvudman", "municipality").order_by("key")
    for unit in units.iterator(chunk_size=500):
        municipality = unit.municipality
        row = {
            "post": UNIT_RECORD,
            "enhets_id": unit.key,
            "namn": unit.name,
            "typ": unit.kind,
            "huvudman_orgnr": unit.huvudman.organisationsnummer,
            "huvudman": unit.huvudman.name,
            "huvudman_typ": unit.huvudman.kind,
            "huvudman_län": unit.huvudman.county,
            "kommunkod": municipality.code if municipality else "",
            "kommun": municipality.name if municipality else "",
            "kommun_län": municipality.county if municipality else "",
            "länsdel": municipality.county_part if municipality else "",
            "epost": unit.email,
            "telefon": unit.phone,
            "postadress": unit.postal_address,
            "hsa_id": unit.hsa_id,
            "systemtillgång": _yes_no(unit.has_system_access),
            "aktiv": _yes_no(unit.is_active),
        }
        yield [row.get(name, "") for name in HEADER]
    memberships = Membership.objects.select_related("user", "unit").order_by(
        "user__username", "unit__key"
    )
    for membership in memberships.iterator(chunk_size=500):
        person = membership.user
        row = {
            "post": PERSON_RECORD,
            "enhets_id": membership.unit.key,
            "epost": person.email,
            "telefon": person.phone,
            "aktiv": _yes_no(membership.is_active),
            "användarnamn": person.username,
            "förnamn": person.first_name,
            "efternamn": person.last_name,
            "titel": person.title,
            "roll": membership.role,
        }
        yield [row.get(name, "") for name in HEADER]


def directory_export_csv() -> str:
    """The whole directory as semicolon-separated UTF-8 with a BOM, as Swedish Excel expects."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    csv.writer(buffer, delimiter=";").writerows(directory_export_rows())
    return buffer.getvalue()


def unit_deactivate(*, unit: Unit, user: User) -> bool:
    """Deactivate a unit (units are never deleted once referenced). False if already inactive."""
    with transaction.atomic():
        if not unit.is_active:
            return False
        unit.is_active = False
        unit._history_user = user
        unit.save(update_fields=["is_active"])
        return True


def unit_access_group(*, unit: Unit) -> Group:
    """The unit's permission group, created on first use.

    The unit row is locked while the group is made, so two requests granting to the same new
    unit at once create one group, not two.
    """
    if unit.access_group_id:
        return unit.access_group
    with transaction.atomic():
        locked = Unit.objects.select_for_update().get(pk=unit.pk)
        if locked.access_group_id is None:
            locked.access_group = Group.objects.create(name=f"verksamhet-{unit.pk}")
            # A technical link, not an edit by anyone: no history row for it.
            locked.skip_history_when_saving = True
            locked.save(update_fields=["access_group"])
        unit.access_group = locked.access_group
        return unit.access_group
