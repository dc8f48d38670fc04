"""What can be wrong with the rule book, always said with the file and line.

A `RuleFileError` is one problem at file:line:column; a `RuleBookError` is a candidate rule book
refused, carrying every problem found in it; a `RuleWarning` is something an operator should
act on soon (data about to run out, a file the service ignores) that does not stop the book.
"""

from dataclasses import dataclass


def _where(path: str, line: int | None, column: int | None) -> str:
    if line is None:
        return path
    return f"{path}:{line}" + (f":{column}" if column is not None else "")


class RuleFileError(Exception):
    """A rule file that cannot be used; str() is "payer_rules/x.yaml:LINE:COLUMN: message"."""

    def __init__(
        self, path: str, line: int | None, message: str, column: int | None = None
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{_where(self.path, self.line, self.column)}: {self.message}"


class RuleBookError(Exception):
    """A candidate rule book refused as a whole; `errors` holds every problem, in file order."""

    def __init__(self, errors: list[RuleFileError]) -> None:
        if not errors:
            raise ValueError("a refused rule book names at least one error")
        self.errors = tuple(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        more = len(self.errors) - 1
        return str(self.errors[0]) + (f" (and {more} more)" if more else "")


class RuleLookupError(LookupError):
    """The rule book has no (or no single) answer for a question asked of it."""


@dataclass(frozen=True)
class RuleWarning:
    """Something to act on soon that does not stop the rule book."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{_where(self.path, self.line, None)}: {self.message}"
