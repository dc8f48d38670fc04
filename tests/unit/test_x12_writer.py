"""The 270 writer: the LinuxForHealth sample inquiries byte for byte, and an IOP inquiry segment by segment."""

from datetime import date, datetime
from pathlib import Path
from typing import TypedDict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coverage.errors import InputError
from coverage.x12.delimiters import Delimiters
from coverage.x12.envelope import read_interchange
from coverage.x12.reader_270 import read_270
from coverage.x12.writer_270 import (
    IOP_INQUIRY_MH,
    Envelope270,
    Inquiry270,
    Person270,
    one_per_service_type,
    write_270,
)

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"

# The envelope values of the LinuxForHealth samples.
LFH_ENVELOPE = Envelope270(
    sender_id="000000005",
    receiver_id="12345",
    application_receiver="54321",
    sender_qualifier="30",
    receiver_qualifier="30",
    authorization_qualifier="03",
    authorization="9876543210",
    security_qualifier="01",
    security="9876543210",
    acknowledgment_requested="1",
    usage="T",
    interchange_control_number=907,
    group_control_number=1,
    transaction_control_number="1234",
    created=datetime(2013, 10, 31, 11, 47),
    transaction_created=datetime(2006, 5, 1, 13, 19),
    line_break="\n",
)


class LfhInquiry(TypedDict):
    """The Inquiry270 fields the LinuxForHealth samples share."""

    payer_name: str
    payer_id: str
    provider_id_qualifier: str
    reference: str
    trace_number: str
    trace_originator: str
    service_date: date


LFH_INQUIRY: LfhInquiry = {
    "payer_name": "ABC COMPANY",
    "payer_id": "842610001",
    "provider_id_qualifier": "SV",
    "reference": "10001234",
    "trace_number": "93175-012547",
    "trace_originator": "9877281234",
    "service_date": date(2006, 5, 1),
}


def test_subscriber_inquiry_matches_the_lfh_sample_exactly() -> None:
    inquiry = Inquiry270(
        **LFH_INQUIRY,
        provider_name="BONE AND JOINT CLINIC",
        provider_id="2000035",
        subscriber=Person270(
            last_name="SMITH",
            first_name="ROBERT",
            member_id="11122333301",
            birth_date=date(1943, 5, 19),
        ),
    )
    expected = (SAMPLES / "lfh-subscriber-health-benefit-check.270").read_text()
    assert write_270(inquiry, LFH_ENVELOPE) == expected


def test_dependent_inquiry_matches_the_lfh_sample_exactly() -> None:
    inquiry = Inquiry270(
        **LFH_INQUIRY,
        provider_name="JONES",
        provider_first_name="MARCUS",
        provider_entity_type="1",
        provider_id="2000034",
        subscriber=Person270(member_id="11122333301"),
        dependent=Person270(last_name="SMITH", first_name="MARY", birth_date=date(1978, 10, 14)),
    )
    expected = (SAMPLES / "lfh-dependent-health-benefit-check.270").read_text()
    assert write_270(inquiry, LFH_ENVELOPE) == expected


IOP_ENVELOPE = Envelope270(
    sender_id="EXAMPLEIOP",
    receiver_id="EXAMPLEPAYER",
    interchange_control_number=42,
    transaction_control_number="0042",
    created=datetime(2026, 3, 1, 9, 5),
)
IOP_INQUIRY = Inquiry270(
    payer_name="EXAMPLE HEALTH PLAN",
    payer_id="99999",
    provider_name="EXAMPLE IOP CLINIC",
    provider_id="1234567893",
    subscriber=Person270(
        last_name="DOE",
        first_name="JANE",
        member_id="W000000009",
        birth_date=date(1990, 1, 1),
        gender="F",
    ),
    reference="JOB42A1",
    trace_number="JOB42A1",
    trace_originator="9EXAMPLEIO",
    service_date=date(2026, 3, 2),
    service_end=date(2026, 5, 22),
    service_types=("30", *IOP_INQUIRY_MH[1:], "AI"),
)


def test_iop_subscriber_inquiry_asks_one_service_type_per_eq() -> None:
    assert write_270(IOP_INQUIRY, IOP_ENVELOPE).split("~") == [
        "ISA*00*          *00*          *ZZ*EXAMPLEIOP     *ZZ*EXAMPLEPAYER   *260301*0905*^*00501*000000042*0*P*:",
        "GS*HS*EXAMPLEIOP*EXAMPLEPAYER*20260301*0905*42*X*005010X279A1",
        "ST*270*0042*005010X279A1",
        "BHT*0022*13*JOB42A1*20260301*0905",
        "HL*1**20*1",
        "NM1*PR*2*EXAMPLE HEALTH PLAN*****PI*99999",
        "HL*2*1*21*1",
        "NM1*1P*2*EXAMPLE IOP CLINIC*****XX*1234567893",
        "HL*3*2*22*0",
        "TRN*1*JOB42A1*9EXAMPLEIO",
        "NM1*IL*1*DOE*JANE****MI*W000000009",
        "DMG*D8*19900101*F",
        "DTP*291*RD8*20260302-20260522",
        "EQ*30",
        "EQ*MH",
        "EQ*CH",
        "EQ*A8",
        "EQ*AI",
        "SE*17*0042",
        "GE*1*42",
        "IEA*1*000000042",
        "",
    ]


def test_iop_dependent_inquiry_segments() -> None:
    inquiry = Inquiry270(
        **{
            **{f: getattr(IOP_INQUIRY, f) for f in IOP_INQUIRY.__dataclass_fields__},
            "subscriber": Person270(last_name="DOE", first_name="JOHN", member_id="W000000009"),
            "dependent": Person270(
                last_name="DOE", first_name="JIM", birth_date=date(2010, 6, 30), gender="M"
            ),
            "dependent_relationship": "19",
            "service_end": None,
            "service_types": ("MH",),
        }
    )
    body = write_270(inquiry, IOP_ENVELOPE).split("~")[8:-3]
    assert body == [
        "HL*3*2*22*1",
        "NM1*IL*1*DOE*JOHN****MI*W000000009",
        "HL*4*3*23*0",
        "TRN*1*JOB42A1*9EXAMPLEIO",
        "NM1*03*1*DOE*JIM",
        "DMG*D8*20100630*M",
        "INS*N*19",
        "DTP*291*D8*20260302",
        "EQ*MH",
        "SE*16*0042",
    ]


def test_written_270_has_a_clean_envelope_with_other_separators() -> None:
    envelope = Envelope270(
        **{
            **{f: getattr(IOP_ENVELOPE, f) for f in IOP_ENVELOPE.__dataclass_fields__},
            "delimiters": Delimiters(element="|", repetition="!", component=">", segment="\n"),
        }
    )
    text = write_270(IOP_INQUIRY, envelope)
    parsed = read_interchange(text)
    assert parsed.warnings == []
    assert parsed.tokens.delimiters == envelope.delimiters
    assert len(text.split("\n")[0]) == 105  # ISA is 106 characters with its terminator


def test_one_inquiry_per_service_type_for_payers_that_answer_only_one() -> None:
    split = one_per_service_type(IOP_INQUIRY)
    assert [i.service_types for i in split] == [("30",), ("MH",), ("CH",), ("A8",), ("AI",)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"subscriber": Person270(last_name="DO*E", member_id="X1")},
            "X12 NM1 name or identifier: contains an X12 separator",
        ),
        ({"trace_number": "A~B"}, "X12 TRN trace: contains an X12 separator"),
        (
            {"subscriber": Person270(last_name="DOE", first_name="JO\x1bE", member_id="X1")},
            "X12 NM1 name or identifier: contains a control character",
        ),
        (
            {"subscriber": Person270(last_name="DO\x00E", member_id="X1")},
            "X12 NM1 name or identifier: contains a control character",
        ),
        ({"service_types": ()}, "inquiry service_types: at least one service type"),
        ({"service_end": date(2026, 3, 1)}, "inquiry service_end: before service_date"),
    ],
)
def test_unwritable_values_are_refused_naming_the_field(
    change: dict[str, object], message: str
) -> None:
    fields = {f: getattr(IOP_INQUIRY, f) for f in IOP_INQUIRY.__dataclass_fields__}
    with pytest.raises(InputError) as caught:
        write_270(Inquiry270(**{**fields, **change}), IOP_ENVELOPE)
    assert str(caught.value) == message
    assert "DO*E" not in str(caught.value)


NAMES = (
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ '-", min_size=1, max_size=20)
    .map(str.strip)
    .filter(bool)
)
IDS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=2, max_size=20)
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31))
PEOPLE = st.builds(
    Person270,
    last_name=NAMES,
    first_name=NAMES,
    member_id=IDS,
    birth_date=DATES,
    gender=st.sampled_from(["F", "M", "U"]),
)


@settings(max_examples=300, derandomize=True, database=None)
@given(
    subscriber=PEOPLE,
    dependent=st.none() | PEOPLE,
    service_date=DATES,
    days=st.integers(0, 120),
    service_types=st.lists(
        st.sampled_from(["30", "MH", "CH", "CF", "A8", "AI", "CJ", "BB"]), min_size=1, max_size=5
    ),
)
def test_write_then_read_270_round_trips(
    subscriber: Person270,
    dependent: Person270 | None,
    service_date: date,
    days: int,
    service_types: list[str],
) -> None:
    end = date.fromordinal(min(service_date.toordinal() + days, date(2099, 12, 31).toordinal()))
    inquiry = Inquiry270(
        **{
            **{f: getattr(IOP_INQUIRY, f) for f in IOP_INQUIRY.__dataclass_fields__},
            "subscriber": subscriber,
            "dependent": dependent,
            "dependent_relationship": "19" if dependent else "",
            "service_date": service_date,
            "service_end": end if end != service_date else None,
            "service_types": tuple(service_types),
        }
    )
    interchange, (read_back,) = read_270(write_270(inquiry, IOP_ENVELOPE))
    assert read_back == inquiry
    assert interchange.warnings == []
