from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from actors import services
from actors.models import User
from config.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Importera aktörskatalogen (verksamheter och yrkespersoner) från en CSV-fil."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV-fil i formatet i docs/directory-import.md")
        parser.add_argument(
            "--dry-run", action="store_true", help="Visa vad som skulle hända utan att spara."
        )
        parser.add_argument("--user", help="Användarnamn som står som ändrande i historiken.")

    def handle(self, *args, file: Path, dry_run: bool, user: str | None, **options) -> None:
        acting_user = None
        if user:
            acting_user = User.objects.filter(username=user).first()
            if acting_user is None:
                raise CommandError(_("Användaren ”%s” finns inte.") % user)
        try:
            text = services.decode_csv_bytes(data=file.read_bytes())
        except OSError as exc:
            raise CommandError(
                _("Kan inte läsa filen %(file)s: %(error)s") % {"file": file, "error": exc.strerror}
            ) from exc
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        result = services.directory_import(text=text, user=acting_user, dry_run=dry_run)
        for row in result.rows:
            changes = f" ({', '.join(row.changes)})" if row.changes else ""
            self.stdout.write(
                _("rad %(line)s: %(status)s %(record)s %(key)s")
                % {
                    "line": row.line,
                    "status": row.status.label,
                    "record": row.record,
                    "key": row.key,
                }
                + changes
            )
        if result.errors:
            for error in result.errors:
                self.stderr.write(_("rad %(line)s: %(message)s") % vars(error))
            raise CommandError(_("%d fel i filen, ingenting importerades.") % len(result.errors))
        summary = _("%(c)s nya, %(u)s ändrade, %(n)s oförändrade rader.") % {
            "c": result.created,
            "u": result.updated,
            "n": result.unchanged,
        }
        if dry_run:
            self.stdout.write(_("Provkörning, ingenting sparat: %s") % summary)
        else:
            self.stdout.write(self.style.SUCCESS(_("Importerat: %s") % summary))
