"""Signals the deadline engine sends, so higher apps can react without being imported here."""

from django.dispatch import Signal

# Sent at the end of every sweep, after its transactions committed, with `result` (SweepResult)
# and `now`. Receivers must be idempotent: the sweep may run again with the same breaches.
sweep_finished = Signal()
