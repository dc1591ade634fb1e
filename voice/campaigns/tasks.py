"""Celery tasks of the campaign runner (voice/campaigns/runner.py holds the logic).

`campaigns.tick` runs every CAMPAIGN_TICK_SECONDS (config/settings/base.py CELERY_BEAT_SCHEDULE);
`campaigns.dispatch` is asked for whenever a call ends, to fill its slot at once; `campaigns.dial`
places one claimed attempt. Any number of workers on any number of machines may run them.
"""

from celery import shared_task

from voice.campaigns.runner import Claim, campaign_contact_dial, campaigns_dispatch, campaigns_tick


def _enqueue(claims: list[Claim]) -> None:
    # After the claims committed (the runner returns them committed). A message lost here is
    # recovered by the tick after CAMPAIGN_DIAL_LEASE_SECONDS.
    for claim in claims:
        campaign_dial.delay(claim.contact_id, claim.attempt_id)


@shared_task(name="campaigns.tick")
def campaigns_tick_task() -> dict[str, int]:
    result = campaigns_tick()
    _enqueue(result.claims)
    return {
        "recovered": result.recovered,
        "settled": result.settled,
        "closed": result.closed,
        "claimed": len(result.claims),
    }


@shared_task(name="campaigns.dispatch")
def campaigns_dispatch_task() -> int:
    claims = campaigns_dispatch()
    _enqueue(claims)
    return len(claims)


@shared_task(name="campaigns.dial")
def campaign_dial(contact_id: int, attempt_id: str) -> str:
    return campaign_contact_dial(contact_id=contact_id, attempt_id=attempt_id).status
