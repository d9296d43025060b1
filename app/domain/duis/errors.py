"""Errors raised by the DUIS package, all under DomainInputError so callers catch one family.

The UI shows these messages to an installer and the back office logs them, so each one
names the Service Request (SRV) and the DUIS element it is about, says what was read and
what DUIS allows. Install codes and full MPxNs are never echoed back (they are secrets /
personal data that must not reach a log).
"""

from __future__ import annotations

from app.domain.errors import DomainInputError


class DuisError(DomainInputError):
    """Base of every DUIS-specific refusal."""


class DuisFieldError(DuisError):
    """An intent field holds a value DUIS (or HubCheck's stricter rule) does not allow."""


class RequestIdError(DuisError):
    """A RequestID that is malformed or does not belong to the intent it is rendered for."""


class IntentPayloadError(DuisError):
    """A stored/received intent payload that cannot be turned back into an intent."""


class DuisSchemaError(DuisError):
    """The DUIS XSD could not be loaded, or a document failed validation against it."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors: list[str] = list(errors or [])


class DuisResponseError(DuisError):
    """A DUIS response or acknowledgement that cannot be read."""


class UnsafeXmlError(DuisResponseError):
    """XML refused before reading: it carries a DTD, entity declarations or external references."""
