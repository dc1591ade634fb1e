"""`campaign.predial`: Vapi asks before each contact of a campaign whether to dial it.

A campaign created in Vapi's own dashboard never goes through our outbound paths, so without this
answer it could call anyone. With the campaign's `predialPlan` set and its server URL on our
webhook, Vapi POSTs one message per contact and places the call only on `{"eligible": true}`;
anything else (a missing or non-boolean `eligible`, an error, a timeout) skips the contact
(../shared/vapi-reference.md §12.1 "Pre-dial eligibility webhook"; ../shared/vapi/openapi.json
`ServerMessageCampaignPredial`, `ServerMessageResponseCampaignPredial`, `CampaignPredialPlan`).
So every doubt here answers false, and the compliance gate decides the rest, with one audit row
per pre-dial (path `vapi_campaign`).

The campaign server timeout is 1-30 s and the answer blocks dispatch: a few indexed reads and the
gate's one decision, no call to Vapi.
"""

import logging
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, IntegerField, Value, When

from leads.compliance.gate import call_permission
from leads.compliance.models import CallDecision
from leads.models import Lead
from properties.models import Property
from properties.phone import phone_normalize_or_none
from voice.calls.selectors import property_id_from_metadata
from voice.webhooks.envelope import Envelope

logger = logging.getLogger(__name__)

Answer = dict[str, Any]

NOT_ELIGIBLE: Answer = {"eligible": False}


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


@dataclass(frozen=True)
class Predial:
    """What one `campaign.predial` message says, read leniently: the OAS marks only `type`,
    `campaignId` and `contact` required (`ServerMessageCampaignPredial`), and `contact.number` and
    `contact.id` are required in `CampaignContact`; everything else may be missing."""

    campaign_id: str
    contact_id: str
    number: str  # as Vapi sent it: the gate normalizes (and refuses an invalid one)
    # `phoneNumber` is one of the Create*PhoneNumberDTO schemas, none of which declares `id`, and
    # `number` is required only for some providers (openapi.json): accept either, or both.
    phone_number_id: str
    phone_number: str
    # `contact.assistantOverrides.metadata` (CampaignContact -> AssistantOverrides.metadata, a free
    # object): where a campaign's contacts can carry our `propertyId` and `purpose`.
    contact_metadata: dict[str, Any]
    # The campaign's assistant, when the message carries one: `assistant` is a CreateAssistantDTO
    # (no id, but `metadata`); `call.assistantId` and the number's `assistantId` name a saved one.
    assistant_metadata: dict[str, Any]
    vapi_assistant_ids: tuple[str, ...]


def predial_read(message: dict[str, Any]) -> Predial:
    contact = _obj(message.get("contact"))
    phone = _obj(message.get("phoneNumber"))
    call = _obj(message.get("call"))
    assistant = _obj(message.get("assistant"))
    assistant_ids = (
        _text(call.get("assistantId")),
        _text(assistant.get("id")),
        _text(phone.get("assistantId")),
    )
    return Predial(
        campaign_id=_text(message.get("campaignId")),
        contact_id=_text(contact.get("id")),
        number=_text(contact.get("number")),
        phone_number_id=_text(phone.get("id")) or _text(call.get("phoneNumberId")),
        phone_number=_text(phone.get("number")),
        contact_metadata=_obj(_obj(contact.get("assistantOverrides")).get("metadata")),
        assistant_metadata=_obj(assistant.get("metadata")),
        vapi_assistant_ids=tuple(dict.fromkeys(found for found in assistant_ids if found)),
    )


def _property_by_vapi_number_id(number_id: str) -> Property | None:
    """The property whose assistants dial from this Vapi phone number id. A number id shared by
    properties of two organizations is a misconfiguration: not guessed, the next clue decides."""
    if not number_id:
        return None
    properties = list(
        Property.objects.filter(assistants__vapi_phone_number_id=number_id)
        .select_related("organization")
        .distinct()
        .order_by("pk")[:10]
    )
    if len({prop.organization_id for prop in properties}) != 1:
        return None
    return properties[0]


def _property_by_id(property_id: int | None) -> Property | None:
    if property_id is None:
        return None
    return Property.objects.select_related("organization").filter(pk=property_id).first()


def predial_property(predial: Predial) -> Property | None:
    """The property (hence the organization) the campaign calls for, or None.

    In order: the campaign's phone number, which Vapi itself attaches (its id as an assistant's
    `vapi_phone_number_id`, then its number as a property's leasing line); then our metadata on
    the contact (`propertyId`); then the campaign's assistant (its metadata, or its Vapi id).
    """
    found = _property_by_vapi_number_id(predial.phone_number_id)
    if found is None and predial.phone_number:
        leasing_phone = phone_normalize_or_none(predial.phone_number)
        if leasing_phone:
            found = (
                Property.objects.select_related("organization")
                .filter(leasing_phone=leasing_phone)
                .first()
            )
    for metadata in (predial.contact_metadata, predial.assistant_metadata):
        if found is None:
            found = _property_by_id(property_id_from_metadata(metadata))
    if found is None and predial.vapi_assistant_ids:
        found = (
            Property.objects.select_related("organization")
            .filter(assistants__vapi_assistant_id__in=predial.vapi_assistant_ids)
            .order_by("pk")
            .first()
        )
    return found


def predial_lead(*, prop: Property, number: str | None) -> Lead | None:
    """The organization's lead with this exact E.164 number, the resolved property's first (a
    number is unique per property, not per organization)."""
    if not number:
        return None
    return (
        Lead.objects.filter(property__organization_id=prop.organization_id, phone=number)
        .annotate(
            other_property=Case(
                When(property_id=prop.pk, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("other_property", "pk")
        .first()
    )


def predial_purpose(metadata: dict[str, Any]) -> str:
    """Campaign calls are leasing follow-ups (marketing); a contact may say `informational`.
    Nothing else lowers the bar: test calls ring staff through their own path only."""
    if _text(metadata.get("purpose")).lower() == CallDecision.Purpose.INFORMATIONAL:
        return CallDecision.Purpose.INFORMATIONAL
    return CallDecision.Purpose.MARKETING


def handle_campaign_predial(envelope: Envelope) -> Answer:
    """`{"eligible": true}` only when the compliance gate allows calling this contact now."""
    predial = predial_read(envelope.message)
    log = {"campaign_id": predial.campaign_id, "contact_id": predial.contact_id}
    prop = predial_property(predial)
    if prop is None:
        # No organization, no gate: its rules (consent, suppression list, calling window) and its
        # audit rows all belong to an organization. Refused without a CallDecision row.
        logger.warning(
            "vapi campaign.predial refused: no property or organization found", extra=log
        )
        return NOT_ELIGIBLE
    number = phone_normalize_or_none(predial.number)
    if number is None:
        # Still asked: the gate refuses an invalid number as `invalid_number`, with its row.
        logger.warning("vapi campaign.predial: invalid contact number", extra=log)
    permission = call_permission(
        organization=prop.organization,
        number=number or predial.number,
        purpose=predial_purpose(predial.contact_metadata),
        path=CallDecision.Path.VAPI_CAMPAIGN,
        lead=predial_lead(prop=prop, number=number),
        record=True,
    )
    if not permission.allowed:
        logger.info(
            "vapi campaign.predial refused: %s",
            permission.reason,
            extra={**log, "decision_id": permission.decision.pk if permission.decision else None},
        )
    # A real boolean: Vapi treats anything else as a pre-dial failure.
    return {"eligible": bool(permission.allowed)}


def campaign_predial_failed(envelope: Envelope) -> Answer:
    """The handler raised (its decision row rolled back with it): not dialled."""
    return NOT_ELIGIBLE
