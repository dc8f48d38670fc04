from datetime import date

from coverage.domain.eligibility import EligibilityResponse, InsuranceType, Network
from coverage.domain.findings import assess
from coverage.domain.payer import PayerConfig
from coverage.domain.request import VerificationRequest
from tests.factories import request, request_body

MEDICARE = PayerConfig(
    kind="payer",
    id="m",
    name="Medicare",
    type=InsuranceType.MEDICARE,
    adapter="sandbox",
    network_status=Network.IN,
    hours_per_week_min=9,
    hours_per_week_max=19,
    version="1",
    source="test",
)
ACTIVE = EligibilityResponse(active=True, plan_begin=date(2026, 1, 1), raw_payload="{}")


def _codes(findings: list) -> dict[str, tuple[str, str]]:
    return {f.code: (f.status, f.reason) for f in findings}


def test_hours_inside_the_payers_iop_bounds_are_met() -> None:
    found = _codes(
        assess(request("medicare", days_per_week=3, hours_per_day=3), [(MEDICARE, ACTIVE)])
    )
    assert found["hours_per_week"] == (
        "met",
        "Planned 9 hours/week; Medicare covers IOP at 9-19 hours/week.",
    )


def test_twenty_hours_a_week_is_not_iop_for_medicare() -> None:
    found = _codes(
        assess(request("medicare", days_per_week=5, hours_per_day=4), [(MEDICARE, ACTIVE)])
    )
    assert found["hours_per_week"] == (
        "not_met",
        "Planned 20 hours/week; Medicare covers IOP at 9-19 hours/week.",
    )


def test_imminent_danger_points_to_a_higher_level_of_care() -> None:
    body = request_body()
    body["intake"]["imminent_danger"] = True
    found = _codes(assess(VerificationRequest.model_validate(body), []))
    assert found["level_of_care"] == (
        "not_met",
        "Intake records imminent danger or a need for withdrawal management: assess for a higher level of care "
        "before IOP.",
    )
    assert found["coverage_active"] == ("not_met", "No insurance policy given: self-pay.")


def test_a_clinician_recommending_php_is_a_finding() -> None:
    body = request_body()
    body["intake"]["recommended_level_of_care"] = "php"
    found = _codes(assess(VerificationRequest.model_validate(body), []))
    assert found["level_of_care"] == ("not_met", "The clinician recommends php, not IOP.")
