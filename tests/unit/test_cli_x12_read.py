"""`iop-coverage x12 read`: a saved payer answer (X12 271, clearinghouse JSON, FHIR) read the
way a verification reads it, printed for an operator, with every assumption."""

import json
import logging
import os
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from coverage.cli import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
X12 = FIXTURES / "x12"
ANSWERS = FIXTURES / "answers"
EVERY_FILE = sorted(p for p in X12.rglob("*") if p.is_file())
SAMPLES = [p for p in EVERY_FILE if not p.name.startswith(("LICENSE", "SOURCES", "README"))]
DAY = "2026-03-02"
# What `x12 read` printed for each fixture, read line by line when it was recorded; a change to
# the reader shows here as a diff to read again. IOP_COVERAGE_RECORD_X12_READ=1 records anew.
RECORDED = FIXTURES / "x12_read"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["x12", "read", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def read(path: Path, *more: str) -> list[str]:
    code, out, err = run(str(path), "--date", DAY, *more)
    assert (code, err) == (0, "")
    return out.splitlines()


@pytest.mark.parametrize("path", EVERY_FILE, ids=lambda p: str(p.relative_to(X12)))
def test_every_fixture_is_read_or_refused_with_a_message_naming_the_file(
    path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code, out, err = run(str(path), "--date", DAY)
    assert "Traceback" not in out + err
    if path.suffix == ".271" or path.name == "imsweb-x271-mixed-version.txt":
        assert code == 0, err
        assert out.startswith(f"{path}: X12 271")
        assert "\nassumptions:" in out
    else:
        assert code == 2
        assert out == ""
        assert err.startswith(f"{path}: ") and err.count("\n") == 1
    assert caplog.records == []  # the command logs nothing


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(X12)))
def test_every_fixture_prints_what_was_recorded(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(FIXTURES.parents[1])  # the path printed is the one given, relative here
    code, out, err = run(str(path.relative_to(FIXTURES.parents[1])), "--date", DAY)
    printed = f"exit {code}\n--- stdout\n{out}--- stderr\n{err}"
    recorded = RECORDED / f"{path.relative_to(X12)}.txt"
    if os.environ.get("IOP_COVERAGE_RECORD_X12_READ") == "1":
        recorded.parent.mkdir(parents=True, exist_ok=True)
        recorded.write_text(printed)
    assert printed == recorded.read_text()


@pytest.mark.parametrize("name", ["lfh-subscriber-health-benefit-check.270", "imsweb-x270.txt"])
def test_a_270_is_refused_as_a_request_not_an_answer(name: str) -> None:
    assert run(str(X12 / name)) == (
        2,
        "",
        f"{X12 / name}: this is a 270 request, not a 271 answer\n",
    )


def test_a_normal_271_with_a_dependent() -> None:
    path = X12 / "lfh-dependent-health-benefit-check.271"
    assert read(path) == [
        f"{path}: X12 271",
        "service date: 2026-03-02, program: mental_health",
        "subscriber: SMITH, JOHN, member ID 123456789, born 1963-05-19",
        "dependent: SMITH, MARY, born 1998-10-14",
        "coverage: active",
        "plan: GOLD 123 PLAN (commercial)",
        "plan dates: 2006-01-01 to not stated",
        "benefit lines read: 5 (EB #22 to EB #29: their segment numbers in the file, as cited below)",
        "IOP benefit in network:",
        "  deductible remaining: not stated",
        "  coinsurance: not stated",
        "  copay per day: $10.00 (after the deductible: not stated, assumed)",
        "  out-of-pocket remaining: no maximum stated",
        "  day limit remaining: none stated",
        "  prior authorization: not stated",
        "IOP benefit out of network:",
        "  deductible remaining: not stated",
        "  coinsurance: not stated",
        "  copay per day: $30.00 (after the deductible: not stated, assumed)",
        "  out-of-pocket remaining: no maximum stated",
        "  day limit remaining: none stated",
        "  prior authorization: not stated",
        "related entities:",
        "  primary care provider (P3): MARCUS JONES, ID 0202034",
        "assumptions:",
        "  1. in_network copay: used EB #28 (1/33/35/47/86/88/98/AL/MH/UC, level not stated,"
        " period 27, in network); not applicable: EB #29 (other network)",
        "  2. in_network: no individual deductible reported for IOP service types; used 0.00",
        "  3. in_network coinsurance: none on the chosen IOP line EB #28 (MH, no place of service);"
        " used 0%",
        "  4. in_network: no out-of-pocket maximum reported",
        "  5. out_of_network copay: used EB #29 (1/33/35/47/86/88/98/AL/MH/UC, level not stated,"
        " period 27, out of network); not applicable: EB #28 (other network)",
        "  6. out_of_network: no individual deductible reported for IOP service types; used 0.00",
        "  7. out_of_network coinsurance: none on the chosen IOP line EB #29 (MH, no place of"
        " service); used 0%",
        "  8. out_of_network: no out-of-pocket maximum reported",
    ]


def test_a_rejection_shows_the_hint_and_that_a_verification_stops() -> None:
    path = X12 / "synthetic" / "synthetic-aaa-2100c-75.271"
    assert read(path) == [
        f"{path}: X12 271",
        "service date: 2026-03-02, program: mental_health",
        "subscriber: DOE, JANE, member ID W000000009, born 1990-01-01",
        "coverage: not known (the payer did not answer about coverage: see payer issues)",
        "plan: not named (other)",
        "plan dates: not stated to not stated",
        "benefit lines read: 0",
        "IOP benefit in network: none stated",
        "IOP benefit out of network: none stated",
        "payer issues:",
        "  AAA 75 in loop 2100C (final): The payer did not find this member. Check the member"
        " ID, name and birth date against the insurance card, and that this is the right payer,"
        " then re-run the verification.",
        "a verification stops here: payer answered AAA 75 in loop 2100C (final)",
        "assumptions: none",
    ]


def test_an_error_271_with_reader_warnings() -> None:
    path = X12 / "lfh-subscriber-health-benefit-check-error.271"
    lines = read(path)
    assert lines[-6:] == [
        "payer issues:",
        "  AAA 50 in loop 2100B (final): Our provider may not send eligibility inquiries to"
        " this payer: check enrollment.",
        "a verification stops here: payer answered AAA 50 in loop 2100B (final)",
        "reader warnings:",
        "  segment SE #10: SE02 does not match ST02",
        "assumptions: none",
    ]


BEHAVIORAL_IN_NETWORK = [
    "IOP benefit in network:",
    "  deductible remaining: $300.00 (family $2,100.00)",
    "  coinsurance: 20%",
    "  copay per day: $25.00 (after the deductible: not stated, assumed)",
    "  out-of-pocket remaining: $3,000.00",
    "  day limit remaining: 20",
    "  visits per week: at most 3; days over it not covered",
    "  prior authorization: required",
]


def test_the_synthetic_behavioral_health_answer() -> None:
    path = X12 / "synthetic" / "iop-behavioral-two-sets.271"
    lines = read(path)
    assert lines[:8] == [
        f"{path}: X12 271 (2 transaction sets)",
        "service date: 2026-03-02, program: mental_health",
        "subscriber: DOE, JANE, member ID W000000009, born 1990-01-01",
        "subscriber: DOE, JANE, member ID W000000009",
        "coverage: active",
        "plan: EXAMPLE PPO GOLD (commercial)",
        "plan dates: 2026-01-01 to 2026-12-31",
        "benefit lines read: 16 (EB #18 to EB #51: their segment numbers in the file, as cited "
        "below)",
    ]
    at = lines.index("IOP benefit in network:")
    assert lines[at : at + 8] == BEHAVIORAL_IN_NETWORK
    assert lines[at + 8 : at + 28] == [
        "IOP benefit out of network:",
        "  deductible remaining: $3,000.00",
        "  coinsurance: 40%",
        "  copay per day: not stated",
        "  out-of-pocket remaining: no maximum stated",
        "  day limit remaining: none stated",
        "  prior authorization: not required",
        "other payers:",
        "  carve_out: EXAMPLE BEHAVIORAL HEALTH, payer ID BH12345, phone 8005550199",
        "related entities:",
        "  behavioral-health administrator (X3): EXAMPLE BEHAVIORAL HEALTH, ID BH12345, for AI/CJ;"
        " phone 8005550199",
        "benefit periods and limits:",
        "  limitations CH in_network: limit 3 visits per 1 week",
        "messages:",
        "  PRECERTIFICATION REQUIRED FOR INTENSIVE OUTPATIENT",
        "  3 visits per 1 week",
        "payer issues:",
        "  AAA 53 in loop 2110C (final): The payer does not answer for this service type from"
        " our provider type; the general answer is used.",
        "assumptions:",
        "  1. in_network copay: used EB #32 (CH, IND, period 27, in network)",
    ]
    assert not any(line.startswith("a verification stops here") for line in lines)
    assert lines[-1] == "  12. out_of_network: no out-of-pocket maximum reported"


def test_json_holds_the_same_values_as_the_text() -> None:
    path = X12 / "synthetic" / "iop-behavioral-two-sets.271"
    code, out, err = run(str(path), "--date", DAY, "--json")
    assert (code, err) == (0, "")
    body = json.loads(out)
    assert (body["format"], body["service_date"], body["program"]) == (
        "x12_271",
        "2026-03-02",
        "mental_health",
    )
    assert body["members"][0] == {
        "role": "subscriber",
        "name": "DOE, JANE",
        "member_id": "W000000009",
        "birth_date": "1990-01-01",
    }
    answer = body["answer"]
    assert "raw_payload" not in answer
    assert (answer["active"], answer["plan_name"], answer["plan_begin"], answer["plan_end"]) == (
        True,
        "EXAMPLE PPO GOLD",
        "2026-01-01",
        "2026-12-31",
    )
    in_network = answer["cost_sharing"][0]
    assert in_network["network"] == "in_network"
    assert Decimal(in_network["deductible_remaining"]) == Decimal("300")
    assert Decimal(in_network["family_deductible_remaining"]) == Decimal("2100")
    assert Decimal(in_network["coinsurance"]) == Decimal("0.2")
    assert Decimal(in_network["copay_per_day"]) == Decimal("25")
    assert Decimal(in_network["oop_remaining"]) == Decimal("3000")
    assert (in_network["day_limit_remaining"], in_network["prior_auth_required"]) == (20, True)
    assert in_network["visits_per_week"] == 3
    assert len(answer["assumptions"]) == 12
    assert (
        answer["assumptions"][0] == "in_network copay: used EB #32 (CH, IND, period 27, in network)"
    )
    assert body["stops_verification"] is None


def test_json_of_a_rejection_says_why_a_verification_stops() -> None:
    path = X12 / "synthetic" / "synthetic-aaa-2100a-42.271"
    code, out, _ = run(str(path), "--date", DAY, "--json")
    body = json.loads(out)
    assert (
        body["stops_verification"] == "payer answered AAA 42 in loop 2100A (retried automatically)"
    )
    assert [(i["code"], i["loop"], i["retryable"]) for i in body["answer"]["issues"]] == [
        ("42", "2100A", True)
    ]


def test_a_clearinghouse_json_answer() -> None:
    path = ANSWERS / "clearinghouse-ppo.json"
    lines = read(path)
    assert lines[:16] == [
        f"{path}: clearinghouse JSON 271",
        "service date: 2026-03-02, program: mental_health",
        "subscriber: DOE, JANE, member ID W000000009",
        "coverage: active",
        "plan: EXAMPLE PPO GOLD (commercial)",
        "plan dates: 2026-01-01 to 2026-12-31",
        "benefit lines read: 10 (EB #1 to EB #10: their places among the answer's benefits, as "
        "cited below)",
        "IOP benefit in network:",
        "  deductible remaining: $750.50",
        "  coinsurance: 10%",
        # The $25 copay and the 20 visits are on MH lines, not on the chosen CH line.
        "  copay per day: not stated",
        "  out-of-pocket remaining: $2,500.00",
        "  day limit remaining: none stated",
        "  prior authorization: required",
        "IOP benefit out of network:",
        "  deductible remaining: $3,000.00",
    ]
    assert "  IOP REQUIRES PRIOR AUTHORIZATION" in lines


def test_a_fhir_coverage_eligibility_response() -> None:
    path = ANSWERS / "fhir-coverage-eligibility-response.json"
    assert read(path)[:16] == [
        f"{path}: FHIR CoverageEligibilityResponse",
        "service date: 2026-03-02, program: mental_health",
        "subscriber: not named",
        "coverage: active",
        "plan: EXAMPLE PPO GOLD (other)",
        "plan dates: 2026-01-01 to 2026-12-31",
        "benefit lines read: 7 (EB #1 to EB #7: their places among the answer's benefits, as "
        "cited below)",
        "IOP benefit in network:",
        "  deductible remaining: $300.00",
        "  coinsurance: 20%",
        "  copay per day: $30.00 (after the deductible: not stated, assumed)",
        "  out-of-pocket remaining: no maximum stated",
        "  day limit remaining: 18",
        "  prior authorization: required",
        "IOP benefit out of network: none stated",
        "assumptions:",
    ]
    code, out, _ = run(str(path), "--date", DAY, "--json")
    assert json.loads(out)["format"] == "fhir"


def test_the_plan_dates_are_checked_against_the_service_date() -> None:
    lines = read(X12 / "synthetic" / "iop-behavioral-two-sets.271", "--date", "2027-01-15")
    assert "coverage: NOT active" in lines
    assert "  1. coverage active, but the plan ends before the service date: inactive" in lines


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (
            "",
            "not an X12 271, a clearinghouse JSON answer or a FHIR CoverageEligibilityResponse"
            " (an X12 file starts with ISA, a JSON answer with {)",
        ),
        ("{not json", "not valid JSON (line 1, column 2)"),
        (
            '{"resourceType": "CoverageEligibilityRequest"}',
            "a FHIR resource that is not a CoverageEligibilityResponse"
            " (a CoverageEligibilityRequest asks, it does not answer)",
        ),
        ("ISA*00*", "X12 segment ISA #1 at offset 0: ISA has fewer than 16 elements"),
    ],
)
def test_unreadable_content_is_refused_naming_the_file(
    tmp_path: Path, content: str, reason: str
) -> None:
    path = tmp_path / "answer.txt"
    path.write_text(content)
    code, out, err = run(str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}: {reason}")


def test_an_x12_error_names_the_segment_and_its_position(tmp_path: Path) -> None:
    text = (X12 / "synthetic" / "synthetic-aaa-2100c-75.271").read_text()
    path = tmp_path / "broken.271"
    path.write_text(text.replace("HL*3*2*22*0~", "HL*3*9*22*0~"))
    code, out, err = run(str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"{path}: X12 segment HL #")
    assert " at offset " in err


def test_a_missing_file_and_a_directory(tmp_path: Path) -> None:
    assert run(str(tmp_path / "nope.271")) == (2, "", f"{tmp_path / 'nope.271'}: no such file\n")
    assert run(str(tmp_path)) == (2, "", f"{tmp_path}: is a directory, not a file\n")


def coinsurance(code: str, percent: str) -> dict[str, object]:
    return {
        "code": "A",
        "coverageLevelCode": "IND",
        "serviceTypeCodes": [code],
        "benefitPercent": percent,
        "inPlanNetworkIndicatorCode": "Y",
    }


@pytest.mark.parametrize(
    ("program", "shown"),
    [("mental_health", "20%"), ("co_occurring", "20%"), ("substance_use", "30%")],
)
def test_the_program_chooses_the_service_type(tmp_path: Path, program: str, shown: str) -> None:
    path = tmp_path / "answer.json"
    body = {
        "subscriber": {"memberId": "W000000009", "firstName": "JANE", "lastName": "DOE"},
        "benefitsInformation": [
            {"code": "1", "coverageLevelCode": "IND", "serviceTypeCodes": ["30"]},
            coinsurance("MH", "0.2"),
            coinsurance("AI", "0.3"),
        ],
    }
    path.write_text(json.dumps(body))
    lines = read(path, "--program", program)
    assert lines[1] == f"service date: 2026-03-02, program: {program}"
    assert f"  coinsurance: {shown}" in lines


def test_the_weekly_visit_cap_answer_shows_group_contacts_periods_and_disclaimer() -> None:
    path = X12 / "synthetic" / "iop-weekly-visit-cap.271"
    lines = read(path)
    assert lines[5:9] == [
        "plan dates: 2026-01-01 to 2026-12-31",
        "group number: GRP0401",
        "plan number: PLN0401",
        "benefit lines read: 6 (EB #17 to EB #32: their segment numbers in the file, as cited "
        "below)",
    ]
    assert "  visits per week: at most 3; days over it not covered" in lines
    at = lines.index("related entities:")
    assert lines[at : at + 8] == [
        "related entities:",
        "  utilization management organization (X3): EXAMPLE UM SERVICES, ID UM0401, for CH;"
        " phone 8005550140 ext. 12; fax 8005550141; email UM@EXAMPLE.ORG; url WWW.EXAMPLE.ORG/UM",
        "benefit periods and limits:",
        "  coinsurance CH in_network: benefit 2026-01-01 to 2026-12-31; limit 3 visits per 1 week",
        "  coinsurance CH out_of_network: benefit_begin 2026-01-01; benefit_end 2026-12-31",
        "disclaimers:",
        "  BENEFITS QUOTED ARE NOT A GUARANTEE OF PAYMENT",
        "messages:",
    ]


def test_a_saved_phone_answer_is_read_as_the_manual_adapter_reads_it(tmp_path: Path) -> None:
    lines = read(ANSWERS / "phone-copay-outside-deductible.json", "--date", "2026-12-07")
    assert (
        lines[0]
        == f"{ANSWERS / 'phone-copay-outside-deductible.json'}: phone answer (a recorded call)"
    )
    assert "  copay per day: $30.00 (from day one)" in lines
    assert "  deductible remaining: $500.00" in lines
    assert (
        "  6. in_network copay: EB #3 says the deductible does not apply; the copay is charged "
        "from the first day"
    ) in lines

    following = json.loads((ANSWERS / "phone-qmb.json").read_text())
    following["benefits"].append({"kind": "deductible", "amount": "300.00", "plan_year": "next"})
    path = tmp_path / "next.json"
    path.write_text(json.dumps(following))
    lines = read(path)
    assert "Qualified Medicare Beneficiary: yes (owes no Medicare cost sharing)" in lines
    assert lines[lines.index("next plan year in network (phone call):") + 1] == (
        "  deductible remaining: $300.00"
    )

    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(following | {"call_reference": ""}))
    code, out, err = run(str(bad), "--date", DAY)
    assert (code, out) == (2, "")
    assert err == f"{bad}: phone answer: call_reference: String should have at least 1 character\n"


def test_a_co_occurring_program_shows_both_benefits_and_how_one_is_chosen() -> None:
    lines = read(X12 / "synthetic" / "iop-mh-sud-split.271", "--program", "co_occurring")

    start = lines.index("mental health benefit: 20% coinsurance, in network")
    assert lines[start : start + 19] == [
        "mental health benefit: 20% coinsurance, in network",
        "IOP benefit (mental health) in network:",
        "  deductible remaining: $300.00",
        "  coinsurance: 20%",
        "  copay per day: not stated",
        "  out-of-pocket remaining: $3,000.00",
        "  day limit remaining: none stated",
        "  prior authorization: not stated",
        "IOP benefit (mental health) out of network: none stated",
        "substance use benefit: $40.00 copay a day and 10% coinsurance, in network",
        "IOP benefit (substance use) in network:",
        "  deductible remaining: $300.00",
        "  coinsurance: 10%",
        "  copay per day: $40.00 (after the deductible: not stated, assumed)",
        "  out-of-pocket remaining: $3,000.00",
        "  day limit remaining: none stated",
        "  prior authorization: not stated",
        "IOP benefit (substance use) out of network: none stated",
        "which benefit prices: the one the claim is billed under (the program, or the intake's "
        "primary condition); with none named, the one that costs the patient more for the "
        "planned episode, which this reading has not: a verification with its planned days "
        "shows which one prices",
    ]


def test_a_mental_health_program_reads_only_the_mental_health_benefit_of_a_split_answer() -> None:
    lines = read(X12 / "synthetic" / "iop-mh-sud-split.271", "--program", "mental_health")

    assert "IOP benefit in network:" in lines
    assert "  coinsurance: 20%" in lines
    assert "  copay per day: not stated" in lines
    assert not any(line.startswith("substance use benefit") for line in lines)


def test_what_the_payer_did_not_say_reads_not_stated_never_as_a_default() -> None:
    # EB #22: a $10.00 copay, no EB11, no deductible or coinsurance line for the service, no
    # MSG on whether the deductible comes first.
    lines = read(X12 / "lfh-subscriber-health-benefit-check.271")
    at = lines.index("IOP benefit in network:")
    assert lines[at : at + 7] == [
        "IOP benefit in network:",
        "  deductible remaining: not stated",
        "  coinsurance: not stated",
        "  copay per day: $10.00 (after the deductible: not stated, assumed)",
        "  out-of-pocket remaining: no maximum stated",
        "  day limit remaining: none stated",
        "  prior authorization: not stated",
    ]


def test_an_authorization_the_payer_denied_and_a_copay_it_said_is_outside_the_deductible() -> None:
    # EB #31 (out of network) carries EB11 N: "not required" is the payer's word.
    lines = read(X12 / "synthetic" / "iop-behavioral-two-sets.271")
    at = lines.index("IOP benefit out of network:")
    assert lines[at + 6] == "  prior authorization: not required"
    phone = read(ANSWERS / "phone-copay-outside-deductible.json")
    assert "  copay per day: $30.00 (from day one)" in phone


@pytest.mark.parametrize(
    "name",
    [
        "synthetic/synthetic-aaa-2100a-42.271",
        "synthetic/synthetic-aaa-2100c-75.271",
        "lfh-subscriber-health-benefit-check-error.271",
    ],
)
def test_a_rejection_does_not_say_coverage_is_inactive(name: str) -> None:
    lines = read(X12 / name)
    assert (
        "coverage: not known (the payer did not answer about coverage: see payer issues)" in lines
    )
    assert "coverage: NOT active" not in lines


def test_the_benefit_line_count_says_what_the_eb_numbers_are() -> None:
    x12 = read(X12 / "synthetic" / "iop-mh-sud-split.271")
    assert (
        "benefit lines read: 8 (EB #15 to EB #22: their segment numbers in the file, as cited "
        "below)"
    ) in x12
    single = read(X12 / "imsweb-x271-mixed-version.txt")
    assert "benefit lines read: 1 (EB #16: its segment number in the file, as cited below)" in (
        single
    )


def test_a_mental_health_reading_names_the_substance_use_line_for_what_it_is() -> None:
    lines = read(X12 / "synthetic" / "iop-mh-sud-split.271")
    assert (
        "  1. in_network coinsurance: used EB #20 (MH, IND, no period, in network); not "
        "applicable: EB #22 (substance use service type: not this program's benefit)"
    ) in lines
