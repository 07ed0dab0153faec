from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from actors.demo import DEMO_PASSWORD, seed_directory
from agreements.models import Agreement
from agreements.services import agreement_attach_county_parties


class Command(BaseCommand):
    help = _("Läser in demodata (idempotent): katalog, demoinloggningar och avtalsparter.")

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        logins = seed_directory()
        for agreement in Agreement.objects.all():
            agreement_attach_county_parties(agreement=agreement)
        self.stdout.write(self.style.SUCCESS(_("Demodata är inläst.")))
        self.stdout.write(
            _("Demoinloggningar (lösenord: %(password)s):") % {"password": DEMO_PASSWORD}
        )
        for login in logins:
            self.stdout.write(f"  {login.username:<18} {login.description}")
