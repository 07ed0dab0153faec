"""Demo directory for `manage.py seed_demo`: two real counties with fictional units and people.

Organisation numbers are computed (valid format and check digit) and fictional; names of regions
and municipalities are real so that the demo feels like home to its users.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Model

from actors.models import County, Huvudman, Membership, Municipality, SteeringGroup, Unit, User
from actors.validators import luhn_check_digit

DEMO_PASSWORD = "samordna-demo"  # noqa: S105 - printed by `make run`; demo only

# (kommunkod, name, länsdel): Norrbus' five länsdelar (004)
# and Västmanland's four hospital areas (001).
NORRBOTTEN = [
    ("2580", "Luleå", "Luleå/Boden"),
    ("2582", "Boden", "Luleå/Boden"),
    ("2583", "Haparanda", "Östra Norrbotten"),
    ("2514", "Kalix", "Östra Norrbotten"),
    ("2513", "Överkalix", "Östra Norrbotten"),
    ("2518", "Övertorneå", "Östra Norrbotten"),
    ("2523", "Gällivare", "Malmfälten"),
    ("2510", "Jokkmokk", "Malmfälten"),
    ("2521", "Pajala", "Malmfälten"),
    ("2581", "Piteå", "Pite älvdal"),
    ("2560", "Älvsbyn", "Pite älvdal"),
    ("2505", "Arvidsjaur", "Pite älvdal"),
    ("2506", "Arjeplog", "Pite älvdal"),
    ("2584", "Kiruna", "Kiruna"),
]
VASTMANLAND = [
    ("1980", "Västerås", "Västerås"),
    ("1961", "Hallstahammar", "Västerås"),
    ("1907", "Surahammar", "Västerås"),
    ("1983", "Köping", "Köping"),
    ("1984", "Arboga", "Köping"),
    ("1960", "Kungsör", "Köping"),
    ("1981", "Sala", "Sala"),
    ("1982", "Fagersta", "Fagersta"),
    ("1962", "Norberg", "Fagersta"),
    ("1904", "Skinnskatteberg", "Fagersta"),
]
MUNICIPAL_UNITS = [
    (Unit.Kind.SOCIAL_IFO, "Socialtjänst IFO barn och unga"),
    (Unit.Kind.SOCIAL_LSS, "LSS-handläggning"),
    (Unit.Kind.SOCIAL_PSYCHIATRY, "Socialpsykiatri"),
    (Unit.Kind.PRESCHOOL, "Förskoleförvaltningen"),
    (Unit.Kind.PRIMARY_SCHOOL, "Centrumskolan"),
    (Unit.Kind.STUDENT_HEALTH, "Elevhälsan"),
]
REGIONAL_UNITS = [
    (Unit.Kind.CHILD_HEALTH, "Barnhälsovården"),
    (Unit.Kind.BUP, "BUP"),
    (Unit.Kind.PAEDIATRICS, "Barn- och ungdomsmedicin"),
    (Unit.Kind.HABILITATION, "Habiliteringscentrum"),
    (Unit.Kind.ADULT_PSYCHIATRY, "Vuxenpsykiatri"),
    (Unit.Kind.ADDICTION, "Beroendecentrum"),
    (Unit.Kind.DENTAL, "Folktandvården"),
    (Unit.Kind.YOUTH_CLINIC, "Ungdomsmottagningen"),
]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    first_name: str
    last_name: str
    unit_key: str | None
    role: str | None
    description: str


DEMO_LOGINS = [
    DemoLogin(
        "skola.samordnare",
        "Sara",
        "Lind",
        "2580-grundskola",
        Membership.Role.COORDINATOR,
        "handläggare i skola (Luleå kommun)",
    ),
    DemoLogin(
        "soc.handlaggare",
        "Johan",
        "Nilsson",
        "2580-soc_ifo",
        Membership.Role.COORDINATOR,
        "handläggare i socialtjänsten (Luleå kommun)",
    ),
    DemoLogin(
        "bup.samordnare",
        "Amina",
        "Hassan",
        "25-bup-2580",
        Membership.Role.COORDINATOR,
        "samordnare på BUP (Region Norrbotten)",
    ),
    DemoLogin(
        "chef.soc",
        "Eva",
        "Berg",
        "2580-soc_ifo",
        Membership.Role.MANAGER,
        "chef för socialtjänsten (Luleå kommun)",
    ),
    DemoLogin("admin", "Anders", "Ek", None, None, "administratör"),
]


def _upsert(model: type[Model], *, defaults: dict, **lookup) -> Model:
    """Create, or update only the fields that differ, so a second run writes no history."""
    instance = model.objects.filter(**lookup).first()
    if instance is None:
        return model.objects.create(**lookup, **defaults)
    changed = [name for name, value in defaults.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, defaults[name])
        instance.save(update_fields=changed)
    return instance


def _orgnr(nine: str) -> str:
    return f"{nine[:6]}-{nine[6:]}{luhn_check_digit(nine)}"


def _huvudman(*, name: str, kind: str, county: str, nine: str) -> Huvudman:
    return _upsert(
        Huvudman,
        organisationsnummer=_orgnr(nine),
        defaults={"name": name, "kind": kind, "county": county},
    )


def _unit(
    *,
    key: str,
    huvudman: Huvudman,
    name: str,
    kind: str,
    municipality: Municipality,
    has_system_access: bool = True,
) -> Unit:
    return _upsert(
        Unit,
        key=key,
        defaults={
            "huvudman": huvudman,
            "name": name,
            "kind": kind,
            "municipality": municipality,
            "email": f"{key}@demo.samordna.se",
            "phone": "010-000 00 00",
            "postal_address": f"{name}\nBox 1\n{municipality.name}",
            "has_system_access": has_system_access,
            "is_active": True,
        },
    )


@transaction.atomic
def seed_directory() -> list[DemoLogin]:
    """Create or refresh the demo directory. Running it again changes nothing.

    1. Regions, municipalities (with länsdel) and their huvudmän.
    2. Units: municipal units in every municipality, regional units in each county's largest
       town, plus an independent school without system access.
    3. Steering groups for both counties.
    4. Demo logins, one per role.
    """
    counties = [
        (County.NORRBOTTEN, "Region Norrbotten", NORRBOTTEN, "Luleå"),
        (County.VASTMANLAND, "Region Västmanland", VASTMANLAND, "Västerås"),
    ]
    for county, region_name, municipalities, main_town in counties:
        region = _huvudman(
            name=region_name, kind=Huvudman.Kind.REGION, county=county, nine=f"2321000{county}"
        )
        for code, name, county_part in municipalities:
            municipality = _upsert(
                Municipality,
                code=code,
                defaults={"name": name, "county": county, "county_part": county_part},
            )
            kommun = _huvudman(
                name=f"{name} kommun", kind=Huvudman.Kind.KOMMUN, county=county, nine=f"2120{code}0"
            )
            for kind, unit_name in MUNICIPAL_UNITS:
                _unit(
                    key=f"{code}-{kind}",
                    huvudman=kommun,
                    name=f"{unit_name}, {name}",
                    kind=kind,
                    municipality=municipality,
                )
            _unit(
                key=f"{county}-vardcentral-{code}",
                huvudman=region,
                name=f"Hälsocentralen {name}"
                if county == County.NORRBOTTEN
                else f"Vårdcentralen {name}",
                kind=Unit.Kind.PRIMARY_CARE,
                municipality=municipality,
            )
            if name == main_town:
                for kind, unit_name in REGIONAL_UNITS:
                    _unit(
                        key=f"{county}-{kind}-{code}",
                        huvudman=region,
                        name=f"{unit_name} {name}",
                        kind=kind,
                        municipality=municipality,
                    )
    luleå = Municipality.objects.get(code="2580")
    friskola = _huvudman(
        name="Friskolan Norrsken AB",
        kind=Huvudman.Kind.INDEPENDENT_SCHOOL,
        county=County.NORRBOTTEN,
        nine="556000123",
    )
    _unit(
        key="norrsken-grundskola",
        huvudman=friskola,
        name="Norrskensskolan",
        kind=Unit.Kind.PRIMARY_SCHOOL,
        municipality=luleå,
        has_system_access=False,
    )

    _seed_steering_groups()
    return _seed_logins()


def _seed_steering_groups() -> None:
    groups = [
        (
            County.VASTMANLAND,
            SteeringGroup.Kind.PREPARATORY,
            SteeringGroup.Level.REGIONAL,
            "Beredningsgrupp barn och unga",
            None,
        ),
        (
            County.VASTMANLAND,
            SteeringGroup.Kind.MANAGERS_FORUM,
            SteeringGroup.Level.REGIONAL,
            "Chefsforum barn och unga",
            None,
        ),
        (
            County.VASTMANLAND,
            SteeringGroup.Kind.WELFARE,
            SteeringGroup.Level.REGIONAL,
            "Välfärd, Region Västmanland",
            None,
        ),
        (
            County.NORRBOTTEN,
            SteeringGroup.Kind.COUNTY_BOARD,
            SteeringGroup.Level.REGIONAL,
            "Länsstyrgrupp Norrbotten",
            None,
        ),
    ]
    for part in sorted({p for _c, _n, p in VASTMANLAND}):
        groups.append(
            (
                County.VASTMANLAND,
                SteeringGroup.Kind.BUS,
                SteeringGroup.Level.COUNTY_PART,
                f"BUS-grupp {part}",
                part,
            )
        )
        groups.append(
            (
                County.VASTMANLAND,
                SteeringGroup.Kind.VUS,
                SteeringGroup.Level.COUNTY_PART,
                f"VuS-grupp {part}",
                part,
            )
        )
    for part in sorted({p for _c, _n, p in NORRBOTTEN}):
        groups.append(
            (
                County.NORRBOTTEN,
                SteeringGroup.Kind.COUNTY_PART,
                SteeringGroup.Level.COUNTY_PART,
                f"Länsdelsgrupp {part}",
                part,
            )
        )
    for county, kind, level, name, part in groups:
        group = _upsert(
            SteeringGroup,
            name=name,
            county=county,
            defaults={"kind": kind, "level": level, "is_active": True},
        )
        municipalities = Municipality.objects.filter(county=county)
        if part:
            municipalities = municipalities.filter(county_part=part)
        group.municipalities.set(municipalities)


def _seed_logins() -> list[DemoLogin]:
    for login in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=login.username,
            defaults={
                "first_name": login.first_name,
                "last_name": login.last_name,
                "email": f"{login.username}@demo.samordna.se",
                "is_staff": login.role is None,
                "is_superuser": login.role is None,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if login.unit_key:
            _upsert(
                Membership,
                user=user,
                unit=Unit.objects.get(key=login.unit_key),
                defaults={"role": login.role, "is_active": True},
            )
    return DEMO_LOGINS
