"""The daily retention run (config/settings/base.py CELERY_BEAT_SCHEDULE "retention-apply")."""

import logging

from celery import shared_task

from voice.retention.services import retention_apply

logger = logging.getLogger(__name__)


@shared_task(name="retention.apply")
def retention_apply_task() -> dict[str, int]:
    """Every organization's policy; the totals removed. Vapi failures are left for the next run
    (counted in `vapi_pending`), so the task itself does not retry."""
    totals = retention_apply().totals.as_dict()
    if totals["vapi_pending"]:
        pending = totals["vapi_pending"]
        logger.warning("retention.apply: %d Vapi deletions left for the next run", pending)
    return totals
