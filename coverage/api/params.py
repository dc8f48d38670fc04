"""Query and header values the API and the pages search or store by: refused when they hold
control characters (PostgreSQL cannot compare or store a NUL in text, so it would answer 500)."""

from typing import Annotated

from fastapi import Header
from pydantic import AfterValidator, StringConstraints

from coverage.domain.text import visible_text

# A user name or an action to search the audit log by.
SearchText = Annotated[str, StringConstraints(max_length=80), AfterValidator(visible_text)]
# Printable ASCII, as clients make them (usually a UUID).
IdempotencyKey = Annotated[str | None, Header(max_length=128, pattern=r"^[\x20-\x7e]+$")]
