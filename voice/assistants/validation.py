"""Assistant settings Vapi would refuse, refused here first: the model, voice provider and
transcriber language must be values of Vapi's enums (voice/vapi/enums.py, copied from its OpenAPI
document). The services check what they are given (so `create_assistant` and the admin do too);
the API's serializers check the same enums as choices.

Only values being set are checked: a value pulled from Vapi (a newer one than our copy of the
enums) stays as Vapi has it.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import ValidationError

from voice.vapi.enums import DEEPGRAM_LANGUAGE_SPELLINGS, OPENAI_MODELS, VOICE_PROVIDERS

UNKNOWN_MODEL = "Vapi does not know the OpenAI model {value!r} (for example gpt-4o, gpt-4o-mini)."
UNKNOWN_VOICE_PROVIDER = (
    "Vapi does not know the voice provider {value!r} (for example 11labs, vapi, openai, azure)."
)
UNKNOWN_LANGUAGE = (
    "Vapi's transcriber (Deepgram) does not know the language {value!r} (for example en, en-US, "
    "es)."
)


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


def assistant_settings_validate(settings: Mapping[str, Any]) -> None:
    """ValidationError keyed by field for every given (not None) value Vapi would refuse."""
    errors: dict[str, list[ValidationError]] = {}
    for field_name, validate in VALIDATORS.items():
        value = settings.get(field_name)
        if value is None:
            continue
        try:
            validate(str(value))
        except ValidationError as exc:
            errors[field_name] = [exc]
    if errors:
        raise ValidationError(errors)
