"""The sandbox payer's answers as X12 271s, persona by member-ID prefix.

The personas and amounts are those of the in-process adapter (`coverage/adapters/sandbox.py`), so
a check through either gives the same normalized cost sharing; three more exist only here:

| member ID prefix | 271 |
| SBX-PPO-      | EB 1 active; deductible $1,500 calendar year and $300 remaining; out-of-pocket $4,000 and
|               | $3,000 remaining; MH coinsurance 20% in network, authorization required (EB11 Y) |
| SBX-MCR-      | EB 1 Medicare Part B; Part B deductible of that year remaining; 20% coinsurance;
|               | a year without a known deductible answers AAA 62 (date outside the inquiry period) |
| SBX-MCD-      | EB 1 Medicaid with EB11 Y; $0 deductible and out-of-pocket remaining |
| SBX-INACTIVE- | EB 6 inactive; plan dates of the previous year |
| SBX-DOWN-     | AAA 42 in 2100A when the trace number ends in 01 (our first attempt), else the PPO |
| SBX-CARVE-    | EB 1 active for 30; EB U for MH/CH/A8 naming a behavioral-health administrator (2120C X3)
|               | with its phone; group number (REF 6P); a benefit disclaimer (EB P with MSG) |
| SBX-QMB-      | Medicare Part B and EB04 QM (Qualified Medicare Beneficiary) |
| SBX-SPLIT-    | the PPO's deductible and out-of-pocket; mental health (MH) 20% coinsurance and substance use |
|               | (AI) $40 copay a day and 10% coinsurance, in network, each answered only when asked |
| anything else | AAA 75 subscriber not found, in 2100C |
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from coverage.x12.writer_270 import VERSION, Element, Inquiry270

# Part B deductible by year (CMS announcements), for both sandbox payers.
PART_B_DEDUCTIBLE = {2024: Decimal("240.00"), 2025: Decimal("257.00"), 2026: Decimal("283.00")}
PAYER_NAME = "IOP COVERAGE SANDBOX PAYER"

Segments = list[list[Element]]


def _eb(*elements: Element) -> list[Element]:
    return ["EB", *elements]


def _year(inquiry: Inquiry270) -> tuple[list[Element], list[Element]]:
    year = inquiry.service_date.year
    return ["DTP", "346", "D8", f"{year}0101"], ["DTP", "347", "D8", f"{year}1231"]


def _ppo(inquiry: Inquiry270) -> Segments:
    return [
        *_year(inquiry),
        _eb("1", "IND", ("30", "MH"), "PR", "SANDBOX PPO GOLD"),
        _eb("C", "IND", "30", "PR", "", "23", "1500.00", "", "", "", "", "Y"),
        _eb("C", "IND", "30", "PR", "", "29", "300.00", "", "", "", "", "Y"),
        _eb("G", "IND", "30", "PR", "", "23", "4000.00", "", "", "", "", "Y"),
        _eb("G", "IND", "30", "PR", "", "29", "3000.00", "", "", "", "", "Y"),
        _eb("A", "IND", "MH", "PR", "", "", "", ".20", "", "", "Y", "Y"),
        ["MSG", "PRIOR AUTHORIZATION REQUIRED FOR INTENSIVE OUTPATIENT"],
    ]


def part_b_deductible(year: int) -> Decimal | None:
    """The simulated Medicare's Part B deductible for a year. A year past the table gets the last
    year's amount: a real payer states the new one, the simulator has not been given it."""
    known = [y for y in PART_B_DEDUCTIBLE if y <= year]
    return PART_B_DEDUCTIBLE[max(known)] if known else None


def _medicare(inquiry: Inquiry270) -> Segments:
    deductible = part_b_deductible(inquiry.service_date.year)
    if deductible is None:
        return [["AAA", "N", "", "62", "C"]]
    return [
        *_year(inquiry),
        _eb("1", "IND", ("30", "MH"), "MB", "MEDICARE PART B"),
        _eb("C", "IND", "MH", "MB", "", "29", str(deductible)),
        _eb("A", "IND", "MH", "MB", "", "", "", ".20"),
    ]


def _qmb(inquiry: Inquiry270) -> Segments:
    segments = _medicare(inquiry)
    return segments + [_eb("1", "IND", "30", "QM")] if len(segments) > 1 else segments


def _medicaid(inquiry: Inquiry270) -> Segments:
    return [
        _year(inquiry)[0],
        _eb("1", "IND", ("30", "MH"), "MC", "SANDBOX STATE MEDICAID", "", "", "", "", "", "Y"),
        _eb("C", "IND", "MH", "MC", "", "29", "0.00"),
        _eb("G", "IND", "MH", "MC", "", "29", "0.00"),
    ]


def _inactive(inquiry: Inquiry270) -> Segments:
    year = inquiry.service_date.year - 1
    return [
        ["DTP", "346", "D8", f"{year}0101"],
        ["DTP", "347", "D8", f"{year}1231"],
        _eb("6", "IND", "30", "PR", "SANDBOX PPO GOLD"),
    ]


ADMINISTRATOR_ID = "SBXBH"  # asked directly, it answers for SBX-CARVE- members as the PPO does


def _carve_out(inquiry: Inquiry270) -> Segments:
    return [
        ["REF", "6P", "SBXGRP01"],
        *_year(inquiry),
        _eb("1", "IND", "30", "PR", "SANDBOX PPO GOLD"),
        _eb("U", "IND", ("MH", "CH", "A8")),
        ["MSG", "BEHAVIORAL HEALTH BENEFITS ADMINISTERED BY SANDBOX BEHAVIORAL HEALTH"],
        ["LS", "2120"],
        ["NM1", "X3", "2", "SANDBOX BEHAVIORAL HEALTH", "", "", "", "", "PI", ADMINISTRATOR_ID],
        ["PER", "IC", "", "TE", "8005550199"],
        ["LE", "2120"],
        _eb("P", "", "30"),
        ["MSG", "THIS IS NOT A GUARANTEE OF PAYMENT"],
    ]


def _split(inquiry: Inquiry270) -> Segments:
    """A payer that answers mental health and substance use separately, as asked (EQ01)."""
    asked = set(inquiry.service_types)
    segments = [*_year(inquiry), _eb("1", "IND", "30", "PR", "SANDBOX PPO GOLD")]
    if "30" in asked:
        segments += [
            _eb("C", "IND", "30", "PR", "", "29", "300.00", "", "", "", "", "Y"),
            _eb("G", "IND", "30", "PR", "", "29", "3000.00", "", "", "", "", "Y"),
        ]
    if "MH" in asked:
        segments.append(_eb("A", "IND", "MH", "PR", "", "", "", ".20", "", "", "", "Y"))
    if "AI" in asked:
        segments += [
            _eb("B", "IND", "AI", "PR", "", "27", "40.00", "", "", "", "", "Y"),
            _eb("A", "IND", "AI", "PR", "", "", "", ".10", "", "", "", "Y"),
        ]
    return segments


def _not_found(inquiry: Inquiry270) -> Segments:
    return [["AAA", "N", "", "75", "C"]]


PERSONAS: dict[str, Callable[[Inquiry270], Segments]] = {
    "SBX-PPO-": _ppo,
    "SBX-MCR-": _medicare,
    "SBX-QMB-": _qmb,
    "SBX-MCD-": _medicaid,
    "SBX-INACTIVE-": _inactive,
    "SBX-DOWN-": _ppo,
    "SBX-CARVE-": _carve_out,
    "SBX-SPLIT-": _split,
}


def attempt_of(trace_number: str) -> int:
    """Our trace numbers end in a two-digit attempt number (coverage/pipeline.py)."""
    return int(trace_number[-2:]) if trace_number[-2:].isdigit() else 1


def answer_271(
    inquiry: Inquiry270, *, control: str, now: datetime, unavailable: bool = False
) -> Segments:
    """The ST..SE segments answering one inquiry (`unavailable`: AAA 42, as if the payer were down)."""
    member = inquiry.subscriber.member_id.upper()
    prefix = next((p for p in PERSONAS if member.startswith(p)), None)
    head: Segments = [
        ["ST", "271", control, VERSION],
        ["BHT", "0022", "11", inquiry.reference, now.strftime("%Y%m%d"), now.strftime("%H%M")],
    ]
    payer: list[Element] = ["NM1", "PR", "2", PAYER_NAME, "", "", "", "", "PI", inquiry.payer_id]
    if unavailable or (prefix == "SBX-DOWN-" and attempt_of(inquiry.trace_number) < 2):
        down: Segments = [*head, ["HL", "1", "", "20", "0"], payer, ["AAA", "Y", "", "42", "R"]]
        return [*down, ["SE", str(len(down) + 1), control]]
    if inquiry.payer_id == ADMINISTRATOR_ID and prefix == "SBX-CARVE-":
        content = _ppo(inquiry)  # the administrator holds the behavioral-health benefits
    else:
        content = PERSONAS[prefix](inquiry) if prefix else _not_found(inquiry)
    sub = inquiry.subscriber
    dependent = inquiry.dependent
    patient_segments = [seg for seg in content if seg[0] != "AAA"]
    rejects = [seg for seg in content if seg[0] == "AAA"]
    body: Segments = [
        *head,
        ["HL", "1", "", "20", "1"],
        payer,
        ["HL", "2", "1", "21", "1"],
        [
            "NM1",
            inquiry.provider_entity,
            inquiry.provider_entity_type,
            inquiry.provider_name,
            inquiry.provider_first_name,
            "",
            "",
            "",
            inquiry.provider_id_qualifier,
            inquiry.provider_id,
        ],
        ["HL", "3", "2", "22", "1" if dependent and not rejects else "0"],
        ["TRN", "2", inquiry.trace_number, inquiry.trace_originator],
        [
            "NM1",
            "IL",
            "1",
            sub.last_name,
            sub.first_name,
            sub.middle_name,
            "",
            sub.suffix,
            "MI",
            sub.member_id,
        ],
        *rejects,
    ]
    if not rejects and dependent is not None:
        body += [
            ["HL", "4", "3", "23", "0"],
            ["NM1", "03", "1", dependent.last_name, dependent.first_name],
        ]
        patient = dependent
    else:
        patient = sub
    if not rejects:
        if patient.birth_date is not None:
            body.append(["DMG", "D8", _d8(patient.birth_date), patient.gender])
        if dependent is not None:
            body.append(["INS", "N", inquiry.dependent_relationship or "19"])
        body += patient_segments
    return [*body, ["SE", str(len(body) + 1), control]]


def _d8(day: date) -> str:
    return day.strftime("%Y%m%d")
