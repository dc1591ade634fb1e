"""Assistant settings Vapi would refuse, refused here first: the model, voice provider and
transcriber language must be values of Vapi's enums (voice/vapi/enums.py, copied from its OpenAPI
document). The greetings must carry the disclosures (calling-compliance.md §7 rule 11,
leads/compliance/disclosures.py): the inbound one says "AI"; the outbound one names the
legal business ({legal_name}), says "AI" and offers the opt-out. The services check what they
are given (so `create_assistant` and the admin do too); the API's serializers check the same
enums as choices.

Only values being set are checked: a value pulled from Vapi (a newer one than our copy of the
enums) stays as Vapi has it.
"""

import functools
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from leads.compliance import disclosures
from voice.vapi.enums import DEEPGRAM_LANGUAGE_SPELLINGS, OPENAI_MODELS, VOICE_PROVIDERS

UNKNOWN_MODEL = "Vapi does not know the OpenAI model {value!r} (for example gpt-4o, gpt-4o-mini)."
UNKNOWN_VOICE_PROVIDER = (
    "Vapi does not know the voice provider {value!r} (for example 11labs, vapi, openai, azure)."
)
UNKNOWN_LANGUAGE = (
    "Vapi's transcriber (Deepgram) does not know the language {value!r} (for example en, en-US, "
    "es)."
)

FIRST_MESSAGE_NO_AI = (
    "The inbound greeting (first_message) must say the caller is talking to an AI, with the "
    'word "AI" (for example "I\'m the virtual leasing assistant, an AI"). Leave it blank for '
    "the default."
)
OUTBOUND_NO_LEGAL_NAME = (
    "The outbound greeting (outbound_first_message) must name the business: put {{legal_name}} "
    "(or {legal_name!r}) in it."
)
OUTBOUND_NO_AI = (
    'The outbound greeting (outbound_first_message) must say it is an AI, with the word "AI" '
    '(for example "I\'m an AI assistant").'
)
OUTBOUND_NO_OPT_OUT = (
    "The outbound greeting (outbound_first_message) must offer the opt-out, for example "
    f'"{disclosures.OPT_OUT_OFFER}" (both "stop calling" and "press 9").'
)
OUTBOUND_BAD_PLACEHOLDER = (
    "The outbound greeting (outbound_first_message) can only use the placeholders "
    "{{legal_name}}, {{property}} and {{first_name}}: {problem}."
)


def validate_first_message(value: str, *, legal_name: str = "") -> None:
    # Blank: the default greeting, which says it.
    if value.strip() and not disclosures.says_ai(value):
        raise ValidationError(FIRST_MESSAGE_NO_AI, code="disclosure_missing")


def validate_outbound_first_message(value: str, *, legal_name: str = "") -> None:
    """Blank is the default. Every missing disclosure is reported at once."""
    if not value.strip():
        return
    try:
        names = disclosures.placeholders(value)
    except ValueError as exc:
        raise ValidationError(
            OUTBOUND_BAD_PLACEHOLDER.format(problem=str(exc)), code="invalid_placeholder"
        ) from exc
    unknown = sorted({name for name in names if name not in disclosures.OUTBOUND_PLACEHOLDERS})
    if unknown:
        problem = ", ".join("{" + name + "}" for name in unknown) + " is not one"
        raise ValidationError(
            OUTBOUND_BAD_PLACEHOLDER.format(problem=problem), code="invalid_placeholder"
        )
    errors = []
    named = "legal_name" in names or (
        legal_name.strip() and legal_name.strip().lower() in value.lower()
    )
    if not named:
        errors.append(
            ValidationError(
                OUTBOUND_NO_LEGAL_NAME.format(legal_name=legal_name or "the legal name"),
                code="disclosure_missing",
            )
        )
    if not disclosures.says_ai(value):
        errors.append(ValidationError(OUTBOUND_NO_AI, code="disclosure_missing"))
    if not disclosures.offers_opt_out(value):
        errors.append(ValidationError(OUTBOUND_NO_OPT_OUT, code="disclosure_missing"))
    if errors:
        raise ValidationError(errors)


def validate_model(value: str) -> None:
    if value and value not in OPENAI_MODELS:
        raise ValidationError(UNKNOWN_MODEL.format(value=value), code="invalid_choice")


def validate_voice_provider(value: str) -> None:
    # Blank: the default provider (voice/assistants/config.py).
    if value and value not in VOICE_PROVIDERS:
        raise ValidationError(UNKNOWN_VOICE_PROVIDER.format(value=value), code="invalid_choice")


def validate_language(value: str) -> None:
    # Any case: the config builder sends Deepgram's spelling (voice/assistants/config.py).
    if value and value.strip().lower() not in DEEPGRAM_LANGUAGE_SPELLINGS:
        raise ValidationError(UNKNOWN_LANGUAGE.format(value=value), code="invalid_choice")


VALIDATORS: dict[str, Callable[[str], None]] = {
    "model": validate_model,
    "voice_provider": validate_voice_provider,
    "language": validate_language,
}

# Checks that need the assistant's organization (its legal name may be written out literally).
DISCLOSURE_VALIDATORS: dict[str, Callable[..., None]] = {
    "first_message": validate_first_message,
    "outbound_first_message": validate_outbound_first_message,
}
CHECKED_FIELDS = (*VALIDATORS, *DISCLOSURE_VALIDATORS)


def assistant_settings_validate(settings: Mapping[str, Any], *, legal_name: str = "") -> None:
    """ValidationError keyed by field for every given (not None) value Vapi would refuse, or
    greeting without its disclosures (`legal_name`: the organization's, for the outbound one)."""
    errors: dict[str, list[ValidationError]] = {}
    checks: dict[str, Callable[[str], None]] = {
        **VALIDATORS,
        **{
            name: functools.partial(validate, legal_name=legal_name)
            for name, validate in DISCLOSURE_VALIDATORS.items()
        },
    }
    for field_name, validate in checks.items():
        value = settings.get(field_name)
        if value is None:
            continue
        try:
            validate(str(value))
        except ValidationError as exc:
            errors[field_name] = exc.error_list
    if errors:
        raise ValidationError(errors)
