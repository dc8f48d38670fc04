"""Results stored before the typed result (format 1) read into VerificationResult unchanged.

The fixtures under tests/fixtures/results/ were stored by the previous code (commit 17f5989):
the examples' verifications run through its pipeline on SQLite, each body read back from the
store with the job's message."""

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from coverage.domain.result import FORMAT, VerificationResult

STORED = sorted((Path(__file__).parents[1] / "fixtures" / "results").glob("*.json"))


def stored(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize("path", STORED, ids=[p.stem for p in STORED])
def test_a_result_stored_by_the_previous_code_reads_and_says_the_same(path: Path) -> None:
    old = stored(path)
    result = VerificationResult.read(old["body"])
    assert result.review_message == old["message"]
    # The findings were stored beside the assessment; now they are derived from it, the same.
    assert [f.model_dump(mode="json") for f in result.findings] == old["body"]["findings"]
    # Nothing else is lost or changed: stored again, the body is the old one in format 2, which
    # names two parts of the assessment in the glossary's words and always says whether it is a
    # re-verification (null: it is not) and which benefit priced each policy (null: not recorded).
    again = {k: v for k, v in old["body"].items() if k != "findings"}
    again.setdefault("coverage_changes", None)
    # What the payer said beyond the IOP terms was not kept then: it reads as not stated; nor
    # were the IOP terms with their origins, nor which benefit priced.
    again["coverage"] = [
        {
            **NOT_KEPT_BEFORE,
            **c,
            "cost_sharing": [],
            "next_year_cost_sharing": [],
            "priced_by": None,
        }
        for c in again["coverage"]
    ]
    assessment = dict(again["assessment"])
    assessment["coverage_criteria"] = assessment.pop("checks")
    assessment["pricing_rules"] = assessment.pop("cost_sharing")
    assert result.stored() == {**again, "assessment": assessment, "format": FORMAT}


NOT_KEPT_BEFORE: dict[str, Any] = {
    "group_number": None,
    "plan_number": None,
    "related_entities": [],
    "disclaimers": [],
}


def test_a_result_stored_before_related_entities_reads_with_none() -> None:
    coverage = VerificationResult.read(example("commercial-ppo")).coverage[0]
    assert (coverage.group_number, coverage.related_entities, coverage.disclaimers) == (
        None,
        (),
        (),
    )


def test_the_examples_cover_each_kind_of_result() -> None:
    kinds = {p.stem for p in STORED}
    assert kinds == {
        "commercial-ppo",
        "commercial-ppo-reverification",
        "medicaid-sud",
        "medicare",
        "self-pay",
    }


def example(name: str) -> dict[str, Any]:
    body: dict[str, Any] = stored(next(p for p in STORED if p.stem == name))["body"]
    return body


def test_a_result_stored_before_priced_by_reads_with_no_benefit_named() -> None:
    result = VerificationResult.read(example("commercial-ppo"))
    assert [c.priced_by for c in result.coverage] == [None]


def test_attributes_are_typed() -> None:
    result = VerificationResult.read(example("commercial-ppo"))
    assert isinstance(result.estimate.patient_total, Decimal)
    assert result.coverage[0].payer_id == "sandbox-commercial"
    assert result.coverage_changes is None


def test_a_reverification_keeps_what_changed() -> None:
    result = VerificationResult.read(example("commercial-ppo-reverification"))
    assert result.coverage_changes == []
    assert result.review_message == "Monthly re-verification: no change. Ready for billing review"


def test_an_unknown_field_is_refused_not_dropped() -> None:
    body = {**example("self-pay"), "format": FORMAT, "surprise": 1}
    with pytest.raises(ValueError, match="surprise"):
        VerificationResult.read(body)
