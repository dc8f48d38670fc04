"""Separators are declared by the ISA header itself; nothing else may be assumed."""

from dataclasses import dataclass

from coverage.x12.errors import X12ParseError

ISA_ELEMENTS = 16
ISA_LENGTH = 106  # fixed width, including the segment terminator


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    repetition: str | None = "^"  # ISA11 in 5010; 4010 has none
    component: str = ":"
    segment: str = "~"


def _isa_error(reason: str) -> X12ParseError:
    return X12ParseError(reason, segment_id="ISA", segment_number=1, offset=0)


def read_delimiters(text: str) -> tuple[Delimiters, int]:
    """The separators and the offset where the ISA starts (leading whitespace and BOM are skipped).

    ISA fields are fixed width, but senders that trim padding exist; counting the 16 element
    separators finds ISA16 and the terminator either way.
    """
    start = len(text) - len(text.lstrip("\ufeff \t\r\n"))
    if text[start : start + 3] != "ISA":
        raise X12ParseError(
            "the interchange does not start with ISA",
            segment_id=None,
            segment_number=None,
            offset=None,
        )
    element = text[start + 3 : start + 4]
    if not element or element.isalnum() or element.isspace():
        raise _isa_error("ISA element separator missing or alphanumeric")
    position = start + 3
    for _ in range(ISA_ELEMENTS - 1):
        position = text.find(element, position + 1)
        if position < 0:
            raise _isa_error(f"ISA has fewer than {ISA_ELEMENTS} elements")
    component = text[position + 1 : position + 2]
    segment = text[position + 2 : position + 3]
    if not component or not segment:
        raise _isa_error("ISA16 or the segment terminator is missing")
    if component.isalnum() or segment.isalnum() or len({element, component, segment}) < 3:
        raise _isa_error("ISA separators must be distinct and not letters or digits")
    fields = text[start:position].split(element)
    version, repetition = fields[12], fields[11]
    # In 4010 ISA11 is a standards identifier (usually U), not a separator.
    usable = (
        version >= "00501"
        and len(repetition) == 1
        and not repetition.isalnum()
        and repetition not in (element, component, segment)
    )
    return Delimiters(element, repetition if usable else None, component, segment), start
