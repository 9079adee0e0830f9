"""Typed errors. The CLI maps them to one line and an exit code; the ASGI app to
a status and a JSON body. Counted rejections of single records are values, not
exceptions (see `slogate.core.event.Rejection`)."""

from __future__ import annotations


class SlogateError(Exception):
    """Base of every error slogate raises on purpose."""

    exit_code: int = 1

    def one_line(self) -> str:
        return str(self).replace("\n", " ")


class ConfigError(SlogateError):
    """A configuration file is unreadable or invalid; carries where, so a user can fix it."""

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        return f"{where}{field}{self.message}"


class UsageError(SlogateError):
    """The command line asks for something impossible (bad date, missing input)."""

    exit_code = 2


class InputError(SlogateError):
    """An input file cannot be read at all (not found, not a supported format)."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None) -> None:
        self.file = file
        super().__init__(f"{file}: {message}" if file else message)


class EvidenceError(SlogateError):
    """An evidence file is malformed, hostile, from the future or otherwise unusable."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None) -> None:
        self.file = file
        super().__init__(f"{file}: {message}" if file else message)


class EngineError(SlogateError):
    """A query engine failed or is unavailable (e.g. no JVM for Spark)."""


class StoreError(SlogateError):
    """The event store cannot accept writes (disk full, read-only, closed)."""
