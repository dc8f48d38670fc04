"""Typed reader for 005010X279A1 271 responses: every loop level, in one pass over the segments.

Loop grammar (ASC X12 005010X279A1 271 as restated in the pyx12 X279A1 map and
LinuxForHealth/x12 0.57.0 `x12_271_005010X279A1/loops.py`): HL 20 source (2000A/2100A),
HL 21 receiver (2000B/2100B), HL 22 subscriber (2000C/2100C), HL 23 dependent (2000D/2100D);
under a subscriber or dependent each EB opens a 2110 loop
`EB HSD* REF* DTP* AAA* MSG* III* [LS NM1 N3 N4 PER PRV ... LE]`.
Unknown codes are kept as sent; unexpected segments are skipped with a warning; malformed
values raise X12ParseError naming the segment and its position. Nothing else escapes.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import ClassVar

from coverage.x12 import values
from coverage.x12.envelope import Interchange, Segment, Tokens, TransactionSet, read_interchange
from coverage.x12.errors import X12ParseError, X12Warning

SOURCE, RECEIVER, SUBSCRIBER, DEPENDENT = "20", "21", "22", "23"
_LOOP = {SOURCE: "A", RECEIVER: "B", SUBSCRIBER: "C", DEPENDENT: "D"}
_PARENT = {RECEIVER: SOURCE, SUBSCRIBER: RECEIVER, DEPENDENT: SUBSCRIBER}
_PAD = [""] * 16


@dataclass(slots=True)
class Name:
    """NM1: an entity's identity (2100A-D, 2120C/D)."""

    entity: str  # NM101: PR payer, 1P provider, IL insured, 03 dependent, P3, PRP, ...
    entity_type: str  # NM102: 1 person, 2 non-person
    last_or_organization: str
    first: str
    middle: str
    suffix: str
    id_qualifier: str  # NM108: PI, XX, MI, ...
    id: str
    relationship: str  # NM110 (2120 only)


@dataclass(slots=True)
class Address:
    """N3 + N4."""

    line1: str = ""
    line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""


@dataclass(slots=True)
class Contact:
    """PER: function code, name, and (qualifier, number) pairs such as ("TE", "8005550100")."""

    function: str
    name: str
    numbers: tuple[tuple[str, str], ...]


@dataclass(slots=True)
class RequestValidation:
    """AAA: the payer's verdict on (part of) the request."""

    valid: str  # AAA01: Y processable but negative, N invalid
    reason: str  # AAA03, e.g. 42, 72, 75
    follow_up: str  # AAA04, e.g. C, N, R
    loop: str  # where it sat: 2000A, 2100A, 2100B, 2100C, 2100D, 2110C, 2110D
    segment_number: int


@dataclass(slots=True)
class DatePeriod:
    """DTP: qualifier (346 plan begin, 291 plan, 292 benefit, ...) and the dates (None if the format is not D8/RD8)."""

    qualifier: str
    start: date | None
    end: date | None


@dataclass(slots=True)
class Reference:
    """REF."""

    qualifier: str
    value: str
    description: str


@dataclass(slots=True)
class ServiceDelivery:
    """HSD: e.g. 3 visits per 1 week."""

    quantity_qualifier: str
    quantity: Decimal | None
    unit: str
    sample_modulus: Decimal | None
    time_period: str
    period_count: Decimal | None
    frequency: str
    pattern: str


@dataclass(slots=True)
class Qualifier:
    """III (2115): place of service (ZZ + POS code) or nature of injury qualifying the EB above it."""

    qualifier: str
    code: str
    category: str
    text: str


@dataclass(slots=True)
class RelatedEntity:
    """2120C/D: a party the EB points to (PCP, carve-out administrator, other payer)."""

    name: Name
    address: Address | None = None
    contacts: list[Contact] = field(default_factory=list)
    provider_taxonomy: str = ""  # PRV03


@dataclass(slots=True)
class EligibilityBenefit:
    """EB with its 2110 companions."""

    code: str  # EB01
    coverage_level: str  # EB02
    service_types: tuple[str, ...]  # EB03 repetitions
    insurance_type: str  # EB04
    plan_description: str  # EB05
    time_period: str  # EB06
    amount: Decimal | None  # EB07
    percent: Decimal | None  # EB08, a fraction: .2 = 20%
    quantity_qualifier: str  # EB09
    quantity: Decimal | None  # EB10
    authorization: str  # EB11: Y, N, U
    in_network: str  # EB12: Y, N, U, W
    procedure: tuple[str, ...]  # EB13 components, e.g. ("HC", "90853")
    segment_number: int
    deliveries: list[ServiceDelivery] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    dates: list[DatePeriod] = field(default_factory=list)
    validations: list[RequestValidation] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    qualifiers: list[Qualifier] = field(default_factory=list)
    entities: list[RelatedEntity] = field(default_factory=list)

    @classmethod
    def coverage_status(
        cls, *, active: bool, plan_description: str, segment_number: int
    ) -> "EligibilityBenefit":
        """EB*1 (active) or EB*6 (inactive) for service type 30, as answers in other shapes
        (FHIR, a phone call) are read back through the X12 interpretation."""
        return cls(
            code="1" if active else "6",
            coverage_level="",
            service_types=("30",),
            insurance_type="",
            plan_description=plan_description,
            time_period="",
            amount=None,
            percent=None,
            quantity_qualifier="",
            quantity=None,
            authorization="",
            in_network="",
            procedure=(),
            segment_number=segment_number,
        )


@dataclass(slots=True)
class Party:
    """One HL level: information source (20), receiver (21), subscriber (22) or dependent (23)."""

    level: str  # HL03
    hl_id: str
    name: Name | None = None
    traces: list[tuple[str, str, str]] = field(default_factory=list)  # TRN01-03
    references: list[Reference] = field(default_factory=list)
    address: Address | None = None
    contacts: list[Contact] = field(default_factory=list)
    validations: list[RequestValidation] = field(default_factory=list)
    provider_taxonomy: str = ""
    birth_date: date | None = None
    gender: str = ""
    relationship: str = ""  # INS02: 18 self, 01 spouse, 19 child, ...
    demographics_corrected: bool = False  # INS03 001 + INS04 25
    dates: list[DatePeriod] = field(default_factory=list)
    benefits: list[EligibilityBenefit] = field(default_factory=list)
    children: list["Party"] = field(default_factory=list)

    @property
    def loop(self) -> str:
        return "2100" + _LOOP[self.level]


@dataclass(slots=True)
class Response271:
    """One 271 transaction set."""

    control_number: str  # ST02
    version: str
    purpose: str  # BHT02: 11 response, 06 confirmation
    reference: str  # BHT03: echoes the 270's
    created: date | None  # BHT04
    sources: list[Party]
    segment_number: int

    def parties(self) -> Iterator[Party]:
        stack = list(reversed(self.sources))
        while stack:
            party = stack.pop()
            yield party
            stack.extend(reversed(party.children))

    def members(self) -> Iterator[Party]:
        """Subscribers and dependents, in document order."""
        return (p for p in self.parties() if p.level in (SUBSCRIBER, DEPENDENT))

    def validations(self) -> Iterator[RequestValidation]:
        for party in self.parties():
            yield from party.validations
            for benefit in party.benefits:
                yield from benefit.validations


@dataclass(slots=True)
class Interchange271:
    interchange: Interchange
    responses: list[Response271]

    @property
    def warnings(self) -> list[X12Warning]:
        return self.interchange.warnings


def read_271(text: str) -> Interchange271:
    """Read every 271 transaction set of an interchange. Raises only X12ParseError."""
    interchange = read_interchange(text)
    responses = []
    for ts in interchange.transaction_sets:
        if ts.code != "271":
            shown = (
                repr(ts.code)
                if ts.code in ("270", "276", "277", "834", "835", "837", "999")
                else "value"
            )
            raise interchange.tokens.error(f"ST01 {shown} is not a 271 response", ts.start)
        responses.append(_Walker(interchange, ts).run())
    return Interchange271(interchange, responses)


class _Walker:
    """Walks one transaction set's segments with a small loop state."""

    def __init__(self, interchange: Interchange, ts: TransactionSet) -> None:
        self.tokens: Tokens = interchange.tokens
        self.warnings = interchange.warnings
        self.ts = ts
        self.rep = self.tokens.delimiters.repetition
        self.comp = self.tokens.delimiters.component
        self.index = ts.start
        self.by_id: dict[str, Party] = {}
        self.sources: list[Party] = []
        self.party: Party | None = None
        self.benefit: EligibilityBenefit | None = None
        self.entity: RelatedEntity | None = None  # set between LS and LE
        self.in_ls = False

    def fail(self, reason: str) -> X12ParseError:
        return self.tokens.error(reason, self.index)

    def warn(self, message: str) -> None:
        seg = self.tokens.segments[self.index]
        self.warnings.append(X12Warning(message, seg[0], self.index + 1))

    def run(self) -> Response271:
        segs = self.tokens.segments
        start, end = self.ts.start, self.ts.end
        self.index = start + 1
        bht = segs[self.index] if self.index < end else ["SE"]
        if bht[0] != "BHT":
            raise self.fail("BHT expected after ST")
        bht = bht + _PAD[len(bht) :]
        try:
            created = values.d8(bht[4], "BHT04") if bht[4] else None
        except ValueError as exc:
            raise self.fail(str(exc)) from None
        handlers, pad = self.HANDLERS, _PAD
        index = start + 2
        try:
            for index in range(start + 2, end):
                seg = segs[index]
                handler = handlers.get(seg[0])
                self.index = index
                if handler is None:
                    self.warn(f"segment not expected in a 271 ({self._where()}); skipped")
                elif len(seg) < 16:
                    handler(self, seg + pad[len(seg) :])
                else:
                    handler(self, seg)
        except ValueError as exc:
            self.index = index
            raise self.fail(str(exc)) from None
        if not self.sources:
            self.index = end
            raise self.fail("the 271 holds no HL 20 information source")
        return Response271(
            control_number=self.ts.control_number,
            version=self.ts.version,
            purpose=bht[2],
            reference=bht[3],
            created=created,
            sources=self.sources,
            segment_number=start + 1,
        )

    def _where(self) -> str:
        if self.party is None:
            return "before the first HL"
        suffix = _LOOP[self.party.level]
        if self.in_ls:
            return f"loop 2120{suffix}"
        if self.benefit is not None:
            return f"loop 2110{suffix}"
        return f"loop {self.party.loop}" if self.party.name else f"loop 2000{suffix}"

    def _current_party(self) -> Party:
        if self.party is None:
            raise ValueError("segment before the first HL")
        return self.party

    def _close_ls(self) -> None:
        if self.in_ls:
            self.warn("LS 2120 was not closed by LE")
            self.in_ls, self.entity = False, None

    # -- segment handlers: `e` is padded to at least 16 elements ---------------------------

    def hl(self, e: Segment) -> None:
        self._close_ls()
        hl_id, parent_id, level = e[1], e[2], e[3]
        if not hl_id:
            raise ValueError("HL01 is empty")
        if hl_id in self.by_id:
            raise ValueError("HL01 repeats an earlier HL ID")
        if level not in _LOOP:
            raise ValueError("HL03 is not 20, 21, 22 or 23")
        party = Party(level=level, hl_id=hl_id)
        if level == SOURCE:
            self.sources.append(party)
        else:
            parent = self.by_id.get(parent_id)
            if parent is None:
                raise ValueError("HL02 names no earlier HL")
            if parent.level != _PARENT[level]:
                raise ValueError(f"HL level {level} cannot sit under level {parent.level}")
            parent.children.append(party)
        self.by_id[hl_id] = party
        self.party, self.benefit = party, None

    def nm1(self, e: Segment) -> None:
        name = Name(e[1], e[2], e[3], e[4], e[5], e[7], e[8], e[9], e[10])
        if self.in_ls:
            if self.benefit is not None:  # always: LS opens only under an EB
                self.entity = RelatedEntity(name)
                self.benefit.entities.append(self.entity)
            return
        party = self._current_party()
        if self.benefit is not None or party.name is not None:
            self.warn(f"second NM1 in {self._where()}; skipped")
            return
        party.name = name

    def n3(self, e: Segment) -> None:
        target = self._address_owner()
        if target is not None:
            if target.address is None:
                target.address = Address()
            target.address.line1, target.address.line2 = e[1], e[2]

    def n4(self, e: Segment) -> None:
        target = self._address_owner()
        if target is not None:
            if target.address is None:
                target.address = Address()
            target.address.city, target.address.state, target.address.postal_code = e[1], e[2], e[3]

    def _address_owner(self) -> Party | RelatedEntity | None:
        if self.in_ls:
            if self.entity is None:
                self.warn("address before the 2120 NM1; skipped")
            return self.entity
        party = self._current_party()
        if self.benefit is not None:
            self.warn(f"address in {self._where()}; skipped")
            return None
        return party

    def per(self, e: Segment) -> None:
        pairs = tuple((e[i], e[i + 1]) for i in (3, 5, 7) if e[i] or e[i + 1])
        contact = Contact(e[1], e[2], pairs)
        if self.in_ls:
            if self.entity is not None:
                self.entity.contacts.append(contact)
            return
        self._current_party().contacts.append(contact)

    def prv(self, e: Segment) -> None:
        if self.in_ls:
            if self.entity is not None:
                self.entity.provider_taxonomy = e[3]
            return
        self._current_party().provider_taxonomy = e[3]

    def aaa(self, e: Segment) -> None:
        party = self._current_party()
        suffix = _LOOP[party.level]
        if self.benefit is not None:
            loop = "2110" + suffix
        elif party.name is None:
            loop = "2000" + suffix
        else:
            loop = party.loop
        validation = RequestValidation(e[1], e[3], e[4], loop, self.index + 1)
        if not validation.reason:
            raise ValueError("AAA03 (reject reason) is empty")
        (self.benefit.validations if self.benefit is not None else party.validations).append(
            validation
        )

    def trn(self, e: Segment) -> None:
        self._current_party().traces.append((e[1], e[2], e[3]))

    def ref(self, e: Segment) -> None:
        reference = Reference(e[1], e[2], e[3])
        if self.benefit is not None:
            self.benefit.references.append(reference)
        else:
            self._current_party().references.append(reference)

    def dmg(self, e: Segment) -> None:
        party = self._current_party()
        if e[1] == "D8" and e[2]:
            party.birth_date = values.d8(e[2], "DMG02")
        party.gender = e[3]

    def ins(self, e: Segment) -> None:
        party = self._current_party()
        party.relationship = e[2]
        party.demographics_corrected = e[3] == "001" and e[4] == "25"

    def dtp(self, e: Segment) -> None:
        start, end = values.date_period(e[2], e[3], "DTP03")
        period = DatePeriod(e[1], start, end)
        if self.benefit is not None:
            self.benefit.dates.append(period)
        else:
            self._current_party().dates.append(period)

    def eb(self, e: Segment) -> None:
        self._close_ls()
        party = self._current_party()
        if party.level not in (SUBSCRIBER, DEPENDENT):
            raise ValueError("EB outside a subscriber or dependent loop")
        if not e[1]:
            raise ValueError("EB01 is empty")
        stc = e[3]
        service_types = (
            tuple(stc.split(self.rep)) if self.rep and self.rep in stc else ((stc,) if stc else ())
        )
        benefit = EligibilityBenefit(
            code=e[1],
            coverage_level=e[2],
            service_types=service_types,
            insurance_type=e[4],
            plan_description=e[5],
            time_period=e[6],
            amount=values.decimal(e[7], "EB07"),
            percent=values.decimal(e[8], "EB08"),
            quantity_qualifier=e[9],
            quantity=values.decimal(e[10], "EB10"),
            authorization=e[11],
            in_network=e[12],
            procedure=tuple(e[13].split(self.comp)) if e[13] else (),
            segment_number=self.index + 1,
        )
        party.benefits.append(benefit)
        self.benefit = benefit

    def _require_benefit(self, segment: str) -> EligibilityBenefit | None:
        if self.benefit is None:
            self.warn(f"{segment} outside a 2110 EB loop; skipped")
        return self.benefit

    def hsd(self, e: Segment) -> None:
        benefit = self._require_benefit("HSD")
        if benefit is not None:
            benefit.deliveries.append(
                ServiceDelivery(
                    quantity_qualifier=e[1],
                    quantity=values.decimal(e[2], "HSD02"),
                    unit=e[3],
                    sample_modulus=values.decimal(e[4], "HSD04"),
                    time_period=e[5],
                    period_count=values.decimal(e[6], "HSD06"),
                    frequency=e[7],
                    pattern=e[8],
                )
            )

    def msg(self, e: Segment) -> None:
        benefit = self._require_benefit("MSG")
        if benefit is not None and e[1]:
            benefit.messages.append(e[1])

    def iii(self, e: Segment) -> None:
        benefit = self._require_benefit("III")
        if benefit is not None:
            benefit.qualifiers.append(Qualifier(e[1], e[2], e[3], e[4]))

    def ls(self, e: Segment) -> None:
        if self.in_ls:
            raise ValueError("LS inside an open LS loop")
        if self.benefit is None:
            raise ValueError("LS outside a 2110 EB loop")
        self.in_ls, self.entity = True, None

    def le(self, e: Segment) -> None:
        if not self.in_ls:
            self.warn("LE without LS; skipped")
            return
        if e[1] != "2120":
            self.warn("LE01 is not 2120")
        self.in_ls, self.entity = False, None

    def ignore(self, e: Segment) -> None:
        """Read but not needed for eligibility (HI diagnoses, MPI military status)."""

    HANDLERS: ClassVar[dict[str, Callable[["_Walker", Segment], None]]] = {
        "HL": hl,
        "NM1": nm1,
        "N3": n3,
        "N4": n4,
        "PER": per,
        "PRV": prv,
        "AAA": aaa,
        "TRN": trn,
        "REF": ref,
        "DMG": dmg,
        "INS": ins,
        "DTP": dtp,
        "EB": eb,
        "HSD": hsd,
        "MSG": msg,
        "III": iii,
        "LS": ls,
        "LE": le,
        "HI": ignore,
        "MPI": ignore,
    }
