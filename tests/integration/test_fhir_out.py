"""GET /api/verifications/{id}/fhir: a CoverageEligibilityResponse that fhir.resources accepts."""

import uuid
from decimal import Decimal
from typing import cast

from fastapi.testclient import TestClient
from fhir.resources.R4B.coding import Coding
from fhir.resources.R4B.coverageeligibilityresponse import CoverageEligibilityResponse

from coverage.domain.access import Actor, Role
from tests.api_client import staff
from tests.factories import request
from tests.integration.conftest import queue_in_process

HL7 = "http://terminology.hl7.org/CodeSystem/"


def token_for(actor: Actor) -> dict[str, str]:
    """The API headers of a new user who is `actor`, so that the jobs `actor` queued are theirs."""
    return staff(actor.role, name=actor.name).headers


def fhir(
    client: TestClient, job_id: uuid.UUID, headers: dict[str, str], **params: int
) -> CoverageEligibilityResponse:
    response = client.get(f"/api/verifications/{job_id}/fhir", headers=headers, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/fhir+json"
    return CoverageEligibilityResponse.model_validate_json(response.text)


def codes(concept: object) -> list[tuple[str, str]]:
    return [(c.system, c.code) for c in getattr(concept, "coding", None) or []]


def test_a_commercial_ppo_answer_as_fhir(client: TestClient, clerk: Actor) -> None:
    job_id = queue_in_process(request("ppo"), clerk)
    resource = fhir(client, job_id, token_for(clerk))

    assert (resource.status, resource.outcome) == ("active", "complete")
    assert resource.purpose == ["validation", "benefits"]
    assert resource.insurer.display == "Sandbox Commercial PPO"
    assert resource.requestor is not None and resource.requestor.identifier is not None
    assert resource.requestor.identifier.system == "http://hl7.org/fhir/sid/us-npi"
    assert resource.servicedPeriod is not None
    assert (str(resource.servicedPeriod.start), str(resource.servicedPeriod.end)) == (
        "2026-12-07",
        "2027-01-27",
    )
    assert resource.insurance is not None
    [insurance] = resource.insurance
    assert insurance.inforce is True
    assert insurance.benefitPeriod is not None
    assert (str(insurance.benefitPeriod.start), str(insurance.benefitPeriod.end)) == (
        "2026-01-01",
        "2026-12-31",
    )
    assert insurance.item is not None
    [item] = insurance.item
    assert codes(item.category) == [("https://x12.org/codes/service-type-codes", "MH")]
    assert codes(item.network) == [(HL7 + "benefit-network", "in")]
    assert codes(item.unit) == [(HL7 + "benefit-unit", "individual")]
    assert codes(item.term) == [(HL7 + "benefit-term", "annual")]
    assert item.authorizationRequired is True
    assert item.benefit is not None
    benefits = {(b.type.text or cast(list[Coding], b.type.coding)[0].code): b for b in item.benefit}
    assert benefits["Deductible remaining"].allowedMoney is not None
    assert benefits["Deductible remaining"].allowedMoney.value == Decimal("300.00")
    assert benefits["Out-of-pocket maximum remaining"].allowedMoney is not None
    assert benefits["Out-of-pocket maximum remaining"].allowedMoney.value == Decimal("3000.00")
    assert benefits["copay-percent"].allowedUnsignedInt == 20
    assert codes(benefits["copay-percent"].type) == [(HL7 + "benefit-type", "copay-percent")]


def test_an_unknown_member_is_an_error_outcome_with_the_fix(
    client: TestClient, clerk: Actor
) -> None:
    job_id = queue_in_process(request("unknown"), clerk)
    resource = fhir(client, job_id, token_for(clerk))
    assert resource.outcome == "error"
    assert resource.insurance is None
    assert resource.disposition is not None
    assert resource.disposition.startswith("The payer did not find this member.")


def test_inactive_coverage_is_not_in_force(client: TestClient, clerk: Actor) -> None:
    job_id = queue_in_process(request("inactive"), clerk)
    resource = fhir(client, job_id, token_for(clerk))
    assert resource.insurance is not None
    [insurance] = resource.insurance
    assert (resource.outcome, insurance.inforce, insurance.item) == ("complete", False, None)


def test_other_staff_cannot_read_it_and_a_missing_policy_is_404(
    client: TestClient, clerk: Actor
) -> None:
    job_id = queue_in_process(request("ppo"), clerk)
    stranger = Actor(name=f"other-{uuid.uuid4().hex[:6]}", role=Role.ADMISSIONS)
    assert (
        client.get(f"/api/verifications/{job_id}/fhir", headers=token_for(stranger)).status_code
        == 404
    )
    response = client.get(
        f"/api/verifications/{job_id}/fhir", headers=token_for(clerk), params={"policy": 1}
    )
    assert response.status_code == 404
    assert response.json()["detail"] == f"verification job {job_id} has no policy 1"
