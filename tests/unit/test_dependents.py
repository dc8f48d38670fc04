"""A patient covered under the subscriber's member ID, with none of their own, is asked about as
the subscriber's dependent by every adapter; one with their own ID stays in the subscriber loop."""

import json
from datetime import date, datetime

import pytest
from pydantic import ValidationError

from coverage.adapters.clearinghouse_json import ClearinghouseJsonSettings, request_body
from coverage.adapters.core_x12 import CoreX12Settings, inquiry_for
from coverage.adapters.fhir import FhirSettings, request_resource
from coverage.domain.request import PolicyIn, Relationship, Sex, Subscriber
from coverage.x12.writer_270 import Envelope270, write_270
from tests.payers import eligibility_request

PARENT = Subscriber(first_name="John", last_name="Doe", birth_date=date(1975, 2, 3), sex=Sex.MALE)
CHILD = eligibility_request(
    first_name="Jim",
    last_name="Doe",
    birth_date=date(2010, 6, 30),
    sex=Sex.MALE,
    relationship=Relationship.CHILD,
    subscriber=PARENT,
    service_types=("MH",),
    trace_number="JOB42A1",
)
CORE = CoreX12Settings.model_validate(
    {
        "url": "https://core.example-payer.test/realtime",
        "payer_x12_id": "99999",
        "payer_name": "EXAMPLE HEALTH PLAN",
        "provider_name": "EXAMPLE IOP CLINIC",
        "sender_id": "EXAMPLEIOP",
        "receiver_id": "EXAMPLEPAYER",
    }
)


def test_core_x12_puts_the_patient_in_the_dependent_loop_under_the_subscriber() -> None:
    envelope = Envelope270(
        sender_id="EXAMPLEIOP",
        receiver_id="EXAMPLEPAYER",
        interchange_control_number=42,
        created=datetime(2026, 3, 1, 9, 5),
    )
    segments = write_270(inquiry_for(CHILD, CORE), envelope).split("~")
    loops = segments[segments.index("HL*3*2*22*1") : segments.index("EQ*MH") + 1]
    assert loops == [
        "HL*3*2*22*1",
        "NM1*IL*1*Doe*John****MI*W000000009",
        "DMG*D8*19750203*M",
        "HL*4*3*23*0",
        "TRN*1*JOB42A1*9000000000",
        "NM1*03*1*Doe*Jim",
        "DMG*D8*20100630*M",
        "INS*N*19",
        "DTP*291*RD8*20260302-20260522",
        "EQ*MH",
    ]


def test_a_dependent_with_a_member_id_of_their_own_stays_in_the_subscriber_loop() -> None:
    own = CHILD.model_copy(update={"subscriber": None})
    inquiry = inquiry_for(own, CORE)
    assert inquiry.dependent is None
    assert (inquiry.subscriber.first_name, inquiry.subscriber.member_id) == ("Jim", "W000000009")


def test_the_clearinghouse_json_request_names_the_patient_as_its_one_dependent() -> None:
    settings = ClearinghouseJsonSettings.model_validate(
        {
            "url": "https://clearinghouse.example.test/eligibility/v3",
            "trading_partner_service_id": "60054",
            "provider_name": "EXAMPLE IOP CLINIC",
            "api_key_env": "IOP_TEST_CLEARINGHOUSE_KEY",
        }
    )
    body = request_body(CHILD, settings, ["MH"])
    assert body["subscriber"] == {
        "memberId": "W000000009",
        "firstName": "John",
        "lastName": "Doe",
        "dateOfBirth": "19750203",
        "gender": "M",
    }
    assert body["dependents"] == [
        {"firstName": "Jim", "lastName": "Doe", "dateOfBirth": "20100630", "gender": "M"}
    ]


def test_the_fhir_request_holds_subscriber_and_beneficiary_apart() -> None:
    settings = FhirSettings.model_validate(
        {
            "url": "https://fhir.example-payer.test/CoverageEligibilityRequest",
            "insurer_id": "60054",
            "insurer_name": "EXAMPLE PPO",
            "token_env": "IOP_TEST_FHIR_TOKEN",
        }
    )
    sent = json.loads(
        request_resource(CHILD, settings, now=datetime(2026, 3, 1)).model_dump_json(
            by_alias=True, exclude_none=True
        )
    )
    patient, subscriber, coverage = sent["contained"]
    assert (patient["id"], patient["name"], patient["birthDate"]) == (
        "patient",
        [{"family": "Doe", "given": ["Jim"]}],
        "2010-06-30",
    )
    assert (subscriber["id"], subscriber["name"], subscriber["gender"]) == (
        "subscriber",
        [{"family": "Doe", "given": ["John"]}],
        "male",
    )
    assert coverage["subscriber"] == {"reference": "#subscriber"}
    assert coverage["beneficiary"] == {"reference": "#patient"}
    assert coverage["relationship"]["coding"] == [
        {
            "system": "http://terminology.hl7.org/CodeSystem/subscriber-relationship",
            "code": "child",
        }
    ]


def test_a_subscriber_is_refused_for_a_patient_who_is_the_subscriber() -> None:
    with pytest.raises(ValidationError, match="subscriber: only for a patient who is not"):
        PolicyIn(payer_id="sandbox-commercial", member_id="SBX-PPO-1", subscriber=PARENT)
