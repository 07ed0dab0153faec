"""The directory of actors: huvudmän, their units, professionals and steering groups."""

from django.contrib.auth.models import AbstractUser, Group
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from simple_history import register
from simple_history.models import HistoricalRecords

from actors.validators import validate_organisationsnummer


class County(models.TextChoices):
    """Sweden's 21 counties (län), keyed by their official two-digit code."""

    STOCKHOLM = "01", _("Stockholms län")
    UPPSALA = "03", _("Uppsala län")
    SODERMANLAND = "04", _("Södermanlands län")
    OSTERGOTLAND = "05", _("Östergötlands län")
    JONKOPING = "06", _("Jönköpings län")
    KRONOBERG = "07", _("Kronobergs län")
    KALMAR = "08", _("Kalmar län")
    GOTLAND = "09", _("Gotlands län")
    BLEKINGE = "10", _("Blekinge län")
    SKANE = "12", _("Skåne län")
    HALLAND = "13", _("Hallands län")
    VASTRA_GOTALAND = "14", _("Västra Götalands län")
    VARMLAND = "17", _("Värmlands län")
    OREBRO = "18", _("Örebro län")
    VASTMANLAND = "19", _("Västmanlands län")
    DALARNA = "20", _("Dalarnas län")
    GAVLEBORG = "21", _("Gävleborgs län")
    VASTERNORRLAND = "22", _("Västernorrlands län")
    JAMTLAND = "23", _("Jämtlands län")
    VASTERBOTTEN = "24", _("Västerbottens län")
    NORRBOTTEN = "25", _("Norrbottens län")


class User(AbstractUser):
    """A person who logs in. Admins are `is_staff`; unit roles come from memberships."""

    title = models.CharField(_("titel"), max_length=120, blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("användare")
        verbose_name_plural = _("användare")

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_directory_admin(self) -> bool:
        return self.is_active and (self.is_superuser or self.is_staff)


class Huvudman(models.Model):
    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        KOMMUN = "kommun", _("Kommun")
        INDEPENDENT_SCHOOL = "fristaende_skola", _("Fristående skolhuvudman")
        STATE_AGENCY = "statlig_myndighet", _("Statlig myndighet")
        PRIVATE_CARE = "privat_vardgivare", _("Privat vårdgivare")

    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ"), max_length=30, choices=Kind.choices)
    county = models.CharField(_("län"), max_length=2, choices=County.choices)
    organisationsnummer = models.CharField(
        _("organisationsnummer"),
        max_length=11,
        unique=True,
        validators=[validate_organisationsnummer],
        help_text=_("NNNNNN-NNNN"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("huvudman")
        verbose_name_plural = _("huvudmän")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """A municipality (kommun) as a place; `county_part` is the länsdel used for local steering."""

    code = models.CharField(_("kommunkod"), max_length=4, unique=True)
    name = models.CharField(_("namn"), max_length=100)
    county = models.CharField(_("län"), max_length=2, choices=County.choices)
    county_part = models.CharField(_("länsdel"), max_length=100, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("kommun")
        verbose_name_plural = _("kommuner")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A unit (verksamhet) under a huvudman. Never deleted once referenced: deactivate instead."""

    class Kind(models.TextChoices):
        SOCIAL_IFO = "soc_ifo", _("Socialtjänst IFO")
        SOCIAL_LSS = "soc_lss", _("Socialtjänst LSS")
        SOCIAL_PSYCHIATRY = "socialpsykiatri", _("Socialpsykiatri")
        PRESCHOOL = "forskola", _("Förskola")
        PRIMARY_SCHOOL = "grundskola", _("Grundskola")
        UPPER_SECONDARY = "gymnasieskola", _("Gymnasieskola")
        STUDENT_HEALTH = "elevhalsa", _("Elevhälsa")
        CHILD_HEALTH = "bvc", _("BVC/barnhälsovård")
        BU_HALSAN = "bu_halsan", _("BU-hälsan")
        PRIMARY_CARE = "vardcentral", _("Vårdcentral/hälsocentral")
        YOUTH_CLINIC = "ungdomsmottagning", _("Ungdomsmottagning")
        BUP = "bup", _("BUP")
        PAEDIATRICS = "barnmedicin", _("Barnmedicin")
        HABILITATION = "habilitering", _("Habilitering")
        ADULT_PSYCHIATRY = "vuxenpsykiatri", _("Vuxenpsykiatri")
        ADDICTION = "beroendecentrum", _("Beroendecentrum")
        DENTAL = "tandvard", _("Tandvård")
        OTHER = "annan", _("Annan")

    SOCIAL_SERVICES_KINDS = frozenset({Kind.SOCIAL_IFO, Kind.SOCIAL_LSS, Kind.SOCIAL_PSYCHIATRY})
    HEALTH_CARE_KINDS = frozenset(
        {
            Kind.CHILD_HEALTH,
            Kind.BU_HALSAN,
            Kind.PRIMARY_CARE,
            Kind.YOUTH_CLINIC,
            Kind.BUP,
            Kind.PAEDIATRICS,
            Kind.HABILITATION,
            Kind.ADULT_PSYCHIATRY,
            Kind.ADDICTION,
            Kind.DENTAL,
        }
    )

    key = models.SlugField(
        _("enhets-id"),
        max_length=64,
        unique=True,
        help_text=_("Stabil nyckel som används vid import, t.ex. HSA-id eller egen kod."),
    )
    huvudman = models.ForeignKey(
        Huvudman, verbose_name=_("huvudman"), on_delete=models.PROTECT, related_name="units"
    )
    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ av verksamhet"), max_length=30, choices=Kind.choices)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name=_("kommun"),
        on_delete=models.PROTECT,
        related_name="units",
        null=True,
        blank=True,
    )
    email = models.EmailField(_("funktionsbrevlåda"), blank=True)
    phone = models.CharField(_("telefon"), max_length=40, blank=True)
    postal_address = models.TextField(_("postadress"), blank=True)
    hsa_id = models.CharField(_("HSA-id"), max_length=64, blank=True)
    has_system_access = models.BooleanField(
        _("har tillgång till systemet"),
        default=True,
        help_text=_("Enheter utan konton får kallelser via e-post eller brev."),
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    # The unit's identity for object permissions (django-guardian): higher apps grant their
    # objects to this group. Who acts for the unit comes from active memberships, not from
    # auth group membership (see docs/access-control.md). Created on first use.
    access_group = models.OneToOneField(
        Group,
        verbose_name=_("behörighetsgrupp"),
        on_delete=models.PROTECT,
        related_name="unit",
        null=True,
        blank=True,
        editable=False,
    )
    history = HistoricalRecords(excluded_fields=["access_group"])

    class Meta:
        verbose_name = _("verksamhet")
        verbose_name_plural = _("verksamheter")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["hsa_id"], condition=~Q(hsa_id=""), name="unit_hsa_id_unique_when_set"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def county_part(self) -> str:
        return self.municipality.county_part if self.municipality_id else ""

    @property
    def is_social_services(self) -> bool:
        return self.kind in self.SOCIAL_SERVICES_KINDS

    @property
    def is_health_care(self) -> bool:
        return self.kind in self.HEALTH_CARE_KINDS


class Membership(models.Model):
    """A professional's place in a unit, with the role they hold there."""

    class Role(models.TextChoices):
        COORDINATOR = "coordinator", _("Handläggare/samordnare")
        MANAGER = "manager", _("Chef")

    user = models.ForeignKey(
        User, verbose_name=_("användare"), on_delete=models.CASCADE, related_name="memberships"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("verksamhet"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("roll"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("aktiv"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("medlemskap i verksamhet")
        verbose_name_plural = _("medlemskap i verksamheter")
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="membership_user_unit_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.unit} ({self.get_role_display()})"


class SteeringGroup(models.Model):
    """A local steering group (BUS, VuS, länsdel) or a regional forum."""

    class Kind(models.TextChoices):
        BUS = "bus", _("BUS-grupp (barn och unga)")
        VUS = "vus", _("VuS-grupp (vuxna)")
        COUNTY_PART = "lansdel", _("Länsdelsgrupp")
        MUNICIPAL = "kommun", _("Kommunal samverkansgrupp")
        PREPARATORY = "beredningsgrupp", _("Beredningsgrupp")
        MANAGERS_FORUM = "chefsforum", _("Chefsforum")
        COUNTY_BOARD = "lansstyrgrupp", _("Länsstyrgrupp")
        WELFARE = "valfard", _("Välfärd (regional stödstruktur)")
        POLITICAL = "politisk", _("Politiskt forum")

    class Level(models.TextChoices):
        LOCAL = "local", _("Lokal")
        COUNTY_PART = "county_part", _("Länsdel")
        REGIONAL = "regional", _("Regional")

    name = models.CharField(_("namn"), max_length=200)
    kind = models.CharField(_("typ"), max_length=30, choices=Kind.choices)
    level = models.CharField(_("nivå"), max_length=20, choices=Level.choices)
    county = models.CharField(_("län"), max_length=2, choices=County.choices)
    members = models.ManyToManyField(
        User, verbose_name=_("ledamöter"), related_name="steering_groups", blank=True
    )
    units = models.ManyToManyField(
        Unit, verbose_name=_("verksamheter"), related_name="steering_groups", blank=True
    )
    municipalities = models.ManyToManyField(
        Municipality, verbose_name=_("kommuner"), related_name="steering_groups", blank=True
    )
    is_active = models.BooleanField(_("aktiv"), default=True)
    history = HistoricalRecords(m2m_fields=[members, units, municipalities])

    class Meta:
        verbose_name = _("styrgrupp/forum")
        verbose_name_plural = _("styrgrupper och forum")
        ordering = ["county", "name"]

    def __str__(self) -> str:
        return self.name


# TOTP devices (django-otp) are a security record: keep who enrolled, confirmed, used or deleted
# one, and when. The secret key stays out of the history table.
register(TOTPDevice, app="actors", excluded_fields=["key"])
