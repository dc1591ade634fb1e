"""Recording per call (calling-compliance.md §4, §7 rule 15; vapi-reference.md §12.12).

When any candidate state of the person is an all-party-consent state, or none is known
(leads/compliance/recording.py), a call must not be recorded until the person consents. Vapi's
`compliancePlan.recordingConsentPlan` asks for that consent, but it is enterprise-only, so:

- VAPI_RECORDING_CONSENT_PLAN off (the default): the call's assistantOverrides carry
  `artifactPlan.recordingEnabled=false` (OAS AssistantOverrides.artifactPlan is an ArtifactPlan,
  whose `recordingEnabled` defaults to true);
- "verbal" or "stay-on-line": the overrides carry `compliancePlan.recordingConsentPlan` of that
  type instead (OAS AssistantOverrides.compliancePlan → CompliancePlan.recordingConsentPlan,
  RecordingConsentPlanVerbal / RecordingConsentPlanStayOnLine, `message` and `type` required),
  and the report's `compliance.recordingConsent.grantedAt` (OAS Call.compliance → Compliance →
  RecordingConsent) says whether the person agreed.

What we asked for travels in the call's metadata (`recording`: on / off / consent, and
`recordingReason`), so the end-of-call report (or a sync) can say why the call was or was not
recorded, and so recording URLs of a call we asked not to record, without reported consent, are
never stored (defence in depth).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings

from leads.compliance.recording import RecordingRule
from voice.vapi.client import VapiObject

logger = logging.getLogger(__name__)

ON, OFF, CONSENT = "on", "off", "consent"
CONSENT_PLAN_TYPES = ("verbal", "stay-on-line")
CONSENT_MESSAGES = {
    "verbal": (
        'This call may be recorded for quality and training purposes. Say "I agree" if you '
        'consent to being recorded, or "I disagree" if you do not.'
    ),
    "stay-on-line": (
        "This call may be recorded for quality and training purposes. Please stay on the line "
        "if you agree, or hang up if you do not consent."
    ),
}
URL_FIELDS = ("recording_url", "stereo_recording_url")


def consent_plan_type() -> str:
    """The configured VAPI_RECORDING_CONSENT_PLAN type, or '' when off (or not understood)."""
    value = (getattr(settings, "VAPI_RECORDING_CONSENT_PLAN", "") or "").strip().lower()
    if value in ("", "off", "false", "no", "none"):
        return ""
    if value not in CONSENT_PLAN_TYPES:
        logger.warning("VAPI_RECORDING_CONSENT_PLAN=%r is not verbal or stay-on-line: off", value)
        return ""
    return value


def recording_mode(rule: RecordingRule) -> str:
    if rule.record:
        return ON
    return CONSENT if consent_plan_type() else OFF


def recording_metadata(rule: RecordingRule) -> dict[str, str]:
    """Call metadata (string values, HELPERS contract) that says what we asked for and why."""
    return {"recording": recording_mode(rule), "recordingReason": rule.basis}


def recording_overrides(
    rule: RecordingRule, *, outbound: bool, pushed_config: VapiObject | None = None
) -> VapiObject:
    """The assistantOverrides keys that apply `rule` to one call ({} when it may be recorded).
    `pushed_config`: the assistant's config as last pushed (Assistant.last_pushed_config)."""
    mode = recording_mode(rule)
    if mode == ON:
        return {}
    if mode == CONSENT:
        plan_type = consent_plan_type()
        plan: VapiObject = {"type": plan_type, "message": CONSENT_MESSAGES[plan_type]}
        if outbound:
            # OAS RecordingConsentPlan*.firstMessageMode: recommended for outbound calls.
            plan["firstMessageMode"] = "assistant-waits-for-user"
        if plan_type == "stay-on-line":
            plan["waitSeconds"] = 3
        return {"compliancePlan": {"recordingConsentPlan": plan}}
    # The whole artifactPlan the assistant has (structured outputs included), recording off:
    # whether Vapi merges an override into the assistant's plan or replaces it is not documented,
    # so nothing depends on it. The pushed copy costs no query on the routing path (an assistant
    # without one was never pushed by us: recording off is all we can say).
    plan = _obj((pushed_config or {}).get("artifactPlan"))
    return {"artifactPlan": {**plan, "recordingEnabled": False}}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def recording_consent(*, call: dict[str, Any], report: dict[str, Any] | None) -> VapiObject:
    """`compliance.recordingConsent` of the report, else of the call ({} when absent)."""
    for source in (report or {}, call):
        consent = _obj(_obj(source.get("compliance")).get("recordingConsent"))
        if consent:
            return consent
    return {}


def recording_facts(
    fields: dict[str, Any],
    *,
    call: dict[str, Any],
    report: dict[str, Any] | None,
    metadata: dict[str, Any],
    ended: bool,
) -> dict[str, Any]:
    """`fields` (mapped CallLog columns) with `recorded` / `recording_basis` set from what we
    asked for (metadata) and what Vapi reports, and without recording URLs we must not keep."""
    mode = metadata.get("recording")
    if mode not in (ON, OFF, CONSENT):
        return fields
    fields = dict(fields)
    reason = str(metadata.get("recordingReason") or "")
    consent = recording_consent(call=call, report=report)
    granted = consent.get("grantedAt") if isinstance(consent.get("grantedAt"), str) else ""
    has_recording = any(fields.get(name) for name in URL_FIELDS)
    if mode == ON:
        if ended and not has_recording:
            basis = f"no recording made ({reason} allows it)"
            fields.update(recorded=False, recording_basis=basis[:300])
        else:
            fields.update(recorded=True, recording_basis=f"recorded: {reason}"[:300])
        return fields
    if granted:
        kind = str(consent.get("type") or "the caller's")
        basis = f"recorded after {kind} consent at {granted}: {reason}"
        fields.update(recorded=True, recording_basis=basis[:300])
        return fields
    for name in URL_FIELDS:
        if fields.pop(name, None):
            logger.warning(
                "dropped a recording URL of call %s: no recording consent", call.get("id")
            )
    if ended:
        basis = f"not recorded: {reason} and none was given"
    elif mode == CONSENT:
        basis = f"recording only after consent: {reason}"
    else:
        basis = f"not recorded: {reason}"
    fields["recording_basis"] = basis[:300]
    if ended or mode == OFF:
        fields["recorded"] = False
    return fields
