"""Domain errors. Every message is safe to show to the person who caused it."""


class DomainError(Exception):
    """Base for errors a user may see; ``message`` never names other tenants' data."""

    default_message = "Something went wrong."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NotFound(DomainError):
    """Raised alike for a record that does not exist and one the actor may not see."""

    default_message = "Not found."


class Forbidden(DomainError):
    default_message = "You do not have permission to do that."


class Conflict(DomainError):
    """The record is not in a state that allows the action (already approved, void, expired...)."""

    default_message = "That action is no longer possible."


class ValidationFailed(DomainError):
    default_message = "Some of the input is not valid."


class Unavailable(DomainError):
    """The database (or another dependency) cannot be reached: access is refused, nothing is written."""

    default_message = "The service is temporarily unavailable. Please try again in a moment."


class RateLimited(DomainError):
    default_message = "Too many attempts. Please wait a moment and try again."
