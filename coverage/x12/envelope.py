"""Tokenizer and envelope (ISA/GS/ST ... SE/GE/IEA) shared by the 270 and 271 code.

Count and control-number mismatches are warnings: the content is still readable, and payers do
send them. A transaction set that is not closed by SE is an error: it may be cut short.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from coverage.x12.delimiters import read_delimiters
from coverage.x12.errors import X12ParseError, X12Warning

Segment = list[str]  # element 0 is the segment ID
Warn = Callable[[str, int], None]  # (message, segment index)
_KNOWN_IDS: set[str] = set()


def _is_segment_id(sid: str) -> bool:
    if sid in _KNOWN_IDS:
        return True
    ok = 2 <= len(sid) <= 3 and sid.isascii() and sid.isalnum() and sid[0].isalpha()
    if ok and sid.upper() == sid and len(_KNOWN_IDS) < 512:
        _KNOWN_IDS.add(sid)
    return ok and sid.upper() == sid


class Tokens:
    """The segments of one interchange, with what is needed to locate any of them."""

    __slots__ = ("delimiters", "segments", "ids", "has_trailing", "_text", "_start")

    def __init__(self, text: str) -> None:
        self.delimiters, self._start = read_delimiters(text)
        self._text = text
        d = self.delimiters
        body = text[self._start :]
        # Line breaks are not X12 data: drop them at C speed unless one is the terminator.
        if d.segment not in "\r\n" and ("\n" in body or "\r" in body):
            body = body.replace("\r", "").replace("\n", "")
        elif d.segment in "\r\n":  # a CR or LF terminator: the other one is line noise
            body = body.replace("\n" if d.segment == "\r" else "\r", "")
        element = d.element
        segments = [piece.split(element) for piece in body.split(d.segment) if piece]
        ids = [segment[0] for segment in segments]
        bad = {sid for sid in set(ids).difference(_KNOWN_IDS) if not _is_segment_id(sid)}
        if bad:
            # One pass over the segments, however many distinct padded IDs a reply holds
            # (one rescan per distinct ID made a hostile reply quadratic).
            for index, sid in enumerate(ids):
                if sid in bad:
                    self._repair(segments, ids, index)
        self.segments, self.ids = segments, ids
        self.has_trailing = element + d.segment in body

    def _repair(self, segments: list[Segment], ids: list[str], index: int) -> None:
        """Spaces or tabs around a segment are tolerated; anything else is an error."""
        elements = segments[index]
        sid = elements[0].lstrip(" \t")
        if len(elements) == 1:
            sid = sid.rstrip(" \t")
        if not _is_segment_id(sid):
            self.segments, self.ids = segments, ids
            segments[index] = ["?"]
            raise self.error("not a segment identifier", index)
        elements[0], ids[index] = sid, sid
        if len(elements) > 1:
            elements[-1] = elements[-1].rstrip(" \t")

    def offset(self, index: int) -> int:
        """Character offset of segment `index` (0-based) in the original text."""
        text, term = self._text, self.delimiters.segment
        blank = "".join(c for c in "\r\n\t " if c != term)
        position, seen = self._start, -1
        while position < len(text):
            end = text.find(term, position)
            end = len(text) if end < 0 else end
            piece = text[position:end]
            if piece.strip(blank):
                seen += 1
                if seen == index:
                    return position + len(piece) - len(piece.lstrip(blank))
            position = end + 1
        return position

    def error(self, reason: str, index: int) -> X12ParseError:
        """A parse error located at segment `index` (0-based)."""
        sid = self.segments[index][0] if 0 <= index < len(self.segments) else None
        return X12ParseError(
            reason, segment_id=sid, segment_number=index + 1, offset=self.offset(index)
        )


@dataclass(slots=True)
class TransactionSet:
    code: str  # ST01: 270 or 271
    control_number: str  # ST02
    version: str  # ST03 (or GS08 when ST03 is absent)
    start: int  # index of ST in Tokens.segments
    end: int  # index of SE


@dataclass(slots=True)
class FunctionalGroup:
    functional_id: str  # GS01: HS (270) or HB (271)
    sender: str
    receiver: str
    control_number: str
    version: str  # GS08
    transaction_sets: list[TransactionSet] = field(default_factory=list)


@dataclass(slots=True)
class Interchange:
    tokens: Tokens
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    date: str  # ISA09 YYMMDD, kept as sent
    time: str
    version: str  # ISA12
    control_number: str  # ISA13
    usage: str  # ISA15: P production, T test
    groups: list[FunctionalGroup] = field(default_factory=list)
    warnings: list[X12Warning] = field(default_factory=list)

    @property
    def transaction_sets(self) -> list[TransactionSet]:
        return [ts for group in self.groups for ts in group.transaction_sets]


def _el(segment: Segment, index: int) -> str:
    return segment[index] if len(segment) > index else ""


def read_interchange(text: str) -> Interchange:
    """Tokenize and check the envelope. Raises only X12ParseError."""
    if not isinstance(text, str):
        raise X12ParseError("input is not text", segment_id=None, segment_number=None, offset=None)
    tokens = Tokens(text)
    segs = tokens.segments
    isa = segs[0]
    if len(isa) != 17:
        raise tokens.error("ISA must have 16 elements", 0)
    ic = Interchange(
        tokens=tokens,
        sender_qualifier=isa[5],
        sender_id=isa[6].strip(),
        receiver_qualifier=isa[7],
        receiver_id=isa[8].strip(),
        date=isa[9],
        time=isa[10],
        version=isa[12],
        control_number=isa[13],
        usage=isa[15],
    )
    warn = ic.warnings.append

    def warning(message: str, index: int) -> None:
        warn(X12Warning(message, segs[index][0], index + 1))

    i, n = 1, len(segs)
    group: FunctionalGroup | None = None
    iea_seen = False
    while i < n:
        sid = segs[i][0]
        if sid == "GS":
            if group is not None:
                warning("GS before the previous group's GE", i)
            gs = segs[i]
            group = FunctionalGroup(_el(gs, 1), _el(gs, 2), _el(gs, 3), _el(gs, 6), _el(gs, 8))
            ic.groups.append(group)
        elif sid == "ST":
            if group is None:
                raise tokens.error("ST outside a functional group (no GS before it)", i)
            i = _transaction_set(tokens, i, group, warning)
        elif sid == "GE":
            if group is None:
                warning("GE without GS", i)
            else:
                ge = segs[i]
                if _el(ge, 1) != str(len(group.transaction_sets)):
                    warning(
                        f"GE01 says {_el(ge, 1)!r} transaction sets, the group has "
                        f"{len(group.transaction_sets)}",
                        i,
                    )
                if _el(ge, 2) != group.control_number:
                    warning("GE02 does not match GS06", i)
            group = None
        elif sid == "IEA":
            if group is not None:
                warning("IEA before the group's GE", i)
                group = None
            iea = segs[i]
            if _el(iea, 1) != str(len(ic.groups)):
                warning(
                    f"IEA01 says {_el(iea, 1)!r} functional groups, the interchange has "
                    f"{len(ic.groups)}",
                    i,
                )
            if _el(iea, 2) != ic.control_number:
                warning("IEA02 does not match ISA13", i)
            iea_seen = True
            if i + 1 < n:
                warning("segments after IEA ignored", i + 1)
            break
        elif sid == "TA1":
            pass  # interchange acknowledgment: nothing to read for eligibility
        else:
            raise tokens.error("segment outside a transaction set", i)
        i += 1
    ic.warnings.sort(key=lambda w: w.segment_number or 0)
    if not iea_seen:
        ic.warnings.append(X12Warning("the interchange has no IEA"))
    if not ic.transaction_sets:
        raise tokens.error("the interchange holds no transaction set", n - 1)
    return ic


def _transaction_set(tokens: Tokens, i: int, group: FunctionalGroup, warning: Warn) -> int:
    segs, ids = tokens.segments, tokens.ids
    st = segs[i]
    try:
        end = ids.index("SE", i + 1)
    except ValueError:
        raise tokens.error("transaction set not closed by SE", i) from None
    inside = ids[i + 1 : end]
    if "ST" in inside or "GE" in inside or "IEA" in inside or "GS" in inside:
        raise tokens.error("transaction set not closed by SE", i)
    se = segs[end]
    count = end - i + 1
    if _el(se, 1) != str(count):
        warning(f"SE01 says {_el(se, 1)!r} segments, the transaction set has {count}", end)
    if _el(se, 2) != _el(st, 2):
        warning("SE02 does not match ST02", end)
    version = _el(st, 3) or group.version
    if _el(st, 3) and group.version and _el(st, 3) != group.version:
        warning(f"ST03 {_el(st, 3)} differs from GS08 {group.version}", i)
    expected_group = {"270": "HS", "271": "HB"}.get(_el(st, 1))
    if expected_group and group.functional_id != expected_group:
        warning(f"GS01 {group.functional_id} does not fit ST01 {_el(st, 1)}", i)
    trailing = tokens.has_trailing and [
        k for k in range(i, end + 1) if len(segs[k]) > 1 and segs[k][-1] == ""
    ]
    if trailing:
        more = f" and {len(trailing) - 1} more" if len(trailing) > 1 else ""
        warning(f"trailing element separators (here{more})", trailing[0])
    group.transaction_sets.append(TransactionSet(_el(st, 1), _el(st, 2), version, i, end))
    return end
