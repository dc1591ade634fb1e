"""The Vapi server-message webhook: verify, store (deduplicated), route, answer."""
