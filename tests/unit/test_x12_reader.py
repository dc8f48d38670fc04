"""The 271 reader on hand-made variations: separators, line breaks, envelopes, and located errors."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from coverage.x12.errors import X12ParseError
from coverage.x12.reader_271 import read_271

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
SUBSCRIBER = (SAMPLES / "lfh-subscriber-health-benefit-check.271").read_text()


def segments(text: str) -> list[str]:
    return [s.strip() for s in text.split("~") if s.strip()]


def interchange(*segs: str) -> str:
    return "~".join(segs) + "~"


def replaced(old: str, new: str) -> str:
    assert old in SUBSCRIBER
    return SUBSCRIBER.replace(old, new, 1)


def error_of(text: str) -> X12ParseError:
    with pytest.raises(X12ParseError) as caught:
        read_271(text)
    return caught.value


def test_crlf_none_and_newline_after_terminators_read_the_same() -> None:
    plain = SUBSCRIBER.replace("\n", "")
    crlf = SUBSCRIBER.replace("\n", "\r\n")
    readings = [read_271(text).responses[0] for text in (plain, crlf, SUBSCRIBER)]
    benefits = [
        [(b.code, b.amount, b.in_network) for b in next(r.members()).benefits] for r in readings
    ]
    assert benefits[0] == benefits[1] == benefits[2]
    assert benefits[0][3] == ("B", Decimal("10.00"), "Y")


def test_segment_ids_padded_with_spaces_and_tabs_read_as_unpadded() -> None:
    """Every segment after ISA padded with its own run of blanks (before the ID, and after the
    last element): the reading is the same as the unpadded reply's, with the same warnings."""
    parts = segments(SUBSCRIBER)
    padded = [parts[0]] + [
        format(n + 1, "05b").replace("0", " ").replace("1", "\t") + part + " \t"[: n % 3]
        for n, part in enumerate(parts[1:])
    ]
    plain, hostile = read_271(interchange(*parts)), read_271(interchange(*padded))
    assert hostile.responses == plain.responses
    assert hostile.warnings == plain.warnings
    assert len({p[: len(p) - len(p.lstrip())] for p in padded[1:]}) == len(padded) - 1


@pytest.mark.parametrize("terminator", ["\n", "\r"])
def test_a_line_break_may_itself_be_the_terminator(terminator: str) -> None:
    text = SUBSCRIBER.replace("~\n", "~").replace("~", terminator)
    text = text.replace(terminator, "\r\n") if terminator == "\n" else text.replace("\r", "\r\n")
    member = next(read_271(text).responses[0].members())
    assert [b.amount for b in member.benefits if b.code == "B"] == [
        Decimal("10.00"),
        Decimal("30.00"),
    ]


def test_separators_come_from_the_isa_header() -> None:
    text = SUBSCRIBER.replace("*", "|").replace("^", "!").replace("~", "\x1c")
    text = text.replace("|!|00501|", "|!|00501|")  # ISA11 is now "!"
    member = next(read_271(text).responses[0].members())
    assert member.benefits[2].service_types == LFH_TYPES
    assert member.birth_date == date(1963, 5, 19)


LFH_TYPES = ("1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC")


def test_several_transaction_sets_and_groups_in_one_interchange() -> None:
    segs = segments(SUBSCRIBER)
    isa, gs, body = segs[0], segs[1], segs[2:-2]
    second_body = [
        s.replace("ST*271*4321", "ST*271*4322").replace("SE*22*4321", "SE*22*4322") for s in body
    ]
    gs2 = gs.replace("*1*X*", "*2*X*")
    text = interchange(
        isa, gs, *body, *second_body, "GE*2*1", gs2, *body, "GE*1*2", "IEA*2*000000907"
    )

    parsed = read_271(text)

    assert [r.control_number for r in parsed.responses] == ["4321", "4322", "4321"]
    assert parsed.warnings == []


def test_count_and_control_number_mismatches_are_warnings() -> None:
    text = (
        replaced("SE*22*4321", "SE*21*4329")
        .replace("GE*1*1", "GE*3*7")
        .replace("IEA*1*000000907", "IEA*2*000000908")
    )
    parsed = read_271(text)

    assert [str(w) for w in parsed.warnings] == [
        "segment SE #24: SE01 says '21' segments, the transaction set has 22",
        "segment SE #24: SE02 does not match ST02",
        "segment GE #25: GE01 says '3' transaction sets, the group has 1",
        "segment GE #25: GE02 does not match GS06",
        "segment IEA #26: IEA01 says '2' functional groups, the interchange has 1",
        "segment IEA #26: IEA02 does not match ISA13",
    ]
    assert len(next(parsed.responses[0].members()).benefits) == 5


def test_missing_iea_and_unknown_segments_are_warnings() -> None:
    text = replaced("DMG*D8*19630519*M~", "DMG*D8*19630519*M~\nZZZ*1~").split("GE*1*1")[0]
    text += "GE*1*1~"
    parsed = read_271(text)
    assert [str(w) for w in parsed.warnings] == [
        "segment SE #25: SE01 says '22' segments, the transaction set has 23",
        "the interchange has no IEA",
        "segment ZZZ #15: segment not expected in a 271 (loop 2100C); skipped",
    ]


def test_aaa_is_read_at_every_level() -> None:
    text = interchange(
        *segments(SUBSCRIBER)[:6],
        "AAA*Y**42*R",
        "HL*2*1*21*1",
        "NM1*1P*2*CLINIC*****XX*1234567893",
        "AAA*N**43*C",
        "HL*3*2*22*1",
        "AAA*N**15*C",
        "NM1*IL*1*DOE*JANE****MI*X1",
        "AAA*N**72*C",
        "EB*1**MH",
        "AAA*N**53*C",
        "HL*4*3*23*0",
        "NM1*03*1*DOE*JIM",
        "AAA*N**67*C",
        "EB*1**CH",
        "AAA*N**AG*C",
        "SE*22*4321",
        "GE*1*1",
        "IEA*1*000000907",
    )
    response = read_271(text).responses[0]
    assert [(v.reason, v.loop, v.segment_number) for v in response.validations()] == [
        ("42", "2100A", 7),
        ("43", "2100B", 10),
        ("15", "2000C", 12),
        ("72", "2100C", 14),
        ("53", "2110C", 16),
        ("67", "2100D", 19),
        ("AG", "2110D", 21),
    ]


def test_eb_companions_are_kept_on_their_eb() -> None:
    text = replaced(
        "EB*L~",
        "EB*F*IND*CH*PR**29***VS*20**Y*HC:90853~HSD*VS*3***35*1~REF*G1*AUTH1~DTP*292*RD8*20260101-20261231~"
        "MSG*PRIOR AUTH REQUIRED~III*ZZ*22~EB*L~",
    ).replace("SE*22*", "SE*28*")
    member = next(read_271(text).responses[0].members())
    limit = member.benefits[1]
    assert (limit.code, limit.quantity_qualifier, limit.quantity, limit.procedure) == (
        "F",
        "VS",
        Decimal("20"),
        ("HC", "90853"),
    )
    assert [(d.quantity, d.time_period, d.period_count) for d in limit.deliveries] == [
        (Decimal("3"), "35", Decimal("1"))
    ]
    assert [(r.qualifier, r.value) for r in limit.references] == [("G1", "AUTH1")]
    assert [(d.qualifier, d.start, d.end) for d in limit.dates] == [
        ("292", date(2026, 1, 1), date(2026, 12, 31))
    ]
    assert limit.messages == ["PRIOR AUTH REQUIRED"]
    assert [(q.qualifier, q.code) for q in limit.qualifiers] == [("ZZ", "22")]
    pcp = member.benefits[2].entities[0].name
    assert (pcp.entity, pcp.last_or_organization, pcp.id) == ("P3", "JONES", "0202034")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "X12 before the first segment: the interchange does not start with ISA"),
        ("GS*HB~", "X12 before the first segment: the interchange does not start with ISA"),
        ("ISA*00*", "X12 segment ISA #1 at offset 0: ISA has fewer than 16 elements"),
        (
            replaced("DTP*346*D8*20060101", "DTP*346*D8*20061301"),
            "X12 segment DTP #15 at offset 492: DTP03 is not a valid calendar date",
        ),
        (
            replaced("DTP*346*D8*20060101", "DTP*346*RD8*20060101"),
            "X12 segment DTP #15 at offset 492: DTP03 is not a CCYYMMDD-CCYYMMDD range",
        ),
        (
            replaced("*27*10.00*", "*27*1O.00*"),
            "X12 segment EB #22 at offset 635: EB07 is not a decimal number of at most 18 characters",
        ),
        (
            replaced("*27*10.00*", "*27*-10.00*"),
            "X12 segment EB #22 at offset 635: EB07 is negative",
        ),
        (
            replaced("HL*3*2*22*0", "HL*3*9*22*0"),
            "X12 segment HL #9 at offset 333: HL02 names no earlier HL",
        ),
        (
            replaced("HL*3*2*22*0", "HL*3*2*24*0"),
            "X12 segment HL #9 at offset 333: HL03 is not 20, 21, 22 or 23",
        ),
        (
            replaced("HL*3*2*22*0", "HL*3*1*22*0"),
            "X12 segment HL #9 at offset 333: HL level 22 cannot sit under level 20",
        ),
        (
            replaced("HL*2*1*21*1~\nNM1*1P", "EB*1~\nNM1*1P"),
            "X12 segment EB #7 at offset 274: EB outside a subscriber or dependent loop",
        ),
        (
            replaced("BHT*0022", "BXT*0022"),
            "X12 segment BXT #4 at offset 187: BHT expected after ST",
        ),
        (
            SUBSCRIBER.split("SE*22")[0],
            "X12 segment ST #3 at offset 161: transaction set not closed by SE",
        ),
        (
            replaced("LS*2120", "NM1~LS*2120"),
            None,
        ),
        (
            replaced("NM1*IL", "nm1*IL"),
            "X12 segment ? #11 at offset 377: not a segment identifier",
        ),
        (
            replaced("GS*HB", "XX*HB"),
            "X12 segment XX #2 at offset 107: segment outside a transaction set",
        ),
    ],
)
def test_malformed_input_gives_a_located_error(text: str, message: str | None) -> None:
    if message is None:  # tolerated: an empty NM1 in 2110C is skipped with a warning
        assert read_271(text).warnings != []
        return
    error = error_of(text)
    assert str(error) == message
    if error.segment_number is not None:
        assert error.offset is not None
        assert (
            text[error.offset : error.offset + 2] == (error.segment_id or "")[:2]
            or error.segment_id == "?"
        )


def test_error_texts_carry_no_element_values() -> None:
    error = error_of(replaced("DMG*D8*19630519", "DMG*D8*19631519"))
    assert str(error) == "X12 segment DMG #14 at offset 473: DMG02 is not a valid calendar date"
    assert "1963" not in str(error)
