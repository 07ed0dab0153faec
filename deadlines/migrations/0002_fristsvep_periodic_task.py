"""Schedule the deadline sweep in the database so an administrator can change it in the admin."""

from django.db import migrations

TASK_NAME = "Fristsvep"


def create_periodic_task(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_five_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": "deadlines.tasks.sweep_deadlines",
            "interval": every_five_minutes,
            "enabled": True,
            "description": "Markerar passerade frister, skickar påminnelser och eskalerar.",
        },
    )


def delete_periodic_task(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_periodic_task, delete_periodic_task)]
