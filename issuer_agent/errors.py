"""Errors the agent's services raise; the app renders them as problem details."""

from __future__ import annotations

from typing import Any

__all__ = ["AgentError", "ConflictError", "InvalidInputError", "NotFoundError"]


class AgentError(Exception):
    """A request the agent cannot fulfil, with the HTTP status of the response."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class InvalidInputError(AgentError):
    status = 422
    title = "Invalid input"


class NotFoundError(AgentError):
    status = 404
    title = "Not found"


class ConflictError(AgentError):
    status = 409
    title = "Conflict"
