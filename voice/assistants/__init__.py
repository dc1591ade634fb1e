"""Assistants: the config pushed to Vapi, built from property data (`config`, pure), the writes
that create, push, pull and test them (`services`), reads (`selectors`) and the batch operations
behind admin actions and `sync_assistants` (`operations`).

May import `voice.calls` (a test call is an outbound call), `properties`, `voice.vapi`; never
`voice.webhooks`, `voice.api` or `voice.admin`.
"""
