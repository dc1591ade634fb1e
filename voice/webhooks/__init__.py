"""Vapi server messages: verify (`auth`), read the delivery once (`envelope`), store it
deduplicated (`inbox`), route it through the one table of message types (`messages`) to its
handler (`handlers`, `tools`), answer.

Reading arguments and phrasing answers lives here; domain work (call logs, leads, tours) is done by
`voice.calls` and `leads` services. Nothing else imports this package but the URLs, the settings
check (`auth.AUTH_MODES`), the admin and the `reprocess_webhooks` command.
"""
