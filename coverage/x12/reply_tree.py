"""A payer's X12 reply for billing to read: its segments one per line, as they came, and a tree
of envelopes and HL loops (2000A-2000D, their 2100 names, each EB line under its subscriber or
dependent) with a short plain label per segment.

Built on the shared tokenizer, never on a second one, and tolerant: a reply cut short or out of
order still gets a tree of what is there (only the envelope checks of read_interchange fail it).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from coverage.x12 import codes
from coverage.x12.delimiters import Delimiters
from coverage.x12.envelope import Segment, Tokens

# HL03 -> the 2000 loop and what its level is (005010X279A1 271).
LEVELS = {
    "20": ("A", "information source (the payer)"),
    "21": ("B", "information receiver (the provider)"),
    "22": ("C", "subscriber"),
    "23": ("D", "dependent"),
}
NAMES = {
    "A": "information source name",
    "B": "information receiver name",
    "C": "subscriber name",
    "D": "dependent name",
}
# NM101 entity codes seen in 271 replies (the same map as LEVELS and codes.py restate).
ENTITIES = {
    "PR": "payer",
    "1P": "provider",
    "FA": "facility",
    "IL": "insured (subscriber)",
    "03": "dependent",
    "P3": "primary care provider",
    "2B": "third-party administrator",
    "X3": "utilization management organization",
    "Y2": "managed care organization",
    "VN": "vendor",
    "PRP": "primary payer",
    "SEP": "secondary payer",
    "TTP": "tertiary payer",
}
DATES = {
    "291": "plan",
    "307": "eligibility",
    "346": "plan begin",
    "347": "plan end",
    "348": "benefit begin",
    "349": "benefit end",
    "356": "eligibility begin",
    "357": "eligibility end",
    "472": "service",
}
BENEFIT_WORDS = {
    "active": "active coverage",
    "inactive": "inactive coverage",
    "non_covered": "not covered",
    "deductible": "deductible",
    "out_of_pocket": "out-of-pocket maximum",
    "copay": "co-payment",
    "coinsurance": "co-insurance",
    "limitations": "limitations",
    "contact": "contact the entity named",
}
NETWORK_WORDS = {"Y": "in network", "N": "out of network", "W": "in or out of network"}


@dataclass
class Node:
    """A loop (no segment) or a segment as it came, with the segments that belong to it."""

    label: str
    segment: str | None = None
    children: list["Node"] = field(default_factory=list)


@dataclass(frozen=True)
class X12Reply:
    lines: list[str]  # one segment a line, its separators as sent
    tree: list[Node]


def read_reply(text: str) -> X12Reply:
    """The reply's segments and tree. Raises X12ParseError when it is not X12 at all (no ISA)."""
    tokens = Tokens(text)
    d = tokens.delimiters
    lines = [d.element.join(s) + d.segment for s in tokens.segments]
    return X12Reply(lines=lines, tree=_tree(tokens.segments, lines, d))


def _tree(segments: list[Segment], lines: list[str], d: Delimiters) -> list[Node]:
    roots: list[Node] = []
    interchange = group = transaction = None
    levels: dict[str, Node] = {}  # HL01 -> its 2000 loop
    level_letter = ""
    current: Node | None = None  # where the next segment goes
    benefit: Node | None = None  # the open EB line (2110), which takes what follows it
    related: Node | None = None  # an open LS ... LE (2120) inside it

    def top() -> Node:
        return transaction or group or interchange or _root(roots)

    for segment, line in zip(segments, lines, strict=True):
        sid = segment[0]
        leaf = Node(label(segment, d), line)
        if sid == "ISA":
            interchange = Node("Interchange", children=[leaf])
            roots.append(interchange)
            group = transaction = current = benefit = related = None
        elif sid == "GS":
            group = Node("Functional group", children=[leaf])
            (interchange or _root(roots)).children.append(group)
            transaction = current = benefit = related = None
        elif sid == "ST":
            transaction = Node("Transaction set", children=[leaf])
            (group or interchange or _root(roots)).children.append(transaction)
            levels, current, benefit, related = {}, None, None, None
        elif sid == "HL":
            letter, what = LEVELS.get(_el(segment, 3), ("", f"level {_el(segment, 3)}"))
            level_letter = letter
            loop = Node(f"Loop 2000{letter} — {what}", children=[leaf])
            parent = levels.get(_el(segment, 2)) if _el(segment, 2) else None
            (parent or top()).children.append(loop)
            levels[_el(segment, 1)] = loop
            current, benefit, related = loop, None, None
        elif sid in ("SE", "GE", "IEA"):
            owner = {"SE": transaction, "GE": group, "IEA": interchange}[sid]
            (owner or top()).children.append(leaf)
            current = benefit = related = None
            if sid == "SE":
                transaction = None
            elif sid == "GE":
                group = transaction = None
        elif related is not None:
            related.children.append(leaf)
            if sid == "LE":
                related = None
        elif sid == "LS" and benefit is not None:
            related = leaf
            benefit.children.append(leaf)
        elif sid == "EB":
            benefit = leaf
            (current or top()).children.append(leaf)
        elif benefit is not None:
            benefit.children.append(leaf)
        elif sid == "NM1" and current is not None and current.label.startswith("Loop 2000"):
            name = NAMES.get(level_letter, "name")
            loop = Node(f"Loop 2100{level_letter} — {name}", children=[leaf])
            current.children.append(loop)
            current = loop
        else:
            (current or top()).children.append(leaf)
    return roots


def _root(roots: list[Node]) -> Node:
    """Segments before any ISA (a reply that starts mid-way) hang under a loose root."""
    if not roots or roots[0].label != "Before the interchange":
        roots.insert(0, Node("Before the interchange"))
    return roots[0]


def _el(segment: Segment, index: int) -> str:
    return segment[index] if len(segment) > index else ""


def label(segment: Segment, d: Delimiters) -> str:
    """A short plain label: the segment ID, a dash, and what it says."""
    sid = segment[0]
    e = [*segment, *[""] * 20]
    text = _LABELS[sid](e, d) if sid in _LABELS else "segment"
    return f"{sid} — {text}"


def _isa(e: list[str], d: Delimiters) -> str:
    usage = {"P": "production", "T": "test"}.get(e[15], e[15])
    return f"interchange from {e[6].strip()} to {e[8].strip()}, control {e[13]}, {usage}"


def _gs(e: list[str], d: Delimiters) -> str:
    kind = {"HB": " (eligibility replies)", "HS": " (eligibility inquiries)"}.get(e[1], "")
    return f"functional group {e[1]}{kind}, control {e[6]}"


def _hl(e: list[str], d: Delimiters) -> str:
    what = LEVELS.get(e[3], ("", f"level code {e[3]}"))[1]
    under = f", under level {e[2]}" if e[2] else ""
    return f"level {e[1]}: {what}{under}"


def _nm1(e: list[str], d: Delimiters) -> str:
    who = ENTITIES.get(e[1], f"entity {e[1]}")
    name = ", ".join(part for part in (e[3], e[4]) if part)
    ident = f" ({e[8]} {e[9]})" if e[9] else ""
    return f"{who}: {name}{ident}" if name else f"{who}{ident}"


def _aaa(e: list[str], d: Delimiters) -> str:
    reason = codes.REJECT_REASONS.get(e[3], codes.DEFAULT_REJECT).hint
    follow = f" (follow-up code {e[4]})" if e[4] else ""
    return f"request rejected, reason {e[3]}: {reason}{follow}"


def _dtp(e: list[str], d: Delimiters) -> str:
    what = DATES.get(e[1], f"date {e[1]}")
    return f"{what} date: {_date(e[3])}"


def _dmg(e: list[str], d: Delimiters) -> str:
    sex = {"F": ", female", "M": ", male"}.get(e[3], "")
    return f"birth date {_date(e[2])}{sex}"


def _date(value: str) -> str:
    """CCYYMMDD or a CCYYMMDD-CCYYMMDD range, written 2026-03-02."""

    def one(v: str) -> str:
        return f"{v[:4]}-{v[4:6]}-{v[6:8]}" if len(v) == 8 and v.isdigit() else v

    return " to ".join(one(v) for v in value.split("-"))


def _eb(e: list[str], d: Delimiters) -> str:
    kind = codes.BENEFIT_KIND.get(e[1])
    parts = [BENEFIT_WORDS.get(kind.value, kind.value) if kind else f"benefit code {e[1]}"]
    if e[7]:
        parts[0] += f" {_money(e[7])}"
    if e[8]:
        parts[0] += f" {_percent(e[8])}"
    period = codes.TIME_PERIOD.get(e[6])
    if period is not None:
        words = period.value.replace("_", " ")
        parts[0] += f" per {words}" if e[6] in codes.PER_SESSION_PERIODS else f", {words}"
    if e[12] in NETWORK_WORDS:
        parts.append(NETWORK_WORDS[e[12]])
    level = codes.COVERAGE_LEVEL.get(e[2])
    if level is not None:
        parts.append(level.value.replace("_", " "))
    if e[10]:
        unit = codes.QUANTITY_UNIT.get(e[9], e[9])
        parts.append(f"{e[10]} {unit}")
    if e[11] == "Y":
        parts.append("authorization required")
    if e[3]:
        types = e[3].split(d.repetition) if d.repetition else [e[3]]
        parts.append(f"service type{'s' if len(types) > 1 else ''} {', '.join(types)}")
    if e[5]:
        parts.append(f"plan {e[5]}")
    return "benefit: " + ", ".join(parts)


def _money(value: str) -> str:
    try:
        return f"${Decimal(value):,.2f}"
    except InvalidOperation:
        return value


def _percent(value: str) -> str:
    """EB08 is a fraction (.2 = 20%); some payers send 20."""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    number = number * 100 if number <= 1 else number
    return f"{number.normalize():f}%"


def _hsd(e: list[str], d: Delimiters) -> str:
    unit = codes.QUANTITY_UNIT.get(e[1], e[1])
    period = codes.DELIVERY_PERIOD.get(e[5], e[5])
    amount = f"{e[2]} {unit}".strip()
    return f"how often: {amount}" + (f" per {period}" if period else "")


_LABELS: dict[str, Callable[[list[str], Delimiters], str]] = {
    "ISA": _isa,
    "GS": _gs,
    "ST": lambda e, d: f"transaction set {e[1]}, control {e[2]}",
    "BHT": lambda e, d: f"start of the reply, reference {e[3]}",
    "HL": _hl,
    "NM1": _nm1,
    "PER": lambda e, d: "contact: " + ", ".join(p for p in (e[2], e[4], e[6]) if p),
    "TRN": lambda e, d: f"trace number {e[2]}",
    "AAA": _aaa,
    "DMG": _dmg,
    "DTP": _dtp,
    "N3": lambda e, d: "street address",
    "N4": lambda e, d: "city, state and ZIP code",
    "INS": lambda e, d: "relationship to the subscriber",
    "PRV": lambda e, d: "provider specialty",
    "REF": lambda e, d: f"reference ({e[1]}): {e[2]}",
    "EB": _eb,
    "HSD": _hsd,
    "MSG": lambda e, d: f"message: {e[1]}",
    "III": lambda e, d: f"place of service {e[2]}" if e[1] == "ZZ" else f"information {e[1]}",
    "LS": lambda e, d: "start of the related entities",
    "LE": lambda e, d: "end of the related entities",
    "SE": lambda e, d: f"end of the transaction set ({e[1]} segments)",
    "GE": lambda e, d: "end of the functional group",
    "IEA": lambda e, d: "end of the interchange",
}
