"""A call's analysis (summary, lead answers, success verdict, opt-out) from a Vapi Call object or
end-of-call report: structured outputs first, the deprecated `analysis` as the fallback.

vapi-reference.md §12.4 (OAS `Artifact.structuredOutputs`, `ArtifactPlan.structuredOutputIds`):
the results arrive in `artifact.structuredOutputs`, a map keyed by output id with `{name, result}`
values, in the report (`message.artifact`) and on the Call (`call.artifact`). Calls made before
the switch, or by an assistant still on `analysisPlan` (deprecated in the OAS), carry
`analysis.summary` / `analysis.structuredData` / `analysis.successEvaluation` instead. Vapi keeps
filling `analysis.summary` and `analysis.successEvaluation` by default (OAS SummaryPlan /
SuccessEvaluationPlan `@default true`), so those stay the fallback for the two columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from voice.structured_outputs import (
    CALL_SUCCESS,
    CALL_SUMMARY,
    LEASING_CALL,
    OPT_OUT,
    STRUCTURED_OUTPUT_NAMES,
    structured_output_names_by_id,
)

# The key the opt-out verdict gets in CallLog.structured_data (beside the lead answers).
OPT_OUT_KEY = "opt_out"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def structured_output_results(
    *,
    call: dict[str, Any],
    report: dict[str, Any] | None = None,
    names_by_id: Callable[[], dict[str, str]] = structured_output_names_by_id,
) -> dict[str, Any]:
    """Our outputs' results by our output name. An entry is ours when its `name` is one of ours
    or its key is an id we stored (an output renamed in the dashboard still counts); the report's
    entries win over the call's. `names_by_id` is only asked (one query) when some entry's name is
    not ours, so the usual report is read without touching the database."""
    entries: dict[str, Any] = {}
    for source in (call, report or {}):
        entries.update(_obj(_obj(source.get("artifact")).get("structuredOutputs")))
    results: dict[str, Any] = {}
    by_id: dict[str, str] | None = None
    for output_id, entry in entries.items():
        if not isinstance(entry, dict) or "result" not in entry:
            continue
        name = entry.get("name")
        if name not in STRUCTURED_OUTPUT_NAMES:
            if by_id is None:
                by_id = names_by_id()
            name = by_id.get(str(output_id))
        if name is not None:
            results[name] = entry["result"]
    return results


def _as_object(value: Any) -> dict[str, Any]:
    if isinstance(value, str):  # tolerate a result sent as a JSON string (§8.4's lesson)
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return _obj(value)


def _verdict(value: Any) -> str:
    """successEvaluation is a string in Vapi's Analysis ("true"/"false" with PassFail); our
    boolean output is stored the same way, so old and new calls read alike."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)[:200]


def call_analysis_fields(
    *,
    call: dict[str, Any],
    report: dict[str, Any] | None = None,
    names_by_id: Callable[[], dict[str, str]] = structured_output_names_by_id,
) -> dict[str, Any]:
    """CallLog `summary`, `structured_data` and `success_evaluation` (absent ones left out)."""
    results = structured_output_results(call=call, report=report, names_by_id=names_by_id)
    analysis = _obj((report or {}).get("analysis")) or _obj(call.get("analysis"))
    data = _as_object(results.get(LEASING_CALL)) or _obj(analysis.get("structuredData"))
    if isinstance(results.get(OPT_OUT), bool):
        data = {**data, OPT_OUT_KEY: results[OPT_OUT]}
    summary = results.get(CALL_SUMMARY)
    if not isinstance(summary, str) or not summary.strip():
        # Older reports carry `summary` at the top of the message (vapi-reference.md §12.9).
        summary = analysis.get("summary") or (report or {}).get("summary") or call.get("summary")
    success = results.get(CALL_SUCCESS)
    if success is None:
        success = analysis.get("successEvaluation")
    fields = {
        "summary": summary if isinstance(summary, str) else "",
        "structured_data": data or None,
        "success_evaluation": _verdict(success),
    }
    return {name: value for name, value in fields.items() if value not in (None, "")}
