from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SipConfig(AppConfig):
    name = "sip"
    verbose_name = _("SIP-ärenden")

    def ready(self) -> None:
        from deadlines.signals import sweep_finished
        from sip.deviations import receivers, tasks  # noqa: F401 - registers the Celery task
        from sip.statistics import tasks as statistics_tasks  # noqa: F401 - the same

        sweep_finished.connect(receivers.drafts_after_sweep, dispatch_uid="sip_deviation_drafts")
