"""Calling compliance: consent, do-not-call lists, staff phones and the one gate every outbound
call passes (gate.py). The rules and their sources are in /work/shared/calling-compliance.md §7;
the state data they need is in rules.py.

The models live in the `leads` app (leads/models.py imports them) so that voice, which places the
calls, depends on leads and not the other way round.
"""
