"""What the Laravel-built CRMs (Kanbert, appcrm) do to input and say about it: trimmed input, 422 bodies."""

from __future__ import annotations

from typing import Any

from .base import HttpError


def attribute(name: str) -> str:
    """A field as Laravel names it in messages: ``address_country_id`` → "address country id"."""
    return name.replace("_", " ")


def laravel_input(value: Any) -> Any:
    """What Laravel's TrimStrings + ConvertEmptyStringsToNull middleware make of request input."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        return {k: laravel_input(v) for k, v in value.items()}
    if isinstance(value, list):
        return [laravel_input(v) for v in value]
    return value


def validation_error(name: str, message: str) -> HttpError:
    """A 422 for one field."""
    return HttpError(422, {"message": message, "errors": {name: [message]}})


class Errors:
    """Validation errors collected per field; `raise_if_any` answers 422 the way Laravel does."""

    max_string = 255

    def __init__(self) -> None:
        self.by_field: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.by_field.setdefault(name, []).append(message)

    def string(self, name: str, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            self.add(name, f"The {attribute(name)} field must be a string.")
            return None
        if len(value) > self.max_string:
            self.add(name, f"The {attribute(name)} field must not be greater than {self.max_string} characters.")
        return value

    def raise_if_any(self) -> None:
        if not self.by_field:
            return
        messages = [m for ms in self.by_field.values() for m in ms]
        more = len(messages) - 1
        message = messages[0] + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")
        raise HttpError(422, {"message": message, "errors": self.by_field})
