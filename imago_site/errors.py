"""The one shape of a refused request: a stable `code` for programs and a `message` for people.

Django-free on purpose, so `dialogue/flow.py` raises it too. Every app's error
(`CoupleError`, `ExerciseError`, `DialogueError`, `flow.FlowError`) is this class under
another name; HTTP views hand it to `imago_site.http.refuse` (a message or a form error) and
the websocket consumer sends `error.frame()`."""

from __future__ import annotations

from typing import Any


class ImagoError(Exception):
    """A refused request: nothing was changed, and `message` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message

    def frame(self, *, in_reply_to: str | None = None) -> dict[str, Any]:
        """The websocket error frame (docs/protocol.md)."""
        return {
            "type": "error",
            "code": self.code,
            "message": self.message,
            "in_reply_to": in_reply_to,
        }
