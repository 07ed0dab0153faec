"""What the sweep's statements need: the overdue rows' groups readable from the index alone, and
no database check of the user on each notification it writes (see Notification.user)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0004_sweep_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="deadline",
            name="deadline_open_due_idx",
        ),
        migrations.AddIndex(
            model_name="deadline",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=["due_at"],
                include=("rule", "content_type", "escalation_level"),
                name="deadline_open_due_idx",
            ),
        ),
        migrations.AlterField(
            model_name="notification",
            name="user",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deadline_notifications",
                to=settings.AUTH_USER_MODEL,
                verbose_name="användare",
            ),
        ),
    ]
