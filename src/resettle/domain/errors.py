"""Errors a user can cause. Each carries a message a person can act on; the CLI and the page show
the message, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class ResettleError(Exception):
    """Base of every error caused by input or usage. `exit_code` is what the CLI returns."""

    exit_code = 2
    # The mapping an import had found when it stopped ("site <- Camp (Liberty, Ashraf, Liberty)"), for the
    # command line and the Import page to show before the error.
    mapping_lines: list[str] | tuple[str, ...] = ()


class UsageError(ResettleError):
    """Wrong use: an unknown site, a bad option value, a read-only database."""

    exit_code = 2


class FileProblem(ResettleError):
    """The file itself cannot be read as a table: missing, binary, empty, malformed CSV, too big,
    a required column missing. Exit status 2."""

    exit_code = 2

    def __init__(self, path: str, message: str, line: int | None = None, column: str | None = None):
        self.path = str(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f": {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class RowError:
    """One invalid value: where it is and what is wrong."""

    path: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.column}: {self.message}"


class ValidationFailed(ResettleError):
    """Rows failed validation; nothing was written. Exit status 1."""

    exit_code = 1

    def __init__(self, errors: list[RowError], total: int | None = None, cap: int = 50):
        self.errors = errors
        self.total = total if total is not None else len(errors)
        self.cap = cap
        super().__init__(self.__str__())

    def __str__(self) -> str:
        shown = [str(e) for e in self.errors[: self.cap]]
        if self.total > len(shown):
            shown.append(f"... and {self.total - len(shown)} more errors ({self.total} in all)")
        shown.append("Nothing was imported: the database is unchanged.")
        return "\n".join(shown)
