"""Typed errors that every tool raises, so one boundary can turn them into words.

Tools never print and never exit. They raise one of these with a message that says
what is wrong (file, line, column, field) and a hint that says what to do. The CLI
and the graph catch `ToolError` and show `str(err)` — never a traceback.
"""

from __future__ import annotations


class ToolError(Exception):
    """A failure the user can act on: a message and, where known, the fix."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  → {self.hint}" if self.hint else self.message

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Rebuilt from its fields when it crosses a process boundary (the server's worker pool): the
        default would call the constructor with the message alone, which fails for errors whose
        constructor requires more (`BadRowError`'s path and line) and broke the pool."""
        return _restore, (type(self), self.message, dict(self.__dict__))


def _restore(cls: type[ToolError], message: str, fields: dict[str, object]) -> ToolError:
    err = cls.__new__(cls)
    Exception.__init__(err, message)
    err.__dict__.update(fields)
    return err


class DataError(ToolError):
    """The user's dataset cannot be read or does not meet the target format."""


class BadRowError(DataError):
    """One row of a table cannot be read (e.g. more fields than the header), at `line` and `column`.

    Unlike a broken file, the rest can be read: the person may choose to skip such rows
    (`skip_bad_rows=True` on the readers), so the error says where it is and that it can be skipped."""

    def __init__(self, message: str, hint: str | None = None, *, path: str, line: int,
                 column: int | None = None) -> None:
        super().__init__(message, hint)
        self.path = path
        self.line = line
        self.column = column


class CloudError(ToolError):
    """A Google Cloud (or local-platform) call failed; `advice` comes from the known-failures table."""

    def __init__(self, message: str, hint: str | None = None, *, code: int | None = None,
                 status: str | None = None, retryable: bool = False) -> None:
        super().__init__(message, hint)
        self.code = code
        self.status = status
        self.retryable = retryable

