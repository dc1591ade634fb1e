"""Periodic upkeep of call logs (config/settings/base.py CELERY_BEAT_SCHEDULE)."""

import logging

from celery import shared_task

from voice.calls.reconcile import call_logs_reconcile_unknown, call_logs_refresh_stale
from voice.vapi.errors import VoiceError

logger = logging.getLogger(__name__)


@shared_task(name="calls.reconcile")
def calls_reconcile_task() -> dict[str, int]:
    """Unknown outcomes against Vapi's call list, then calls that never reported their end."""
    try:
        reconciled = call_logs_reconcile_unknown()
        refreshed = call_logs_refresh_stale()
    except VoiceError as exc:
        # Vapi is down: nothing was half-written; the next run tries again.
        logger.warning("calls.reconcile: Vapi could not be asked: %s", exc)
        return {"reconciled": 0, "refreshed": 0}
    return {"reconciled": len(reconciled), "refreshed": refreshed}
