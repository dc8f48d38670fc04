"""005010X279A1 270 writer: subscriber or dependent inquiries, one service type per EQ.

Clock and control numbers are passed in (the caller owns their uniqueness), so the output is a
pure function of its inputs and tests can compare it byte for byte. Segment order follows
ASC X12 005010X279A1 as restated in the pyx12 270 map (branch `map-restructure`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from coverage.domain.text import is_visible
from coverage.errors import InputError
from coverage.x12.delimiters import Delimiters

VERSION = "005010X279A1"
# Service types an IOP inquiry asks about, one EQ (or one request) each (Stedi blog
# "6 tips for behavioral health eligibility checks", Nov 5 2025).
IOP_INQUIRY_MH = ("30", "MH", "CH", "A8")
IOP_INQUIRY_SUD = ("30", "MH", "AI", "CJ", "A8")


@dataclass(frozen=True, slots=True)
class Person270:
    """Subscriber (NM1*IL) or dependent (NM1*03). Holds PHI."""

    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    suffix: str = ""
    member_id: str = ""  # NM109 with NM108 MI; a dependent usually has none
    birth_date: date | None = None
    gender: str = ""  # DMG03: F, M, U


@dataclass(frozen=True, slots=True)
class Inquiry270:
    """One 270 transaction: who asks, whom about, which day, which service types."""

    payer_name: str
    payer_id: str
    provider_name: str
    provider_id: str  # an NPI with the default qualifier XX
    subscriber: Person270
    reference: str  # BHT03: echoed in the 271
    trace_number: str  # TRN02: ties the 271 to our job and attempt
    trace_originator: str  # TRN03: 10 characters, 1 + our EIN by convention
    service_date: date
    service_types: tuple[str, ...] = ("30",)
    service_end: date | None = None
    dependent: Person270 | None = None
    dependent_relationship: str = ""  # INS02 in 2100D: 01 spouse, 19 child, 34 other adult
    provider_first_name: str = ""  # when the provider is a person (NM102 1)
    provider_entity: str = "1P"  # NM101
    provider_entity_type: str = "2"  # NM102: 1 person, 2 organization
    provider_id_qualifier: str = "XX"  # NM108
    payer_id_qualifier: str = "PI"


@dataclass(frozen=True, slots=True)
class Envelope270:
    """ISA/GS values agreed with the trading partner, and this interchange's numbers."""

    sender_id: str
    receiver_id: str
    interchange_control_number: int
    created: datetime
    transaction_control_number: str = "0001"
    group_control_number: int | None = None  # defaults to the interchange control number
    application_sender: str | None = None  # GS02, defaults to sender_id
    application_receiver: str | None = None
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    authorization_qualifier: str = "00"
    authorization: str = ""
    security_qualifier: str = "00"
    security: str = ""
    acknowledgment_requested: str = "0"
    usage: str = "P"  # P production, T test
    delimiters: Delimiters = field(default_factory=Delimiters)
    line_break: str = ""  # "\n" between segments, for people reading it
    transaction_created: datetime | None = None  # BHT04/05, defaults to `created`


def one_per_service_type(inquiry: Inquiry270) -> list[Inquiry270]:
    """For payers that answer only the first EQ: one inquiry per service type."""
    return [replace(inquiry, service_types=(stc,)) for stc in inquiry.service_types]


def write_270(inquiry: Inquiry270, envelope: Envelope270) -> str:
    """The interchange text. Raises InputError naming the field when a value cannot be written."""
    created = envelope.transaction_created or envelope.created
    body = _transaction(inquiry, envelope.transaction_control_number, created)
    return write_interchange([body], envelope, functional_id="HS")


Element = str | tuple[str, ...]  # a tuple is a repeated element, joined by ISA11


def write_interchange(
    transactions: Sequence[Sequence[Sequence[Element]]],
    envelope: Envelope270,
    *,
    functional_id: str,
) -> str:
    """ISA/GS ... GE/IEA around ready transaction sets (HS for 270s, HB for 271s)."""
    d = envelope.delimiters
    created = envelope.created
    group = envelope.group_control_number or envelope.interchange_control_number
    for name, width, value in (
        ("authorization", 10, envelope.authorization),
        ("security", 10, envelope.security),
        ("sender_id", 15, envelope.sender_id),
        ("receiver_id", 15, envelope.receiver_id),
        ("interchange_control_number", 9, str(envelope.interchange_control_number)),
    ):
        if len(value) > width:
            raise InputError(f"envelope {name}: at most {width} characters")
    isa = [
        "ISA",
        envelope.authorization_qualifier,
        envelope.authorization.ljust(10),
        envelope.security_qualifier,
        envelope.security.ljust(10),
        envelope.sender_qualifier,
        envelope.sender_id.ljust(15),
        envelope.receiver_qualifier,
        envelope.receiver_id.ljust(15),
        created.strftime("%y%m%d"),
        created.strftime("%H%M"),
        d.repetition or "^",
        "00501",
        f"{envelope.interchange_control_number:09d}",
        envelope.acknowledgment_requested,
        envelope.usage,
        d.component,
    ]
    gs = [
        "GS",
        functional_id,
        envelope.application_sender or envelope.sender_id,
        envelope.application_receiver or envelope.receiver_id,
        created.strftime("%Y%m%d"),
        created.strftime("%H%M"),
        str(group),
        "X",
        VERSION,
    ]
    segments: list[Sequence[Element]] = [isa, gs, *(seg for ts in transactions for seg in ts)]
    segments += [["GE", str(len(transactions)), str(group)]]
    segments += [["IEA", "1", f"{envelope.interchange_control_number:09d}"]]
    return (d.segment + envelope.line_break).join(_segment(seg, d) for seg in segments) + d.segment


def _transaction(inquiry: Inquiry270, control: str, created: datetime) -> list[list[str]]:
    if not inquiry.service_types:
        raise InputError("inquiry service_types: at least one service type")
    dependent = inquiry.dependent
    sub = inquiry.subscriber
    segments: list[list[str]] = [
        ["ST", "270", control, VERSION],
        [
            "BHT",
            "0022",
            "13",
            inquiry.reference,
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
        ],
        ["HL", "1", "", "20", "1"],
        _nm1(
            "PR", "2", inquiry.payer_name, "", "", "", inquiry.payer_id_qualifier, inquiry.payer_id
        ),
        ["HL", "2", "1", "21", "1"],
        _nm1(
            inquiry.provider_entity,
            inquiry.provider_entity_type,
            inquiry.provider_name,
            inquiry.provider_first_name,
            "",
            "",
            inquiry.provider_id_qualifier,
            inquiry.provider_id,
        ),
        ["HL", "3", "2", "22", "1" if dependent else "0"],
    ]
    trace = ["TRN", "1", inquiry.trace_number, inquiry.trace_originator]
    patient = sub
    if dependent is None:
        segments.append(trace)
    sub_id = ("MI", sub.member_id) if sub.member_id else ("", "")
    segments.append(
        _nm1("IL", "1", sub.last_name, sub.first_name, sub.middle_name, sub.suffix, *sub_id)
    )
    if dependent is not None:
        if sub.birth_date is not None:
            segments.append(["DMG", "D8", _d8(sub.birth_date), sub.gender])
        segments.append(["HL", "4", "3", "23", "0"])
        segments.append(trace)
        dep_id = ("MI", dependent.member_id) if dependent.member_id else ("", "")
        segments.append(
            _nm1(
                "03",
                "1",
                dependent.last_name,
                dependent.first_name,
                dependent.middle_name,
                dependent.suffix,
                *dep_id,
            )
        )
        patient = dependent
    if patient.birth_date is not None:
        segments.append(["DMG", "D8", _d8(patient.birth_date), patient.gender])
    if dependent is not None and inquiry.dependent_relationship:
        segments.append(["INS", "N", inquiry.dependent_relationship])
    if inquiry.service_end is not None and inquiry.service_end != inquiry.service_date:
        if inquiry.service_end < inquiry.service_date:
            raise InputError("inquiry service_end: before service_date")
        period = f"{_d8(inquiry.service_date)}-{_d8(inquiry.service_end)}"
        segments.append(["DTP", "291", "RD8", period])
    else:
        segments.append(["DTP", "291", "D8", _d8(inquiry.service_date)])
    segments.extend(["EQ", stc] for stc in inquiry.service_types)
    segments.append(["SE", str(len(segments) + 1), control])
    return segments


def _nm1(
    entity: str,
    kind: str,
    last: str,
    first: str,
    middle: str,
    suffix: str,
    qualifier: str,
    identifier: str,
) -> list[str]:
    return ["NM1", entity, kind, last, first, middle, "", suffix, qualifier, identifier]


def _d8(day: date) -> str:
    return day.strftime("%Y%m%d")


_FIELDS = {"NM1": "name or identifier", "TRN": "trace", "BHT": "reference", "EQ": "service type"}


def _segment(elements: Sequence[Element], d: Delimiters) -> str:
    """One segment; trailing empty elements are dropped, as X12 requires."""
    sid = str(elements[0])
    separators = {d.element, d.component, d.segment} | ({d.repetition} if d.repetition else set())
    texts = []
    for value in elements:
        parts = value if isinstance(value, tuple) else (value,)
        if sid != "ISA" and any(sep in part for part in parts for sep in separators):
            raise InputError(f"X12 {sid} {_FIELDS.get(sid, 'value')}: contains an X12 separator")
        # The request refuses these at submit; this guards anything that reaches the writer else.
        if not all(is_visible(part) for part in parts):
            raise InputError(f"X12 {sid} {_FIELDS.get(sid, 'value')}: contains a control character")
        if len(parts) > 1 and not d.repetition:
            raise InputError(f"{sid}: repeated element without a repetition separator")
        texts.append((d.repetition or "").join(parts))
    while len(texts) > 1 and texts[-1] == "":
        texts.pop()
    return d.element.join(texts)
