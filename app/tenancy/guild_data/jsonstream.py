"""A streaming JSON reader: one value at a time from a text stream, for the importer."""

from __future__ import annotations

import json
import re
from typing import Any, TextIO

from app.tenancy.guild_data.tables import TransferError

#: The largest single JSON value (one row) the importer will buffer.
MAX_VALUE_CHARS = 16 * 1024 * 1024

_WHITESPACE = re.compile(r"[ \t\n\r]*")


class JsonStream:
    """Reads JSON values one at a time from a text stream, keeping only the current one."""

    def __init__(self, source: TextIO, chunk: int = 1 << 16) -> None:
        self._source = source
        self._chunk = chunk
        self._buf = ""
        self._pos = 0
        self._consumed = 0  # characters dropped from the front of the buffer
        self._eof = False
        self._decoder = json.JSONDecoder()

    def _fill(self) -> bool:
        if self._eof:
            return False
        # Read at least as much as is buffered: a large value is re-parsed O(log n) times.
        try:
            data = self._source.read(max(self._chunk, len(self._buf) - self._pos))
        except UnicodeDecodeError as exc:
            raise TransferError(f"the file is not UTF-8 text ({exc.reason})") from None
        if not data:
            self._eof = True
            return False
        self._consumed += self._pos
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        return True

    def error(self, message: str, at: int | None = None) -> TransferError:
        """A refusal naming the character position in the file."""
        where = self._consumed + (self._pos if at is None else at)
        return TransferError(f"malformed export at character {where}: {message}")

    def peek(self) -> str:
        """The next non-whitespace character ("" at the end of the file), not consumed."""
        while True:
            self._pos = _WHITESPACE.match(self._buf, self._pos).end()  # type: ignore[union-attr]
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def expect(self, char: str, what: str) -> None:
        """Consume ``char`` or refuse, saying what was expected."""
        if self.peek() != char:
            raise self.error(f"expected {what}")
        self._pos += 1

    def value(self) -> tuple[Any, str]:
        """The next JSON value, parsed and as its original text."""
        if not self.peek():
            raise self.error("unexpected end of file")
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if len(self._buf) - self._pos > MAX_VALUE_CHARS:
                    raise self.error("a value larger than 16 MiB, or malformed JSON") from None
                if self._fill():
                    continue
                raise self.error(exc.msg, at=exc.pos) from None
            # A number at the end of the buffer may go on in the next chunk.
            if end == len(self._buf) and isinstance(value, int | float) and self._fill():
                continue
            text = self._buf[self._pos : end]
            self._pos = end
            return value, text

    def string(self, what: str) -> str:
        """The next value, which must be a JSON string."""
        if self.peek() != '"':
            raise self.error(f"expected {what}")
        value, _ = self.value()
        assert isinstance(value, str)
        return value

    def at_end(self) -> bool:
        """True when only whitespace is left."""
        return self.peek() == ""
