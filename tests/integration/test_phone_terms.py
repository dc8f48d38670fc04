"""Terms only a phone call gives (a copay outside the deductible, QMB, next plan year's amounts),
and a call combined with a payer's electronic answer: exact amounts, and where each term came
from in the stored result."""

import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from coverage import pipeline, service
from coverage.adapters.base import PayerAdapter
from coverage.core.rule_book import current_rulebook
from coverage.domain.access import Actor, Role
from coverage.domain.phone import PhoneAnswer
from coverage.domain.phone_form import to_phone_answer
from coverage.domain.request import Program
from coverage.domain.result import VerificationResult
from coverage.settings import get_settings
from coverage.store import phone_answers, results
from tests.api_client import make_app
from tests.factories import request
from tests.integration.test_answer_reuse import CountingSandbox
from tests.integration.web_session import signed_in_client

ANSWERS = Path(__file__).parents[1] / "fixtures" / "answers"


def saved(name: str, **changes: Any) -> PhoneAnswer:
    return PhoneAnswer.model_validate(json.loads((ANSWERS / name).read_text()) | changes)


@pytest.fixture
def by_phone(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sandbox commercial and Medicare payers, reached by phone only."""
    book = current_rulebook()
    for payer_id in ("sandbox-commercial", "sandbox-medicare"):
        payer = book.payers[payer_id]
        monkeypatch.setitem(book.payers, payer_id, payer.model_copy(update={"adapter": "manual"}))


def verified(
    session: Session,
    clerk: Actor,
    call: PhoneAnswer | None,
    *,
    persona: str = "ppo",
    weeks: int = 4,
    adapter: CountingSandbox | None = None,
    suffix: str | None = None,
) -> VerificationResult:
    """Queue a verification (3 days a week from Mon 7 Dec 2026), record the call, run it."""
    job, _ = service.queue(
        request(persona, member_suffix=suffix or uuid.uuid4().hex[:6], weeks=weeks),
        actor=clerk,
        enqueue=lambda _id: None,
    )
    if call is not None:
        phone_answers.record(session, job_id=job.id, policy=0, entry=call, actor=clerk)
        session.commit()
    adapters: dict[str, PayerAdapter] | None = None if adapter is None else {"sandbox": adapter}
    assert pipeline.run(job.id, adapters=adapters).status == "needs_review"
    stored = results.get(session, job_id=job.id)
    assert stored is not None
    return VerificationResult.read(stored.body)


def days(result: VerificationResult, *fields: str) -> list[tuple[str, ...]]:
    return [tuple(str(getattr(d, f)) for f in fields) for d in result.estimate.days]


def totals(result: VerificationResult) -> tuple[Decimal, Decimal, Decimal]:
    est = result.estimate
    return est.allowed_total, est.patient_total, est.payer_total


def texts(result: VerificationResult) -> list[str]:
    return [a.text for a in result.estimate.assumptions]


def test_a_phone_copay_not_subject_to_the_deductible_is_owed_from_day_one(
    session: Session, clerk: Actor, by_phone: None
) -> None:
    result = verified(session, clerk, saved("phone-copay-outside-deductible.json"))
    # 12 days at the $350.00 allowed amount. $30 copay first, every day; then the $500 deductible,
    # then 20% of what is left. Day 1: 30 + 320 deductible = 350.00 (payer 0). Day 2: 30 + the
    # last 180 of the deductible + 20% of 140 (28.00) = 238.00 (payer 112.00). Days 3-12:
    # 30 + 20% of 320 (64.00) = 94.00 (payer 256.00). Patient 350 + 238 + 10 x 94 = 1,528.00.
    assert days(result, "copay", "deductible", "coinsurance", "patient", "payer")[:3] == [
        ("30.00", "320.00", "0.00", "350.00", "0.00"),
        ("30.00", "180.00", "28.00", "238.00", "112.00"),
        ("30.00", "0.00", "64.00", "94.00", "256.00"),
    ]
    assert totals(result) == (Decimal("4200.00"), Decimal("1528.00"), Decimal("2672.00"))
    assert (
        "Sandbox Commercial PPO: copay $30.00 per service day, from the first day, outside the "
        "deductible" in texts(result)
    )
    rows = result.coverage[0].term_rows()
    assert (
        "In network",
        "Copay per day",
        "$30.00, from the first day (not subject to the deductible)",
        "from the phone call on 3 Dec 2026, ref ABC123",
    ) in rows
    assert ("In network", "Out-of-pocket maximum remaining", "none", "not reported: assumed") in (
        rows
    )

    # The same call without the flag: the copay waits for the deductible. Day 1: 350.00 of the
    # deductible. Day 2: the last 150 + 30 copay + 20% of 170 (34.00) = 214.00 (payer 136.00).
    # Days 3-12 as above. Patient 350 + 214 + 940 = 1,504.00.
    plain = saved("phone-copay-outside-deductible.json")
    benefits = tuple(
        b.model_copy(update={"copay_applies_after_deductible": None}) for b in plain.benefits
    )
    after = verified(session, clerk, plain.model_copy(update={"benefits": benefits}))
    assert days(after, "copay", "deductible", "coinsurance", "patient")[:2] == [
        ("0.00", "350.00", "0.00", "350.00"),
        ("30.00", "150.00", "34.00", "214.00"),
    ]
    assert totals(after) == (Decimal("4200.00"), Decimal("1504.00"), Decimal("2696.00"))


def test_a_qmb_stated_on_the_phone_owes_no_medicare_cost_sharing(
    session: Session, clerk: Actor, by_phone: None
) -> None:
    qmb = verified(session, clerk, saved("phone-qmb.json"), persona="medicare")
    assert qmb.estimate.patient_total == Decimal("0.00")
    assert all(d.patient == Decimal("0.00") for d in qmb.estimate.days)
    assert any(
        t.startswith(
            "Sandbox Medicare Part B: Qualified Medicare Beneficiary: the patient owes no "
            "Medicare deductible or coinsurance"
        )
        for t in texts(qmb)
    )
    assert (
        "Sandbox Medicare Part B: Qualified Medicare Beneficiary per the phone call on "
        "2 Dec 2026 (reference QMB-2041): no Medicare cost sharing is owed" in texts(qmb)
    )

    normal = verified(
        session, clerk, saved("phone-qmb.json", medicare_qmb=None), persona="medicare"
    )
    # Without QMB: $259.13 allowed a day; the $283.00 Part B deductible, then 20%. Day 1: 259.13
    # deductible. Day 2: the last 23.87 + 20% of 235.26 (47.05) = 70.92. Days 3-12: 20% of
    # 259.13 (51.83). Patient 259.13 + 70.92 + 10 x 51.83 = 848.35.
    assert days(normal, "allowed", "deductible", "coinsurance", "patient")[:3] == [
        ("259.13", "259.13", "0.00", "259.13"),
        ("259.13", "23.87", "47.05", "70.92"),
        ("259.13", "0.00", "51.83", "51.83"),
    ]
    assert totals(normal) == (Decimal("3109.56"), Decimal("848.35"), Decimal("2261.21"))


def test_next_plan_years_deductible_from_the_phone_applies_after_the_reset(
    session: Session, clerk: Actor, by_phone: None
) -> None:
    call = PhoneAnswer.model_validate(
        {
            "representative_name": "Casey Rep",
            "call_reference": "NY-77",
            "call_date": "2026-12-03",
            "active": True,
            "plan_begin": "2026-01-01",
            "plan_end": "2026-12-31",
            "benefits": [
                {"kind": "deductible", "time_period": "remaining", "amount": "100.00"},
                {"kind": "coinsurance", "percent": "0.20"},
                {
                    "kind": "deductible",
                    "time_period": "calendar_year",
                    "amount": "1000.00",
                    "plan_year": "next",
                },
            ],
        }
    )
    result = verified(session, clerk, call, weeks=8)
    # 24 days, 12 in Dec 2026 and 12 from Mon 4 Jan 2027, all at $350.00 allowed.
    # 2026: day 1 = 100 deductible + 20% of 250 (50.00) = 150.00, then 11 x 70.00: 920.00.
    # 2027 with next year's $1,000 deductible: 350.00, 350.00, 300 + 20% of 50 (10.00) = 310.00,
    # then 9 x 70.00 = 630.00: 1,640.00. Patient 2,560.00.
    by_year = [
        (y.start.isoformat(), str(y.days), str(y.patient)) for y in result.estimate.plan_years
    ]
    assert by_year == [("2026-01-01", "12", "920.00"), ("2027-01-01", "12", "1640.00")]
    assert days(result, "date", "deductible", "patient")[12:15] == [
        ("2027-01-04", "350.00", "350.00"),
        ("2027-01-05", "350.00", "350.00"),
        ("2027-01-06", "300.00", "310.00"),
    ]
    assert result.estimate.patient_total == Decimal("2560.00")
    assert (
        "Sandbox Commercial PPO: from 2027-01-01 next plan year's deductible $1,000.00 (from the "
        "phone call on 3 Dec 2026, ref NY-77)" in texts(result)
    )
    assert (
        "In network",
        "Next plan year: deductible remaining",
        "$1,000.00",
        "from the phone call on 3 Dec 2026, ref NY-77",
    ) in result.coverage[0].term_rows()


def test_the_forms_day_limit_applies_again_after_the_plan_year_resets(
    session: Session, clerk: Actor, by_phone: None
) -> None:
    form = {
        "representative_name": "Casey Rep",
        "call_reference": "DL-30",
        "call_date": "2026-12-03",
        "active": "yes",
        "plan_begin": "2026-01-01",
        "plan_end": "2026-12-31",
        "network": "in_network",
        "coinsurance": "20",
        "visit_limit": "30",
        "visits_remaining": "5",
    }
    call = to_phone_answer(form, program=Program.MENTAL_HEALTH)
    result = verified(session, clerk, call, weeks=8)
    # 24 days, 12 in Dec 2026 (5 days left of the limit) and 12 from Mon 4 Jan 2027 (30 again).
    covered = [
        sum(1 for d in result.estimate.days if d.covered and d.date.year == y) for y in (2026, 2027)
    ]
    assert covered == [5, 12]
    assert not any("annual day limit not reported" in t for t in texts(result))


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[CountingSandbox]:
    monkeypatch.setattr(get_settings(), "eligibility_cache_seconds", 3600.0)
    yield CountingSandbox()


def test_a_call_fills_and_overrides_the_electronic_answer(
    session: Session, clerk: Actor, sandbox: CountingSandbox
) -> None:
    suffix = uuid.uuid4().hex[:6]
    call = saved("phone-fills-and-overrides.json")
    result = verified(session, clerk, call, adapter=sandbox, suffix=suffix)
    assert sandbox.calls == 1  # the electronic answer is still asked for
    # Electronic: $300 deductible left, 20%, $3,000 out-of-pocket left, no copay. The call adds a
    # $25 copay and says 30%. 12 days at $350.00: day 1 = 300 deductible + 25 copay + 30% of 25
    # (7.50) = 332.50; days 2-12 = 25 + 30% of 325 (97.50) = 122.50. Patient 332.50 + 11 x 122.50.
    assert days(result, "deductible", "copay", "coinsurance", "patient")[:2] == [
        ("300.00", "25.00", "7.50", "332.50"),
        ("0.00", "25.00", "97.50", "122.50"),
    ]
    assert totals(result) == (Decimal("4200.00"), Decimal("1680.00"), Decimal("2520.00"))
    coverage = result.coverage[0]
    assert (
        "In-network coinsurance 30% from the phone call on 3 Dec 2026 (reference ABC123); the "
        "electronic answer said 20%" in coverage.assumptions
    )
    assert (
        "In-network copay per day $25.00 from the phone call on 3 Dec 2026 (reference ABC123); "
        "the electronic answer did not state it" in coverage.assumptions
    )
    phone, electronic = (
        "from the phone call on 3 Dec 2026, ref ABC123",
        "from the payer's electronic answer",
    )
    assert [(term, amount, origin) for _, term, amount, origin in coverage.term_rows()] == [
        ("Deductible remaining", "$300.00", electronic),
        ("Family deductible remaining", "none", "not reported: assumed"),
        ("Out-of-pocket maximum remaining", "$3,000.00", electronic),
        ("Family out-of-pocket maximum remaining", "none", "not reported: assumed"),
        ("Copay per day", "$25.00, after the deductible", phone),
        ("Coinsurance", "30%", phone),
        ("Covered days remaining", "none", "not reported: assumed"),
    ]
    [origin] = [o for o in coverage.cost_sharing[0].origins if o.term == "coinsurance"]
    assert (origin.source, str(origin.call_date), origin.call_reference) == (
        "phone",
        "2026-12-03",
        "ABC123",
    )

    # A later job for the same person reuses the electronic answer and combines it the same way.
    again = verified(session, clerk, call, adapter=sandbox, suffix=suffix)
    assert sandbox.calls == 1
    assert totals(again) == totals(result)
    assert again.coverage[0].cost_sharing == coverage.cost_sharing

    # Without a call the electronic answer stands, each term marked as its own.
    alone = verified(session, clerk, None, adapter=sandbox, suffix=uuid.uuid4().hex[:6])
    assert alone.coverage[0].term_rows()[5][2:] == ("20%", electronic)


def test_an_office_copay_from_the_phone_is_not_charged_on_iop_days(
    session: Session, clerk: Actor, by_phone: None
) -> None:
    call = saved("phone-copay-outside-deductible.json")
    office = tuple(
        b.model_copy(update={"place_of_service": "11"}) if b.kind == "copay" else b
        for b in call.benefits
    )
    result = verified(session, clerk, call.model_copy(update={"benefits": office}))
    assert {d.copay for d in result.estimate.days} == {Decimal("0.00")}
    # $500 deductible over days 1-2 (350 + 150, then 20% of 200 = 40.00), then 20% of 350.
    assert totals(result) == (Decimal("4200.00"), Decimal("1240.00"), Decimal("2960.00"))
    assert any(
        "not used: EB #3 (office place of service 11, not the facility IOP benefit)" in text
        for text in texts(result)
    )


def test_the_staff_page_says_where_each_term_came_from(
    session: Session, clerk: Actor, sandbox: CountingSandbox
) -> None:
    job, _ = service.queue(
        request("ppo", member_suffix=uuid.uuid4().hex[:6], weeks=4),
        actor=clerk,
        enqueue=lambda _id: None,
    )
    phone_answers.record(
        session, job_id=job.id, policy=0, entry=saved("phone-fills-and-overrides.json"), actor=clerk
    )
    session.commit()
    assert pipeline.run(job.id, adapters={"sandbox": sandbox}).status == "needs_review"
    billing = signed_in_client(make_app(lambda _id: None), Role.BILLING)
    page = " ".join(billing.client.get(f"/verifications/{job.id}").text.split())
    assert (
        '<td>Coinsurance</td><td class="amount">30%</td><td>from the phone call on 3 Dec 2026, '
        "ref ABC123</td>" in page
    )
    assert (
        '<td>Deductible remaining</td><td class="amount">$300.00</td><td>from the payer\'s '
        "electronic answer</td>" in page.replace("&#39;", "'")
    )
