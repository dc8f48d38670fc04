"""The call script asks what the payer's answer left out, and only that."""

from datetime import date
from decimal import Decimal
from typing import Any

from coverage.domain import call_script
from coverage.domain.call_script import Topic
from coverage.domain.eligibility import (
    Benefit,
    BenefitKind,
    CostSharing,
    EligibilityResponse,
    InsuranceType,
    Network,
    OtherPayer,
    OtherPayerRole,
)
from coverage.domain.payer import PayerConfig
from coverage.domain.phone_form import LABELS as PHONE_FORM_LABELS
from tests.factories import request

NPI = "1234567893"


def payer(**changes: Any) -> PayerConfig:
    fields: dict[str, Any] = {
        "kind": "payer",
        "id": "acme-health",
        "name": "Acme Health PPO",
        "type": "commercial",
        "adapter": "manual",
        "settings": {"phone": "800-555-0100"},
        "network_status": "in_network",
        "version": "1",
        "source": "test",
        "effective": "2026-01-01",
    }
    return PayerConfig.model_validate(fields | changes)


def answer(**changes: Any) -> EligibilityResponse:
    fields: dict[str, Any] = {"active": True, "plan_name": "Gold PPO", "raw_payload": ""}
    return EligibilityResponse.model_validate(fields | changes)


IOP_DAY = CostSharing(
    network=Network.IN,
    deductible_remaining=Decimal("0"),
    coinsurance=Decimal("0.20"),
    copay_per_day=Decimal("25"),
    oop_remaining=Decimal("3000"),
    day_limit_remaining=30,
)
COMPLETE: dict[str, Any] = {
    "plan_begin": date(2026, 1, 1),
    "plan_end": date(2027, 12, 31),
    "cost_sharing": (IOP_DAY,),
    "benefits": (Benefit(kind=BenefitKind.COINSURANCE, auth_required=False),),
}


def test_an_answer_without_an_iop_line_asks_for_the_whole_benefit() -> None:
    script = call_script.build(
        request("ppo"), policy=0, payer=payer(), answer=answer(), result=None, provider_npi=NPI
    )
    assert script.topics == (
        Topic.BENEFIT,
        Topic.PLACE_OF_SERVICE,
        Topic.AUTHORIZATION,
        Topic.LIMITS,
        Topic.CARVE_OUT,
        Topic.ACCREDITATION,
        Topic.PLAN_YEAR,
        Topic.COST_SHARING,
    )
    first = script.questions[0]
    assert first.ask == (
        "Does the plan cover intensive outpatient mental health treatment for this member, and "
        "under which benefit: mental health or substance use?"
    )
    assert first.known == (
        "The electronic answer says the plan is active but has no line for intensive outpatient "
        "treatment."
    )
    assert "revenue code 0905" in script.questions[1].ask
    assert script.questions[2].known == (
        "The electronic answer did not say whether intensive outpatient treatment needs prior "
        "authorization."
    )
    assert script.known == ("Coverage is active, plan “Gold PPO”.",)
    header = script.header
    assert (header.payer_name, header.payer_phone, header.member_name, header.provider_npi) == (
        "Acme Health PPO",
        "800-555-0100",
        "Jordan Sample",
        NPI,
    )
    # 3 days a week (Monday to Wednesday) for 8 weeks from Monday 12/07/2026.
    assert (header.service_start, header.service_end) == (date(2026, 12, 7), date(2027, 1, 27))
    assert header.member_birth_date == date(1988, 4, 12)
    # The plan's dates unknown and the episode crossing 1 January: next year's amounts asked too,
    # in the words of the form ("left to meet", "only after the deductible").
    plan_year = script.questions[6]
    assert plan_year.ask == (
        "When does the plan year begin and end? How much of the deductible is left to meet, and "
        "how much of the out-of-pocket maximum? If the plan year ends before 01/27/2027: what "
        "will the deductible, out-of-pocket maximum, copay and coinsurance be then?"
    )
    assert plan_year.fills == (
        "plan_begin",
        "plan_end",
        "deductible_remaining",
        "oop_remaining",
        "next_deductible",
        "next_oop",
        "next_copay",
        "next_coinsurance",
    )
    assert script.questions[7].ask == (
        "What does the member pay for an intensive outpatient day: a copay, coinsurance, or both? "
        "Is the copay owed only after the deductible is met, or from the first visit?"
    )


def test_an_episode_within_one_year_is_not_asked_next_years_amounts() -> None:
    script = call_script.build(
        request("ppo", start_date="2026-03-02", weeks=4),
        policy=0,
        payer=payer(),
        answer=answer(),
        result=None,
        provider_npi=NPI,
    )
    plan_year = next(q for q in script.questions if q.topic is Topic.PLAN_YEAR)
    assert plan_year.ask == (
        "When does the plan year begin and end? How much of the deductible is left to meet, and "
        "how much of the out-of-pocket maximum?"
    )
    assert "next_deductible" not in plan_year.fills


def test_an_episode_past_the_plan_years_end_asks_next_years_amounts() -> None:
    ends = answer(**(COMPLETE | {"plan_end": date(2026, 12, 31)}))
    script = call_script.build(
        request("ppo"), policy=0, payer=payer(), answer=ends, result=None, provider_npi=NPI
    )
    plan_year = next(q for q in script.questions if q.topic is Topic.PLAN_YEAR)
    assert plan_year.ask == (
        "The treatment runs into the next plan year: what will the deductible, out-of-pocket "
        "maximum, copay and coinsurance be then?"
    )
    assert plan_year.fills == ("next_deductible", "next_oop", "next_copay", "next_coinsurance")


def test_a_carve_out_named_by_the_payer_is_asked_about_by_name() -> None:
    carved = answer(
        **COMPLETE,
        other_payers=(OtherPayer(role=OtherPayerRole.CARVE_OUT, name="Mind Partners BH"),),
    )
    script = call_script.build(
        request("ppo"), policy=0, payer=payer(), answer=carved, result=None, provider_npi=NPI
    )
    assert script.topics == (Topic.CARVE_OUT,)
    question = script.questions[0]
    assert question.ask == (
        "Is behavioral health for this member managed by Mind Partners BH? What is their phone "
        "number for benefits and authorization?"
    )
    assert question.known == "The electronic answer names Mind Partners BH."


def test_a_medicare_patient_is_asked_about_qmb_and_the_plan_type() -> None:
    medicare = answer(
        **(COMPLETE | {"cost_sharing": (CostSharing(coinsurance=Decimal("0.20")),)}),
        insurance_type=InsuranceType.MEDICARE,
    )
    script = call_script.build(
        request("ppo"),
        policy=0,
        payer=payer(type="medicare", name="Medicare Part B"),
        answer=medicare,
        result=None,
        provider_npi=NPI,
    )
    assert script.topics == (Topic.LIMITS, Topic.MEDICARE)
    assert script.questions[-1].fills == ("insurance_type", "medicare_qmb")
    assert script.known == (
        "Coverage is active, plan “Gold PPO”.",
        "In network: no copay, 20% coinsurance, $0 of the deductible left.",
        "Prior authorization is not required.",
    )


def test_a_complete_answer_leaves_nothing_to_ask() -> None:
    script = call_script.build(
        request("ppo"),
        policy=0,
        payer=payer(),
        answer=answer(**COMPLETE),
        result=None,
        provider_npi=NPI,
    )
    assert script.questions == ()
    assert script.known == (
        "Coverage is active, plan “Gold PPO”.",
        "In network: $25 copay a day, 20% coinsurance, $0 of the deductible left, $3,000 left "
        "to the out-of-pocket maximum.",
        "Prior authorization is not required.",
        "30 intensive outpatient days are left this plan year.",
    )


def test_a_copay_with_a_deductible_left_asks_which_comes_first() -> None:
    cs = IOP_DAY.model_copy(update={"deductible_remaining": Decimal("500")})
    script = call_script.build(
        request("ppo"),
        policy=0,
        payer=payer(),
        answer=answer(**(COMPLETE | {"cost_sharing": (cs,)})),
        result=None,
        provider_npi=NPI,
    )
    assert script.topics == (Topic.COST_SHARING,)
    assert script.questions[0].ask == (
        "Is the $25 copay owed only after the deductible is met, or from the first visit?"
    )
    assert script.questions[0].fills == ("copay", "copay_after_deductible")


def test_no_answer_at_all_on_a_phone_only_out_of_network_payer() -> None:
    script = call_script.build(
        request("ppo", program="substance_use"),
        policy=0,
        payer=payer(network_status="out_of_network"),
        answer=None,
        result=None,
        provider_npi=NPI,
    )
    assert script.topics == (
        Topic.BENEFIT,
        Topic.PLACE_OF_SERVICE,
        Topic.AUTHORIZATION,
        Topic.LIMITS,
        Topic.CARVE_OUT,
        Topic.ACCREDITATION,
        Topic.OUT_OF_NETWORK,
        Topic.PLAN_YEAR,
        Topic.COST_SHARING,
    )
    assert script.questions[0].known == "The payer has not answered electronically."
    assert script.questions[2].known is None  # nothing to say about authorization
    assert "0905" not in script.questions[1].ask  # the substance-use code is not verified
    assert script.known == ()


def test_every_question_names_fields_the_phone_form_has() -> None:
    ends = answer(**(COMPLETE | {"plan_end": date(2026, 12, 31)}))
    asked = [
        q
        for a in (None, answer(), ends)
        for q in call_script.build(
            request("ppo"), policy=0, payer=payer(), answer=a, result=None, provider_npi=NPI
        ).questions
    ]
    assert {f for q in asked for f in q.fills} - set(PHONE_FORM_LABELS) == set()
