"""Create a property's Vapi assistant from its data and save it locally; safe to run again.

python manage.py create_assistant --property "Harbor View Apartments"
python manage.py create_assistant --property 2 --voice-provider 11labs --voice-id paula

A property has one assistant: run again, the command updates that assistant (the options given,
plus the current property data) instead of creating a second one, and says so.
"""

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from properties.models import Property
from properties.selectors import property_find
from voice.assistants.services import PropertyAssistantSaved, assistant_create_or_update
from voice.vapi.errors import VoiceError


class Command(BaseCommand):
    help = (
        "Create the Vapi voice assistant for a property (name or id) and save it. A property "
        "has one assistant: if it already has one, that assistant is updated instead (the "
        "options given change, the others stay; the property's current units, hours and "
        "policies are pushed to Vapi), so running the command again never makes a duplicate."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--property", required=True, help="Property id or name.")
        parser.add_argument("--name", help="Assistant name (max 40 characters).")
        parser.add_argument("--first-message", help="What the assistant says first.")
        parser.add_argument("--voice-provider", help="e.g. 11labs, vapi, openai.")
        parser.add_argument("--voice-id", help="The provider's voice id.")
        parser.add_argument("--model", help="OpenAI model (default gpt-4o).")
        parser.add_argument("--language", help="Transcriber language (default en).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            prop = property_find(query=options["property"])
        except (Property.DoesNotExist, Property.MultipleObjectsReturned) as exc:
            raise CommandError(str(exc)) from exc
        try:
            saved = assistant_create_or_update(
                property=prop,
                name=options["name"],
                first_message=options["first_message"],
                voice_provider=options["voice_provider"],
                voice_id=options["voice_id"],
                model=options["model"],
                language=options["language"],
            )
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from exc
        except VoiceError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self._report(saved, prop))

    def _report(self, saved: PropertyAssistantSaved, prop: Property) -> str:
        assistant = saved.assistant
        vapi = f"Vapi id {assistant.vapi_assistant_id}"
        if saved.created:
            return (
                self.style.SUCCESS(f"Created assistant {assistant.pk} ({assistant.name})")
                + f" for {prop.name}; {vapi}"
            )
        if saved.changed:
            what = "changed: " + ", ".join(name.replace("_", " ") for name in saved.changed)
        else:
            what = "no setting changed; pushed with the current property data"
        return (
            self.style.SUCCESS(f"Updated assistant {assistant.pk} ({assistant.name})")
            + f" for {prop.name}, which already has it, instead of creating a second one"
            + f" ({what}); {vapi}"
        )


def _messages(exc: ValidationError) -> str:
    """The errors, each field's under its option's name (--voice-provider: ...)."""
    if not hasattr(exc, "error_dict"):
        return "; ".join(exc.messages)
    return "; ".join(
        message
        if field_name == NON_FIELD_ERRORS
        else f"--{field_name.replace('_', '-')}: {message}"
        for field_name, errors in exc.message_dict.items()
        for message in errors
    )
