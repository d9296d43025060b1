"""The one error family the domain raises for bad input, so callers catch one thing."""


class DomainInputError(ValueError):
    """Input that cannot be understood; the message says what was read and what is wrong."""
