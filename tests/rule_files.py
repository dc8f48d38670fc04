"""Builders for tests that edit a copy of payer_rules/: the files an operator adds (payers reached
through the sandbox adapter or over CORE X12, fee schedules, criteria), and a CEL criterion the
runtime gives up on."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from coverage.adapters.base import settings_models
from coverage.rules.book import RuleBook
from coverage.rules.errors import RuleBookError
from coverage.rules.loader import load_book

# A comprehension the CEL runtime stops with "Iteration budget exceeded" (in about 2 ms).
_HUNDRED = "[" + ", ".join(["1"] * 100) + "]"
EXHAUSTING = f"{_HUNDRED}.all(a, {_HUNDRED}.all(b, a + b > 0))"

FEE_SCHEDULE = """kind: fee_schedule
version: "1"
source: test
effective: {effective}
service:
  description: Intensive outpatient psychiatric services, per diem
  code: S9480
{body}"""
PAYER = """kind: payer
id: {id}
name: Acme Health
type: commercial
adapter: sandbox
network_status: {network}
{extra}version: "1"
source: test
effective: 2024-01-01
"""
CORE_X12_PAYER = """kind: payer
id: {id}
name: {name}
type: commercial
adapter: core_x12
settings:
  url: {url}
  payer_x12_id: "{x12_id}"
  payer_name: {payer_name}
  provider_name: EXAMPLE IOP CLINIC
  sender_id: EXAMPLEIOP
  receiver_id: {receiver_id}
{settings}network_status: in_network
{extra}version: "1"
source: "{source}"
effective: "2024-01-01"
"""
CRITERIA = """kind: medical_necessity
id: acme-criteria
name: Acme criteria
instrument: recorded level
version: "1"
source: test
effective: 2024-01-01
applies_to: {{{applies_to}}}
criteria:
  - id: fits
    expr: '{expr}'
    met: fine
    not_met: does not fit
"""


def core_x12_payer(
    id: str,
    name: str,
    url: str,
    *,
    x12_id: str = "SBX01",
    payer_name: str = "IOP COVERAGE SANDBOX PAYER",
    receiver_id: str = "SANDBOX",
    settings: str = "",
    extra: str = "",
    source: str = "test",
) -> str:
    """A commercial, in-network payer file reached over CORE X12 at `url` (line 7), by default as
    the sandbox payer expects; `settings` adds indented lines to its settings, `extra` top-level
    lines."""
    return CORE_X12_PAYER.format(
        id=id,
        name=name,
        url=url,
        x12_id=x12_id,
        payer_name=payer_name,
        receiver_id=receiver_id,
        settings=settings,
        extra=extra,
        source=source,
    )


def replace_in(rules: Path, relative: str, old: str, new: str) -> None:
    """One edit of a file in the copy; the text to replace must be there."""
    path = rules / relative
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def sparse_file(path: Path, size: int) -> None:
    """A file of `size` bytes that takes no room on disk."""
    with path.open("wb") as handle:
        handle.truncate(size)


def refused(rules: Path, today: date | None = None) -> list[str]:
    """Every error loading the copy gives, as `rules check` prints them."""
    with pytest.raises(RuleBookError) as caught:
        read_book(rules, today=today)
    return [str(e) for e in caught.value.errors]


def read_book(directory: Path, **options: Any) -> RuleBook:
    """The rule book in a directory, checked against the installed adapters as the service does."""
    return load_book(directory, adapters=settings_models(), **options)
