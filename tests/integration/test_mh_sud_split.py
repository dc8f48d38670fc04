"""Mental health and substance use benefits asked separately and reconciled (issue 17, Must 8).

A co-occurring program, or any program at a payer whose file says it splits the two benefits,
asks both (X12 EQ MH and AI); the answers are read each on its own, and the benefit the claim is
billed under prices the episode, or, with none named, the one that costs the patient more.
The payer is mocked with `responses` (what the CORE adapter sends) or is the sandbox payer over
real sockets; the job runs through the real pipeline and database.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import responses
from sqlmodel import Session

from coverage.domain.access import Actor, Role
from coverage.domain.request import VerificationRequest
from coverage.domain.result import VerificationResult
from coverage.sandbox.app import SandboxPayer
from coverage.store import payer_calls, results
from coverage.x12 import core_mime
from coverage.x12.reader_270 import read_270
from tests.api_client import make_app
from tests.factories import part2_consent, request
from tests.integration.conftest import queue_in_process
from tests.integration.html_table import body_rows
from tests.integration.web_session import signed_in_client
from tests.payers import reply_271
from tests.rule_files import core_x12_payer

URL = "https://core.split-payer.test/realtime"
SPLIT_271 = (
    Path(__file__).resolve().parents[1] / "fixtures" / "x12" / "synthetic" / "iop-mh-sud-split.271"
).read_text()

FEES = """\
kind: fee_schedule
version: "1"
source: "test rates (synthetic)"
effective: 2024-01-01
service:
  description: Intensive outpatient psychiatric services, per diem
  code: S9480
self_pay_per_day: "400.00"
payers:
  split-plan:
    - network: in_network
      per_day: "350.00"
"""

# 3 days a week for 8 weeks from Monday 2 March 2026: 24 days at $350.00 allowed; $300.00 of
# the deductible and $3,000.00 of the out-of-pocket maximum left.
# Mental health, 20% coinsurance: day 1 $300.00 + 20% of $50.00 = $310.00; days 2-24 20% of
# $350.00 = $70.00 each; patient $310.00 + 23 x $70.00 = $1,920.00.
MH_TOTAL = "1920.00"
# Substance use, $40.00 copay a day after the deductible and 10% coinsurance: day 1 $300.00 +
# $40.00 + 10% of $10.00 = $341.00; days 2-24 $40.00 + 10% of $310.00 = $71.00 each;
# patient $341.00 + 23 x $71.00 = $1,974.00.
SUD_TOTAL = "1974.00"
BOTH_SAID = (
    "Split Plan answers mental health and substance use benefits separately: mental health: "
    "20% coinsurance, in network; substance use: $40.00 copay a day and 10% coinsurance, "
    "in network."
)


def write_payer(rules: Path, url: str, *, settings: str = "", extra: str = "") -> None:
    (rules / "payers" / "split-plan.yaml").write_text(
        core_x12_payer(
            "split-plan",
            "Split Plan",
            url,
            settings=settings,
            extra=extra,
            source="test payer (synthetic)",
        )
    )
    (rules / "fee_schedules" / "split-plan-test.yaml").write_text(FEES)


def split_request(program: str, member_id: str, **intake: Any) -> VerificationRequest:
    req = request("ppo", start_date="2026-03-02", program=program, consents=[])
    policy = req.policies[0].model_copy(update={"payer_id": "split-plan", "member_id": member_id})
    consents = [part2_consent("split-plan")] if program != "mental_health" else []
    body = req.model_dump(mode="json")
    body.update(
        policies=[policy.model_dump(mode="json")],
        consents=consents,
        intake={**body["intake"], **intake},
    )
    return VerificationRequest.model_validate(body)


def sent_service_types() -> list[tuple[str, ...]]:
    """The EQ01 service types of each 270 the CORE adapter sent."""
    sent = [
        core_mime.decode(call.request.body, call.request.headers["Content-Type"])  # type: ignore[arg-type]
        for call in responses.calls
    ]
    return [read_270(fields["Payload"])[1][0].service_types for fields in sent]


def stored(session: Session, job_id: Any) -> VerificationResult:
    row = results.get(session, job_id=job_id)
    assert row is not None
    return VerificationResult.read(row.body)


@responses.activate
def test_a_co_occurring_program_asks_both_and_the_costlier_benefit_prices(
    rules: Path, session: Session, clerk: Actor
) -> None:
    write_payer(rules, URL, settings="  one_service_type_per_request: false\n")
    responses.post(URL, **reply_271(SPLIT_271))

    job_id = queue_in_process(split_request("co_occurring", "W000000009"), clerk)

    assert sent_service_types() == [("30", "MH", "AI")]
    result = stored(session, job_id)
    [coverage] = result.coverage
    assert coverage.priced_by is not None
    assert coverage.priced_by.value == "substance_use"
    assert (str(result.estimate.patient_total), str(result.estimate.payer_total)) == (
        SUD_TOTAL,
        "6426.00",
    )
    assert coverage.assumptions[-1] == (
        f"{BOTH_SAID} The intake names no primary condition, so the episode is priced with the "
        "substance use benefit, the one that costs the patient more ($1,974.00 against "
        "$1,920.00 with the mental health benefit): an estimate that is too low is the harm "
        "to avoid."
    )


@responses.activate
def test_the_primary_condition_on_the_intake_chooses_the_benefit(
    rules: Path, session: Session, clerk: Actor, database: str
) -> None:
    write_payer(rules, URL, settings="  one_service_type_per_request: false\n")
    responses.post(URL, **reply_271(SPLIT_271))

    req = split_request("co_occurring", "W000000009", primary_condition="mental_health")
    job_id = queue_in_process(req, clerk)

    result = stored(session, job_id)
    [coverage] = result.coverage
    assert coverage.priced_by is not None
    assert coverage.priced_by.value == "mental_health"
    assert str(result.estimate.patient_total) == MH_TOTAL
    assert coverage.assumptions[-1] == (
        f"{BOTH_SAID} The claim is billed under mental health (the primary condition on the "
        "intake), so the mental health benefit prices the episode."
    )
    billing = signed_in_client(make_app(lambda _id: None), Role.BILLING)
    page = billing.client.get(f"/verifications/{job_id}").text
    assert ["Program", "co occurring, diagnoses F33.1, primary condition mental health"] in (
        body_rows(page)
    )
    shown = billing.client.get(f"/verifications/{job_id}/result").text
    [row] = [r for r in body_rows(shown) if r[0] == "Split Plan"]
    assert row[6].endswith("Priced with the mental health benefit")


@responses.activate
def test_a_payer_file_that_splits_the_benefits_makes_a_mental_health_program_ask_both(
    rules: Path, session: Session, clerk: Actor
) -> None:
    # One service type per 270 (the adapter's default): three inquiries.
    write_payer(rules, URL, extra="splits_mental_health_and_substance_use: true\n")
    responses.post(URL, **reply_271(SPLIT_271))

    job_id = queue_in_process(split_request("mental_health", "W000000009"), clerk)

    assert sent_service_types() == [("30",), ("MH",), ("AI",)]
    result = stored(session, job_id)
    [coverage] = result.coverage
    assert coverage.priced_by is not None
    assert coverage.priced_by.value == "mental_health"
    assert str(result.estimate.patient_total) == MH_TOTAL
    assert coverage.assumptions[-1] == (
        f"{BOTH_SAID} The claim is billed under mental health (the program), so the mental "
        "health benefit prices the episode."
    )


@responses.activate
def test_without_the_flag_a_mental_health_program_asks_mental_health_only(
    rules: Path, session: Session, clerk: Actor
) -> None:
    write_payer(rules, URL)
    responses.post(URL, **reply_271(SPLIT_271))

    job_id = queue_in_process(split_request("mental_health", "W000000009"), clerk)

    assert sent_service_types() == [("30",), ("MH",)]
    result = stored(session, job_id)
    [coverage] = result.coverage
    assert coverage.priced_by is not None
    assert coverage.priced_by.value == "mental_health"
    assert str(result.estimate.patient_total) == MH_TOTAL
    assert not any("separately" in a for a in coverage.assumptions)


@responses.activate
def test_a_substance_use_program_asks_substance_use(
    rules: Path, session: Session, clerk: Actor
) -> None:
    write_payer(rules, URL)
    responses.post(URL, **reply_271(SPLIT_271))

    job_id = queue_in_process(split_request("substance_use", "W000000009"), clerk)

    assert sent_service_types() == [("30",), ("AI",)]
    result = stored(session, job_id)
    [coverage] = result.coverage
    assert coverage.priced_by is not None
    assert coverage.priced_by.value == "substance_use"
    assert str(result.estimate.patient_total) == SUD_TOTAL


@pytest.fixture
def sandbox() -> Iterator[SandboxPayer]:
    with SandboxPayer() as server:
        yield server


def test_the_sandbox_payer_answers_both_benefits_over_http(
    rules: Path, sandbox: SandboxPayer, session: Session, clerk: Actor, database: str
) -> None:
    write_payer(rules, sandbox.url)

    job_id = queue_in_process(split_request("co_occurring", "SBX-SPLIT-7001"), clerk)

    assert sandbox.counters.calls == 3  # one service type per 270: 30, MH, AI
    [check] = payer_calls.list_for(session, job_id=job_id)
    assert check.outcome == "ok"
    result = stored(session, job_id)
    [coverage] = result.coverage
    assert coverage.priced_by is not None
    assert coverage.priced_by.value == "substance_use"
    assert str(result.estimate.patient_total) == SUD_TOTAL
    assert coverage.assumptions[-1].startswith(
        "Split Plan answers mental health and substance use benefits separately: mental health: "
        "20% coinsurance, in network; substance use: $40.00 copay a day and 10% coinsurance, "
        "in network. The intake names no primary condition, so the episode is priced with the "
        "substance use benefit"
    )
    # Billing sees which benefit priced, in plain words, on the job page.
    billing = signed_in_client(make_app(lambda _id: None), Role.BILLING)
    page = billing.client.get(f"/verifications/{job_id}/result").text
    [row] = [r for r in body_rows(page) if r[0] == "Split Plan"]
    assert row[6] == (
        "Unknown No coverage policy in the rule book applies to Split Plan. "
        "Priced with the substance use benefit"
    )
