"""The beat schedule "Statistik i förväg": every hour of the working day (06–17, Monday–Friday,
Stockholm time) the indicator reports most asked for are computed into the cache, so that they are
fresh (docs/statistics.md, "Cache") when someone opens them. Editable in the admin."""

from django.db import migrations

TASK_NAME = "Statistik i förväg"


def create_periodic_task(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    working_hours, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="6-17",
        day_of_week="1-5",
        day_of_month="*",
        month_of_year="*",
        timezone="Europe/Stockholm",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "sip.statistics.tasks.compute_statistics_reports",
            "crontab": working_hours,
            "interval": None,
            "enabled": True,
            # A run queued while no worker was up is obsolete once the next one is due: it is
            # dropped instead of replaying a backlog of hours of reports.
            "expire_seconds": 55 * 60,
            "description": (
                "Beräknar i förväg statistikrapporterna för hela landet och för de styrgrupper "
                "och chefer som senast loggat in (innevarande och föregående år)."
            ),
        },
    )


def delete_periodic_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("sip", "0007_scale_indexes"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_periodic_task, delete_periodic_task)]
