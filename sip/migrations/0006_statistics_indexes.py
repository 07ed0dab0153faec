"""Indexes for the follow-up statistics (sip/statistics).

The reports pick a period's deadlines of a few kinds (kallelse, meeting, cost split) out of
millions; the deadlines app does not know about reports, so the index is created here with SQL.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("deadlines", "0003_overdue_indexes"),
        ("sip", "0005_access"),
    ]

    operations = [
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS deadline_kind_started_idx "
                "ON deadlines_deadline (kind, started_at)"
            ),
            reverse_sql="DROP INDEX IF EXISTS deadline_kind_started_idx",
        ),
    ]
