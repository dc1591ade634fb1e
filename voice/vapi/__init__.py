"""Talking to Vapi: the HTTP client (a shared core under thin sync and async faces), its errors,
and the readers of Vapi payloads (`payload.py`).

Must never import anything of ours (no app, no other `voice` package): every other part builds on
it, and it must stay usable from the simulator and the bench.
"""
