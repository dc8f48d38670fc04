"""Text a person typed that reaches the payer's 270 or the staff pages, checked once here so the
API, the staff form, CSV batches and the command line refuse the same input with the same words.

Messages say what is wrong, never the value (it is PHI)."""

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# The separators the 270 writer uses (coverage.x12.delimiters.Delimiters: * ^ : ~) and the ones
# trading partners often declare instead (| and >). In a name they would end the element or the
# segment early, so the payer would read a different person or reject the inquiry.
X12_SEPARATORS = "~*:^|>"
# Text-direction controls (Trojan Source, CVE-2021-42574): they reorder what staff read on a page.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
# Zero-width joiner and non-joiner are part of how some scripts spell names (Persian, Indic).
_JOINERS = frozenset("\u200c\u200d")
# Control (Cc: NUL, BEL, ESC, tab, line breaks, DEL, C1), lone surrogates (Cs, which cannot be
# stored as UTF-8), line and paragraph separators, and invisible formatting (Cf).
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp", "Cf"})

INVISIBLE = "must not contain control characters or invisible formatting characters"
SEPARATOR = "must not contain any of ~ * : ^ | > (the payer's message uses them as separators)"


def _invisible(char: str) -> bool:
    if char in _JOINERS:
        return False
    return char in _BIDI_CONTROLS or unicodedata.category(char) in _REFUSED_CATEGORIES


def visible_text(value: str) -> str:
    """Refuses characters that cannot be printed or that reorder the text around them."""
    if not is_visible(value):
        raise ValueError(INVISIBLE)
    return value


def is_visible(value: str) -> bool:
    return not any(_invisible(char) for char in value)


def x12_safe_text(value: str) -> str:
    """Visible text that can go in a 270 element as it is."""
    visible_text(value)
    if any(char in X12_SEPARATORS for char in value):
        raise ValueError(SEPARATOR)
    return value


# A person's first or last name: letters of any script, spaces, apostrophes, hyphens, periods.
PersonName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80),
    AfterValidator(x12_safe_text),
]
# Other short free text shown on the pages (address lines, city, group number).
ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=120),
    AfterValidator(visible_text),
]
