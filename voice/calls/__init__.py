"""Calls: the one mapping from a Vapi call to our `CallLog` (`mapping`), the call-log writes
(`services`: upsert, outcome, lead for a caller), outbound calls (`outbound`), `sync_calls` and
refresh (`sync`), reads (`selectors`: outcomes, dashboard, live calls) and the batch operations
behind admin actions (`operations`).

May import `leads`, `properties`, `voice.vapi`, `voice.sql`, `voice.batch`, the simulator's control
(admin "simulate a call"); never `voice.webhooks`, `voice.assistants`, `voice.api` or `voice.admin`.
"""
