"""Periodic re-processing of stored webhook deliveries (config/settings/base.py)."""

from celery import shared_task

from voice.webhooks.inbox import webhook_events_reprocess_due


@shared_task(name="webhooks.reprocess")
def webhooks_reprocess_task() -> dict[str, int]:
    result = webhook_events_reprocess_due()
    return {"processed": result.processed, "failed": result.failed}
