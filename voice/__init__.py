"""The voice app: Vapi assistants, calls and their webhook. One package per part:

- `vapi/`: the HTTP client and the readers of Vapi payloads (imports nothing of ours);
- `calls/`: call logs (mapping, services, selectors, sync, outbound calls, batch operations);
- `assistants/`: the assistant config builder, its services and batch operations;
- `webhooks/`: the webhook view, its envelope, inbox, message table, handlers and tools;
- `api/`, `admin/`: the REST API and the staff screens; `simulator/`: the offline Vapi.
`sql.py` holds the only database-specific SQL; `batch.py` the result bookkeeping of batches.
Dependencies point one way: webhooks -> calls -> leads -> properties (tests/test_imports.py).
"""
