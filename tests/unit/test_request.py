from typing import Any

import pytest
from pydantic import ValidationError

from coverage.domain.request import VerificationRequest
from coverage.domain.text import X12_SEPARATORS
from coverage.x12.delimiters import Delimiters
from tests.factories import request, request_body


def _errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as info:
        VerificationRequest.model_validate(body)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in info.value.errors()]


def test_a_valid_request_derives_hours_and_service_days() -> None:
    req = request("ppo", days_per_week=3, hours_per_day=3.5, weeks=8)
    assert req.plan.hours_per_week == 10.5
    assert req.plan.service_days == 24
    assert req.part2 is False


def test_a_diagnosis_of_the_wrong_shape_is_refused_without_echoing_it() -> None:
    body = request_body()
    body["intake"]["diagnoses"] = ["F33.1", "331.F"]
    [(where, msg)] = _errors(body)
    assert where == "intake.diagnoses"
    assert msg == "Value error, diagnosis 2 is not an ICD-10-CM code (e.g. F33.1)"
    assert "331.F" not in msg


def test_unknown_keys_are_refused_so_typos_never_drop_data() -> None:
    body = request_body()
    body["enrollee"]["frist_name"] = "x"
    assert ("enrollee.frist_name", "Extra inputs are not permitted") in _errors(body)


def test_strings_are_length_bounded() -> None:
    body = request_body(first_name="x" * 81)
    assert ("enrollee.first_name", "String should have at most 80 characters") in _errors(body)


def test_unknown_state_is_refused() -> None:
    body = request_body()
    body["enrollee"]["state"] = "ZZ"
    assert _errors(body) == [
        ("enrollee.state", "Value error, unknown US state code 'ZZ' (50 states and DC)")
    ]


def test_two_primary_policies_are_refused() -> None:
    body = request_body()
    body["policies"] = body["policies"] * 2
    assert _errors(body) == [
        ("", "Value error, policies: at most one primary and one secondary policy")
    ]


@pytest.mark.parametrize(
    ("program", "diagnoses", "part2"),
    [
        ("mental_health", ["F33.1"], False),
        ("substance_use", ["F11.20"], True),
        ("co_occurring", ["F33.1"], True),
        ("mental_health", ["F10.20"], True),
    ],
)
def test_part2_is_set_for_substance_use_programs_or_diagnoses(
    program: str, diagnoses: list[str], part2: bool
) -> None:
    assert request("ppo", program=program, diagnoses=diagnoses).part2 is part2


def test_names_refuse_every_separator_the_270_writer_uses() -> None:
    used = Delimiters()
    assert {used.element, used.component, used.segment, used.repetition} <= set(X12_SEPARATORS)
