"""The error a command raises when the user should be told something."""

from __future__ import annotations


class UserFacingError(Exception):
    """A refusal meant for the person who ran the command (RoboDanny style).

    Carries a message key and its parameters rather than text: the bot's one error handler
    renders it in the caller's language as a short ephemeral reply, and nothing is logged.
    """

    def __init__(self, key: str, /, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params

    def __repr__(self) -> str:
        return f"UserFacingError({self.key!r}, {self.params!r})"
