from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActorsConfig(AppConfig):
    name = "actors"
    verbose_name = _("Aktörer")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from actors.security.middleware import session_refreshed_on_login

        user_logged_in.connect(
            session_refreshed_on_login, dispatch_uid="session_refreshed_on_login"
        )
