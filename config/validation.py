"""Model validation helper shared by the services."""

from collections.abc import Mapping

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

UNIQUE_CODE = "unique"  # Django's own code for a `unique=True` clash


def full_clean_with_field_errors(
    obj: models.Model, *, constraint_fields: Mapping[str, str]
) -> None:
    """`obj.full_clean()`, with conditional-constraint errors moved onto the field they concern.

    Django reports a violated conditional UniqueConstraint as a non-field error; `constraint_fields`
    maps a constraint name to the field a client should fix (e.g. the lead's `phone`).
    """
    try:
        obj.full_clean()
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        messages = {
            str(constraint.violation_error_message): constraint.name
            for constraint in obj._meta.constraints
            if constraint.name in constraint_fields
        }
        errors: dict[str, list] = {}
        for field, field_errors in exc.error_dict.items():
            for error in field_errors:
                text = " ".join(error.messages)
                target = field
                if field == NON_FIELD_ERRORS and text in messages:
                    target = constraint_fields[messages[text]]
                    # The API answers a clash with an existing row 409, not 400 (config/errors.py).
                    error = ValidationError(error.message, code=UNIQUE_CODE, params=error.params)
                errors.setdefault(target, []).append(error)
        raise ValidationError(errors) from exc
