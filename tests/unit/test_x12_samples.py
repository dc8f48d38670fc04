"""Every X12 sample in tests/fixtures/x12/ (public samples, their sources in SOURCES.md there, plus our own synthetic
ones) and what it must read as: the normalized answer, or the located error."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from coverage.adapters import phone_merge
from coverage.domain.benefit_choice import choose
from coverage.domain.eligibility import (
    BenefitKind,
    BenefitPeriod,
    Contact,
    ContactKind,
    CostSharing,
    CostTerm,
    EligibilityRequest,
    InsuranceType,
    LimitPer,
    LimitUnit,
    Network,
    OtherPayer,
    OtherPayerRole,
    PayerIssue,
    PeriodKind,
    RelatedEntity,
    TermOrigin,
    TimePeriod,
    VisitLimit,
)
from coverage.domain.estimate import estimate_episode
from coverage.domain.phone import PhoneAnswer
from coverage.domain.request import BehavioralBenefit, Intake, Program
from coverage.errors import PayerPermanentError, PayerTransientError
from coverage.x12.envelope import read_interchange
from coverage.x12.errors import X12ParseError
from coverage.x12.iop_benefit import IopContext, payer_error, read_eligibility
from coverage.x12.reader_271 import read_271
from tests.unit.estimate_builders import plan, terms

SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "x12"
ANSWERS = SAMPLES.parent / "answers"
CONTEXT = IopContext(service_date=date(2026, 3, 2))
LFH_SERVICE_TYPES = ("1", "33", "35", "47", "86", "88", "98", "AL", "MH", "UC")


def sample(name: str) -> str:
    return (SAMPLES / name).read_bytes().decode("ascii")  # keeps CRLF as sent


def warnings(name: str) -> list[str]:
    return [str(w) for w in read_interchange(sample(name)).warnings]


def test_every_sample_file_has_a_test_here() -> None:
    files = {
        str(p.relative_to(SAMPLES))
        for p in SAMPLES.rglob("*")
        if p.is_file() and not p.name.startswith(("LICENSE", "SOURCES", "README"))
    }
    assert files == set(EXPECTED_FILES)


EXPECTED_FILES = (
    "lfh-subscriber-health-benefit-check.271",
    "lfh-dependent-health-benefit-check.271",
    "lfh-subscriber-health-benefit-check-error.271",
    "lfh-subscriber-health-benefit-check.270",
    "lfh-dependent-health-benefit-check.270",
    "imsweb-x271-mixed-version.txt",
    "imsweb-x270.txt",
    "synthetic/synthetic-aaa-2100a-42.271",
    "synthetic/synthetic-aaa-2100c-75.271",
    "synthetic/iop-behavioral-two-sets.271",
    "synthetic/medicare-qmb-advantage.271",
    "synthetic/iop-coinsurance-only-office-copay.271",
    "synthetic/iop-rule-book-limit-new-year.271",
    "synthetic/iop-weekly-visit-cap.271",
    "synthetic/iop-mh-sud-split.271",
)


def said(*terms: CostTerm) -> tuple[TermOrigin, ...]:
    """The terms the payer's electronic answer stated."""
    return tuple(TermOrigin(term=t, source="electronic") for t in terms)


@pytest.mark.parametrize(
    "name", ["lfh-subscriber-health-benefit-check.271", "lfh-dependent-health-benefit-check.271"]
)
def test_lfh_271_reads_copay_per_visit_in_and_out_of_network(name: str) -> None:
    result = read_eligibility(sample(name), CONTEXT)

    assert warnings(name) == []
    assert result.active is True
    assert result.plan_name == "GOLD 123 PLAN"
    assert result.insurance_type is InsuranceType.COMMERCIAL  # EB04 HM
    assert (result.plan_begin, result.plan_end) == (date(2006, 1, 1), None)
    assert result.cost_sharing == (
        CostSharing(network=Network.IN, copay_per_day=Decimal("10.00"), origins=said("copay")),
        CostSharing(network=Network.OUT, copay_per_day=Decimal("30.00"), origins=said("copay")),
    )
    assert [(b.kind, b.service_types, b.amount, b.network) for b in result.benefits] == [
        (BenefitKind.ACTIVE, ("30",), None, None),
        (BenefitKind.OTHER, (), None, None),
        (BenefitKind.ACTIVE, LFH_SERVICE_TYPES, None, None),
        (BenefitKind.COPAY, LFH_SERVICE_TYPES, Decimal("10.00"), Network.IN),
        (BenefitKind.COPAY, LFH_SERVICE_TYPES, Decimal("30.00"), Network.OUT),
    ]
    pcp = result.benefits[1]
    assert (pcp.entity_name, pcp.entity_id) == ("MARCUS JONES", "0202034")
    assert result.benefits[3].time_period is TimePeriod.VISIT
    assert result.other_payers == ()  # a primary care provider is not a payer
    assert result.issues == ()
    assert payer_error(result) is None
    segment = 22 if "subscriber" in name else 28
    assert result.assumptions[0] == (
        f"in_network copay: used EB #{segment} ({'/'.join(LFH_SERVICE_TYPES)}, level not stated, "
        f"period 27, in network); not applicable: EB #{segment + 1} (other network)"
    )
    assert "in_network: no individual deductible reported for IOP service types; used 0.00" in (
        result.assumptions
    )
    assert result.raw_media_type == "application/edi-x12"
    assert result.raw_payload == sample(name)


def test_lfh_dependent_271_reads_the_dependent_loop() -> None:
    response = read_271(sample("lfh-dependent-health-benefit-check.271")).responses[0]
    subscriber, dependent = list(response.members())

    assert (subscriber.level, subscriber.benefits) == ("22", [])
    assert subscriber.birth_date == date(1963, 5, 19)
    assert (dependent.level, dependent.relationship, dependent.gender) == ("23", "19", "F")
    assert dependent.traces == [("2", "93175-012547", "9877281234")]
    assert len(dependent.benefits) == 5


def test_lfh_error_271_is_a_final_provider_error_and_warns_about_se02() -> None:
    name = "lfh-subscriber-health-benefit-check-error.271"
    result = read_eligibility(sample(name), CONTEXT)

    assert warnings(name) == ["segment SE #10: SE02 does not match ST02"]
    assert result.active is False
    assert result.benefits == ()
    assert result.issues == (
        PayerIssue(
            code="50",
            follow_up="N",
            loop="2100B",
            retryable=False,
            hint="Our provider may not send eligibility inquiries to this payer: check enrollment.",
        ),
    )
    error = payer_error(result)
    assert isinstance(error, PayerPermanentError)
    assert str(error) == "payer answered AAA 50 in loop 2100B"


def test_aaa_42_at_the_payer_is_retryable() -> None:
    result = read_eligibility(sample("synthetic/synthetic-aaa-2100a-42.271"), CONTEXT)

    assert result.active is False
    assert result.issues == (
        PayerIssue(
            code="42",
            follow_up="R",
            loop="2100A",
            retryable=True,
            hint="The payer could not answer now; the payer call is retried automatically.",
        ),
    )
    assert isinstance(payer_error(result), PayerTransientError)


def test_aaa_75_at_the_subscriber_is_final_with_a_fix_hint() -> None:
    name = "synthetic/synthetic-aaa-2100c-75.271"
    result = read_eligibility(sample(name), CONTEXT)

    assert warnings(name) == []
    assert [(i.code, i.follow_up, i.loop, i.retryable) for i in result.issues] == [
        ("75", "C", "2100C", False)
    ]
    error = payer_error(result)
    assert isinstance(error, PayerPermanentError)
    assert error.action.startswith("The payer did not find this member.")
    assert "W000000009" not in str(error) + error.action  # no member ID in texts that reach logs


def test_imsweb_mixed_version_271_reads_with_four_envelope_warnings() -> None:
    name = "imsweb-x271-mixed-version.txt"
    result = read_eligibility(sample(name), CONTEXT)

    assert warnings(name) == [
        "segment ST #3: ST03 005010X279A1 differs from GS08 004010X092A1",
        "segment EB #16: trailing element separators (here)",
        "segment SE #20: SE01 says '22' segments, the transaction set has 18",
        "segment IEA #22: IEA02 does not match ISA13",
    ]
    assert result.active is True
    assert result.plan_name == "GOLD 123 PLAN"
    assert result.plan_begin == date(2006, 1, 1)
    assert result.cost_sharing == ()  # only an active-coverage line: nothing to price
    # ISA11 is "U" (a 4010 standards id), so EB03 is not split on it.
    assert [(b.kind, b.service_types, b.entity_name) for b in result.benefits] == [
        (BenefitKind.ACTIVE, ("30",), "MARCUS JONES")
    ]


@pytest.mark.parametrize(
    ("name", "offset", "expected_warnings"),
    [
        ("lfh-subscriber-health-benefit-check.270", 161, []),
        ("lfh-dependent-health-benefit-check.270", 161, []),
        (
            "imsweb-x270.txt",
            165,
            [
                "segment BHT #4: trailing element separators (here and 7 more)",
                "segment SE #16: SE01 says '15' segments, the transaction set has 14",
                "segment SE #16: SE02 does not match ST02",
                "segment IEA #18: IEA02 does not match ISA13",
            ],
        ),
    ],
)
def test_270_samples_have_a_readable_envelope_and_are_refused_as_271(
    name: str, offset: int, expected_warnings: list[str]
) -> None:
    assert warnings(name) == expected_warnings
    with pytest.raises(X12ParseError) as caught:
        read_271(sample(name))
    assert (
        str(caught.value)
        == f"X12 segment ST #3 at offset {offset}: ST01 '270' is not a 271 response"
    )
    assert (caught.value.segment_id, caught.value.segment_number) == ("ST", 3)


def test_behavioral_271_picks_the_iop_line_per_network() -> None:
    name = "synthetic/iop-behavioral-two-sets.271"
    parsed = read_271(sample(name))
    result = read_eligibility(sample(name), CONTEXT)

    assert sample(name).count("~\r\n") == sample(name).count("~") == 55  # CRLF after each
    assert warnings(name) == []
    assert [r.control_number for r in parsed.responses] == ["0001", "0002"]
    assert parsed.interchange.tokens.delimiters.element == "|"
    assert result.active is True
    assert result.plan_name == "EXAMPLE PPO GOLD"
    assert (result.plan_begin, result.plan_end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert result.cost_sharing == (
        CostSharing(
            network=Network.IN,
            deductible_remaining=Decimal("300.00"),  # remaining (29), not the 1,500 plan amount
            family_deductible_remaining=Decimal("2100.00"),
            coinsurance=Decimal("0.20"),  # CH at place of service 22, not CH at 21 nor MH/A8
            copay_per_day=Decimal("25.00"),
            oop_remaining=Decimal("3000.00"),
            prior_auth_required=True,
            prior_auth_stated=True,
            day_limit_remaining=20,
            visits_per_week=3,  # HSD 3 visits per 1 week on the chosen CH limit line
            origins=said(
                "deductible",
                "family_deductible",
                "out_of_pocket",
                "copay",
                "coinsurance",
                "day_limit",
            ),
        ),
        CostSharing(
            network=Network.OUT,
            deductible_remaining=Decimal("3000.00"),  # only the plan amount was sent
            coinsurance=Decimal("0.40"),
            prior_auth_stated=True,  # EB11 N on the chosen out-of-network line: not required
            origins=said("deductible", "coinsurance"),
        ),
    )
    assert (
        # MH and A8 coinsurance belong to other benefits than the chosen CH line at POS 22.
        "in_network coinsurance: used EB #28 (CH, IND, no period, in network); not applicable: "
        "EB #26 (place of service not an IOP setting); EB #31 (other network); "
        "EB #35 (A8: not the service type and place of service of the chosen IOP line); "
        "EB #25 (MH: not the service type and place of service of the chosen IOP line)"
    ) in result.assumptions
    assert "out_of_network deductible: remaining amount not reported; assumed none met" in (
        result.assumptions
    )
    assert result.other_payers == (
        OtherPayer(
            role=OtherPayerRole.CARVE_OUT, name="EXAMPLE BEHAVIORAL HEALTH", payer_id="BH12345"
        ),
    )
    # The carve-out administrator keeps its phone; the limit line its HSD as a typed limit.
    assert result.related_entities == (
        RelatedEntity(
            role="behavioral-health administrator",
            entity_code="X3",
            name="EXAMPLE BEHAVIORAL HEALTH",
            id="BH12345",
            id_qualifier="PI",
            contacts=(Contact(kind=ContactKind.PHONE, value="8005550199", qualifier="TE"),),
            service_types=("AI", "CJ"),
        ),
    )
    assert result.administrator_phone("EXAMPLE BEHAVIORAL HEALTH") == "8005550199"
    [limited] = [b for b in result.benefits if b.limits]
    assert (limited.kind, limited.service_types, limited.limits) == (
        BenefitKind.LIMITATIONS,
        ("CH",),
        (
            VisitLimit(
                quantity=Decimal("3"),
                unit=LimitUnit.VISITS,
                per=LimitPer.WEEK,
                periods=Decimal("1"),
                raw_unit="VS//35",
                text="3 visits per 1 week",
            ),
        ),
    )
    assert (result.group_number, result.plan_number, result.disclaimers) == (None, None, ())
    assert result.messages == (
        "PRECERTIFICATION REQUIRED FOR INTENSIVE OUTPATIENT",
        "3 visits per 1 week",
    )
    # The line-level AAA 53 in the second set is reported but does not fail the check.
    assert [(i.code, i.loop, i.retryable) for i in result.issues] == [("53", "2110C", False)]
    assert payer_error(result) is None


def test_medicare_qmb_and_advantage_plan() -> None:
    result = read_eligibility(sample("synthetic/medicare-qmb-advantage.271"), CONTEXT)

    assert result.active is True
    assert result.insurance_type is InsuranceType.MEDICARE
    assert result.medicare_qmb is True
    assert result.other_payers == (
        OtherPayer(
            role=OtherPayerRole.PRIMARY,
            name="EXAMPLE ADVANTAGE PLAN",
            payer_id="MA12345",
            insurance_type_code="HN",
        ),
    )
    deductible = next(b for b in result.benefits if b.kind is BenefitKind.DEDUCTIBLE)
    assert (deductible.amount, deductible.time_period, deductible.service_types) == (
        Decimal("283.00"),
        TimePeriod.REMAINING,
        ("96",),
    )
    assert result.cost_sharing == ()  # Part B professional (96) is not an IOP service type


def test_a_benefit_period_that_excludes_the_service_date_is_not_used() -> None:
    text = (
        sample("synthetic/iop-behavioral-two-sets.271")
        .replace(
            "EB|C|IND|30|PR||29|300.00|||||Y~\r\n",
            "EB|C|IND|30|PR||29|300.00|||||Y~\r\nDTP|292|RD8|20250101-20251231~\r\n",
        )
        .replace("SE|39|0001", "SE|40|0001")
    )
    result = read_eligibility(text, CONTEXT)
    in_network = result.cost_sharing_for(Network.IN)
    assert in_network is not None
    assert in_network.deductible_remaining == Decimal("1500.00")  # last year's remaining is ignored
    assert any("EB #20 (benefit period excludes the service date)" in a for a in result.assumptions)


def test_iop_line_with_coinsurance_only_borrows_no_office_or_telehealth_copay() -> None:
    # The IOP facility line (CH, in network, no place of service) carries 20% coinsurance only;
    # a $40 mental-health copay restricted to the office (POS 11) and a $15 CH copay restricted
    # to telehealth (POS 02) are other benefits and must not be charged on IOP days.
    name = "synthetic/iop-coinsurance-only-office-copay.271"
    result = read_eligibility(sample(name), CONTEXT)

    assert warnings(name) == []
    assert result.cost_sharing == (
        CostSharing(
            network=Network.IN,
            deductible_remaining=Decimal("300.00"),
            coinsurance=Decimal("0.20"),
            copay_per_day=Decimal("0"),
            oop_remaining=Decimal("3000.00"),
            # The copay is absent from the chosen line: not stated, so no origin.
            origins=said("deductible", "out_of_pocket", "coinsurance"),
        ),
        CostSharing(
            network=Network.OUT,
            deductible_remaining=Decimal("1000.00"),
            coinsurance=Decimal("0.40"),
            origins=said("deductible", "coinsurance"),
        ),
    )
    assert (
        "in_network copay: none on the chosen IOP line EB #19 (CH, no place of service); "
        "used 0.00; not used: EB #20 (office place of service 11, not the facility IOP benefit); "
        "EB #22 (telehealth place of service 02, not the facility IOP benefit)"
    ) in result.assumptions
    assert (
        "in_network coinsurance: used EB #19 (CH, IND, no period, in network); "
        "not applicable: EB #24 (other network)"
    ) in result.assumptions

    # 3 days a week for 8 weeks = 24 IOP days at $350 allowed:
    # day 1: $300 deductible + 20% of the $50 left = $310.00;
    # days 2-24: 20% of $350 = $70.00 a day, 23 x $70.00 = $1,610.00;
    # patient total $310.00 + $1,610.00 = $1,920.00 (the office copay borrowed made it $2,688.00).
    episode = plan(days_per_week=3, weeks=8)
    estimate = estimate_episode(
        plan=episode, policies=[terms(episode, result.cost_sharing[0])], self_pay=[]
    )
    assert len(estimate.days) == 24
    assert estimate.allowed_total == Decimal("8400.00")
    assert estimate.patient_total == Decimal("1920.00")
    assert estimate.payer_total == Decimal("6480.00")


def _with_iop_copay(message: str, office_message: str) -> str:
    """The coinsurance-only sample plus a $20 copay on the IOP line (CH, in network)."""
    added = ["EB*B*IND*CH*PR**27*20.00*****Y~\n"] + ([f"MSG*{message}~\n"] if message else [])
    office = [f"MSG*{office_message}~\n"] if office_message else []
    return (
        sample("synthetic/iop-coinsurance-only-office-copay.271")
        .replace("EB*A*IND*CH*PR****.20****Y~\n", "EB*A*IND*CH*PR****.20****Y~\n" + "".join(added))
        .replace("III*ZZ*11~\n", "III*ZZ*11~\n" + "".join(office))
        .replace("SE*23*0001", f"SE*{23 + len(added) + len(office)}*0001")
    )


def test_copay_outside_the_deductible_is_read_from_the_chosen_iop_line() -> None:
    result = read_eligibility(_with_iop_copay("COPAY NOT SUBJECT TO DEDUCTIBLE", ""), CONTEXT)
    cs = result.cost_sharing_for(Network.IN)

    assert cs is not None
    assert (cs.copay_per_day, cs.copay_applies_after_deductible, cs.coinsurance) == (
        Decimal("20.00"),
        False,
        Decimal("0.20"),
    )
    assert (
        "in_network copay: EB #20 says the deductible does not apply; the copay is charged from "
        "the first day"
    ) in result.assumptions
    # 24 days at $350 allowed: day 1: $20 copay, $300 deductible of the $330 left, 20% of the
    # last $30 = $6.00: $326.00; days 2-24: $20 + 20% of $330 = $86.00, 23 x $86 = $1,978.00;
    # patient total $326.00 + $1,978.00 = $2,304.00.
    episode = plan(days_per_week=3, weeks=8)
    estimate = estimate_episode(plan=episode, policies=[terms(episode, cs)], self_pay=[])
    assert estimate.patient_total == Decimal("2304.00")


def test_the_office_lines_deductible_message_is_not_borrowed() -> None:
    result = read_eligibility(_with_iop_copay("", "DEDUCTIBLE DOES NOT APPLY"), CONTEXT)
    cs = result.cost_sharing_for(Network.IN)

    assert cs is not None
    assert (cs.copay_per_day, cs.copay_applies_after_deductible) == (Decimal("20.00"), True)
    assert not any("deductible does not apply" in a for a in result.assumptions)


def test_weekly_visit_cap_fixture_keeps_group_contacts_periods_limits_and_disclaimer() -> None:
    name = "synthetic/iop-weekly-visit-cap.271"
    result = read_eligibility(sample(name), CONTEXT)

    assert warnings(name) == []
    assert (result.group_number, result.plan_number) == ("GRP0401", "PLN0401")
    assert result.disclaimers == ("BENEFITS QUOTED ARE NOT A GUARANTEE OF PAYMENT",)
    assert result.cost_sharing[0] == CostSharing(
        network=Network.IN,
        deductible_remaining=Decimal("0.00"),
        coinsurance=Decimal("0.20"),
        oop_remaining=Decimal("2000.00"),
        visits_per_week=3,
        origins=said("deductible", "out_of_pocket", "coinsurance"),
    )
    assert result.cost_sharing[1].visits_per_week is None  # the out-of-network line has no HSD
    assert (
        "in_network: EB #20 limits IOP to 3 visits a week (HSD); days over it in a calendar week "
        "are not covered"
    ) in result.assumptions
    um = RelatedEntity(
        role="utilization management organization",
        entity_code="X3",
        name="EXAMPLE UM SERVICES",
        id="UM0401",
        id_qualifier="PI",
        contacts=(
            Contact(
                kind=ContactKind.PHONE,
                value="8005550140",
                extension="12",
                qualifier="TE",
                name="PRIOR AUTH UNIT",
            ),
            Contact(
                kind=ContactKind.FAX, value="8005550141", qualifier="FX", name="PRIOR AUTH UNIT"
            ),
            Contact(kind=ContactKind.EMAIL, value="UM@EXAMPLE.ORG", qualifier="EM"),
            Contact(kind=ContactKind.URL, value="WWW.EXAMPLE.ORG/UM", qualifier="UR"),
        ),
        service_types=("CH",),
    )
    assert result.related_entities == (um,)
    assert um.phone == "8005550140 ext. 12"
    assert result.administrator_phone(None) is None  # a UM organization is no carve-out
    in_net, out_net = [b for b in result.benefits if b.kind is BenefitKind.COINSURANCE]
    assert in_net.entities == (um,)
    assert in_net.periods == (
        BenefitPeriod(
            kind=PeriodKind.BENEFIT, qualifier="292", start=date(2026, 1, 1), end=date(2026, 12, 31)
        ),
    )
    assert [lim.per_week for lim in in_net.limits] == [3]
    assert out_net.periods == (
        BenefitPeriod(
            kind=PeriodKind.BENEFIT_BEGIN,
            qualifier="348",
            start=date(2026, 1, 1),
            end=date(2026, 1, 1),
        ),
        BenefitPeriod(
            kind=PeriodKind.BENEFIT_END,
            qualifier="349",
            start=date(2026, 12, 31),
            end=date(2026, 12, 31),
        ),
    )
    assert out_net.limits == ()


def test_existing_samples_keep_their_related_entities_and_periods() -> None:
    lfh = read_eligibility(sample("lfh-subscriber-health-benefit-check.271"), CONTEXT)
    assert [(e.role, e.entity_code, e.name, e.id, e.contacts) for e in lfh.related_entities] == [
        ("primary care provider", "P3", "MARCUS JONES", "0202034", ())
    ]
    medicare = read_eligibility(sample("synthetic/medicare-qmb-advantage.271"), CONTEXT)
    assert [(e.role, e.name, e.phone) for e in medicare.related_entities] == [
        ("primary payer", "EXAMPLE ADVANTAGE PLAN", "8005550111")
    ]
    assert [
        (b.kind, [(p.kind, p.start, p.end) for p in b.periods])
        for b in medicare.benefits
        if b.periods
    ][:3] == [
        (BenefitKind.ACTIVE, [(PeriodKind.ELIGIBILITY, date(2015, 1, 1), date(2099, 12, 31))]),
        (BenefitKind.ACTIVE, [(PeriodKind.ELIGIBILITY, date(2020, 1, 1), date(2099, 12, 31))]),
        (BenefitKind.DEDUCTIBLE, [(PeriodKind.BENEFIT, date(2026, 1, 1), date(2026, 12, 31))]),
    ]


def test_days_over_the_weekly_visit_cap_are_priced_as_not_covered() -> None:
    result = read_eligibility(sample("synthetic/iop-weekly-visit-cap.271"), CONTEXT)
    # 4 days a week (Monday to Thursday) for 3 weeks = 12 days; the payer allows 3 visits a
    # week, so each Thursday is not covered and charged at the $400.00 self-pay rate.
    # Covered: 9 days at $350 allowed, no deductible left, 20% coinsurance = $70.00 a day:
    # patient 9 x $70.00 + 3 x $400.00 = $1,830.00; payer 9 x $280.00 = $2,520.00.
    episode = plan(days_per_week=4, weeks=3)
    estimate = estimate_episode(
        plan=episode, policies=[terms(episode, result.cost_sharing[0])], self_pay=[]
    )
    uncovered = [d for d in estimate.days if not d.covered]
    assert len(estimate.days) == 12
    assert [d.date for d in uncovered] == [date(2026, 2, 5), date(2026, 2, 12), date(2026, 2, 19)]
    assert all("beyond_weekly_limit" in d.flags for d in uncovered)
    assert estimate.patient_total == Decimal("1830.00")
    assert estimate.payer_total == Decimal("2520.00")


SPLIT = "synthetic/iop-mh-sud-split.271"
BOTH = IopContext.asked(date(2026, 3, 2), ("30", "MH", "AI"))
CO_OCCURRING = Intake(diagnoses=["F33.1", "F10.20"], program=Program.CO_OCCURRING)


def _episode_patient_total(cs: CostSharing) -> Decimal:
    episode = plan(days_per_week=3, weeks=8)
    return estimate_episode(plan=episode, policies=[terms(episode, cs)], self_pay=[]).patient_total


def test_mental_health_and_substance_use_are_each_read_from_their_own_lines() -> None:
    result = read_eligibility(sample(SPLIT), BOTH)

    assert warnings(SPLIT) == []
    assert (result.active, result.priced_by, result.cost_sharing) == (True, None, ())
    assert result.split is not None
    mental, substance = result.split.mental_health, result.split.substance_use
    assert mental == (
        CostSharing(
            network=Network.IN,
            deductible_remaining=Decimal("300.00"),
            coinsurance=Decimal("0.20"),
            oop_remaining=Decimal("3000.00"),
            origins=said("deductible", "out_of_pocket", "coinsurance"),
        ),
    )
    assert substance == (
        CostSharing(
            network=Network.IN,
            deductible_remaining=Decimal("300.00"),
            coinsurance=Decimal("0.10"),
            copay_per_day=Decimal("40.00"),
            oop_remaining=Decimal("3000.00"),
            origins=said("deductible", "out_of_pocket", "copay", "coinsurance"),
        ),
    )
    assert (result.split.mental_health_said, result.split.substance_use_said) == (
        "20% coinsurance, in network",
        "$40.00 copay a day and 10% coinsurance, in network",
    )
    # Neither borrows the other's terms.
    assert (
        "substance use benefit: in_network coinsurance: used EB #22 (AI, IND, no period, in "
        "network); not applicable: EB #20 (mental health service type: not this program's "
        "benefit)"
    ) in result.assumptions
    # Each reading names the other behavioral benefit's line as such, not as a non-IOP line.
    assert (
        "mental health benefit: in_network coinsurance: used EB #20 (MH, IND, no period, in "
        "network); not applicable: EB #22 (substance use service type: not this program's "
        "benefit)"
    ) in result.assumptions
    # 24 days at $350.00: MH day 1 $310.00 + 23 x $70.00; SUD day 1 $300.00 + $40.00 + 10% of
    # $10.00 = $341.00, then 23 x ($40.00 + 10% of $310.00 = $71.00).
    assert _episode_patient_total(mental[0]) == Decimal("1920.00")
    assert _episode_patient_total(substance[0]) == Decimal("1974.00")


def test_a_single_benefit_inquiry_reads_only_its_own_benefit() -> None:
    mental = read_eligibility(sample(SPLIT), CONTEXT)
    substance = read_eligibility(sample(SPLIT), IopContext(date(2026, 3, 2), substance_use=True))

    assert (mental.priced_by, mental.split) == (BehavioralBenefit.MENTAL_HEALTH, None)
    assert (substance.priced_by, substance.split) == (BehavioralBenefit.SUBSTANCE_USE, None)
    assert [(cs.coinsurance, cs.copay_per_day) for cs in mental.cost_sharing] == [
        (Decimal("0.20"), Decimal("0"))
    ]
    assert [(cs.coinsurance, cs.copay_per_day) for cs in substance.cost_sharing] == [
        (Decimal("0.10"), Decimal("40.00"))
    ]


def test_with_no_primary_condition_the_costlier_benefit_prices() -> None:
    split = read_eligibility(sample(SPLIT), BOTH).split
    assert split is not None

    choice = choose(
        split, CO_OCCURRING, "Example Health Plan", lambda b: _episode_patient_total(split.of(b)[0])
    )

    assert choice.benefit is BehavioralBenefit.SUBSTANCE_USE
    assert choice.assumption == (
        "Example Health Plan answers mental health and substance use benefits separately: "
        "mental health: 20% coinsurance, in network; substance use: $40.00 copay a day and 10% "
        "coinsurance, in network. The intake names no primary condition, so the episode is "
        "priced with the substance use benefit, the one that costs the patient more ($1,974.00 "
        "against $1,920.00 with the mental health benefit): an estimate that is too low is the "
        "harm to avoid."
    )


def _substance_use_lines(replacement: str) -> str:
    old = "EB*B*IND*AI*PR**27*40.00*****Y~\nEB*A*IND*AI*PR****.10****Y~\n"
    text = sample(SPLIT)
    assert old in text
    segments = 21 - 2 + replacement.count("~")
    return text.replace(old, replacement).replace("SE*21*0001", f"SE*{segments}*0001")


@pytest.mark.parametrize(
    ("lines", "said"),
    [
        (
            "EB*U*IND*AI~\nLS*2120~\nNM1*X3*2*EXAMPLE RECOVERY PARTNERS*****PI*RP777~\nLE*2120~\n",
            "administered by EXAMPLE RECOVERY PARTNERS (carve-out): no cost sharing in this answer",
        ),
        ("EB*I*IND*AI~\n", "not covered"),
        ("", "no cost sharing stated"),
    ],
    ids=["carved out", "not covered", "not stated"],
)
def test_a_benefit_without_cost_sharing_leaves_the_other_to_price_and_says_so(
    lines: str, said: str
) -> None:
    split = read_eligibility(_substance_use_lines(lines), BOTH).split
    assert split is not None
    assert (split.substance_use, split.substance_use_said) == ((), said)

    def never(_: BehavioralBenefit) -> Decimal:
        raise AssertionError("nothing to compare")

    choice = choose(split, CO_OCCURRING, "Example Health Plan", never)

    assert choice.benefit is BehavioralBenefit.MENTAL_HEALTH
    assert choice.assumption == (
        "Example Health Plan answers mental health and substance use benefits separately: "
        f"mental health: 20% coinsurance, in network; substance use: {said}. Only the mental "
        "health benefit has cost sharing to price with, so it prices the episode; if the claim "
        "is billed under substance use, this estimate does not hold."
    )


def test_a_phone_call_lies_over_both_halves_of_a_split_answer() -> None:
    # The call (a $25 copay and 30% coinsurance in network) is about the IOP benefit as a whole:
    # both halves take its terms; the substance use half keeps nothing of its own that the call
    # replaced, and which half prices is still decided later, with the request in hand.
    answer = read_eligibility(sample(SPLIT), BOTH)
    call = PhoneAnswer.model_validate_json((ANSWERS / "phone-fills-and-overrides.json").read_text())
    asked = EligibilityRequest.model_validate(
        {
            "payer_id": "sandbox-commercial",
            "provider_npi": "1234567893",
            "member_id": "W000000501",
            "first_name": "Pat",
            "last_name": "Doe",
            "birth_date": "1990-01-01",
            "sex": "F",
            "relationship": "self",
            "service_start": "2026-03-02",
            "service_end": "2026-04-24",
            "service_types": ["30", "MH", "AI"],
            "trace_number": "T1",
            "attempt": 1,
        }
    )
    merged = phone_merge.merge(answer, call, asked)

    assert merged.cost_sharing == ()  # still split: one half is chosen when the episode is priced
    assert merged.split is not None
    terms_of = {
        benefit: [(cs.copay_per_day, cs.coinsurance) for cs in merged.split.of(benefit)]
        for benefit in BehavioralBenefit
    }
    assert terms_of == {
        BehavioralBenefit.MENTAL_HEALTH: [(Decimal("25.00"), Decimal("0.30"))],
        BehavioralBenefit.SUBSTANCE_USE: [(Decimal("25.00"), Decimal("0.30"))],
    }
    assert (
        "Substance use benefit: In-network copay per day $25.00 from the phone call on 3 Dec 2026 "
        "(reference ABC123); the electronic answer said $40.00"
    ) in merged.assumptions
    assert (
        "Mental health benefit: In-network coinsurance 30% from the phone call on 3 Dec 2026 "
        "(reference ABC123); the electronic answer said 20%"
    ) in merged.assumptions
