"""Callbacks the assistant promised: one task per lead, due when the property's office next
opens, assigned to the property's agents, done when someone calls the lead back.

The model lives in the `leads` app (leads/models.py imports it) so that voice, which promises and
keeps the callbacks, depends on leads and not the other way round: the webhook's
`transfer_to_human` tool and the end-of-call outcome call `services.py` here.
"""
