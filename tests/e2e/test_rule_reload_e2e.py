"""Hot reload with a running worker: a new payer file is used by the next job, a broken edit
leaves the last good version in force, and each result records the version's hash."""

import hashlib
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from coverage.domain.access import Role
from tests.api_client import staff
from tests.e2e.conftest import wait_settled
from tests.factories import request_body
from tests.integration.test_rule_book_in_pipeline import NEW_FEE_SCHEDULE, NEW_PAYER

# The copy of the rules is in force before the API and the worker (the `client` fixture) start.
pytestmark = pytest.mark.usefixtures("rules")


def _verify(
    client: TestClient, headers: dict[str, dict[str, str]], payer_id: str
) -> dict[str, Any]:
    body = request_body("ppo")
    body["policies"][0]["payer_id"] = payer_id
    created = client.post("/api/verifications", headers=headers["admissions"], json=body)
    assert created.status_code == 202, created.text
    wait_settled(created.json()["id"])
    detail: dict[str, Any] = client.get(created.json()["url"], headers=headers["billing"]).json()
    return detail


def test_a_running_worker_picks_up_a_new_payer_and_keeps_it_through_a_broken_edit(
    client: TestClient, rules: Path
) -> None:
    headers = {
        r.value: staff(r, f"reload-{r.value}").headers
        for r in (Role.ADMISSIONS, Role.BILLING, Role.OPERATOR)
    }
    assert _verify(client, headers, "sandbox-commercial")["status"] == "needs_review"

    unknown = _verify(client, headers, "lakeside-epo")
    assert (unknown["status"], unknown["message"]) == (
        "needs_info",
        "Payer 'lakeside-epo' is not in the payer directory; pick a listed payer or ask an "
        "operator to add it.",
    )

    payer = rules / "payers" / "lakeside-epo.yaml"
    payer.write_text(NEW_PAYER)
    (rules / "fee_schedules" / "lakeside-2026.yaml").write_text(NEW_FEE_SCHEDULE)
    first = _verify(client, headers, "lakeside-epo")
    assert first["status"] == "needs_review"
    # 7 Dec 2026 - 27 Jan 2027 at $300: $960.00 in 2026, $1,920.00 after the 1 January reset.
    assert first["result"]["estimate"]["patient_total"] == "2880.00"
    recorded = {f["path"]: f for f in first["rule_files"]}
    v1 = hashlib.sha256(payer.read_bytes()).hexdigest()
    assert recorded["payers/lakeside-epo.yaml"]["sha256"] == v1

    payer.write_text(
        NEW_PAYER.replace('version: "2026.1"', 'version: "2026.2"').replace(
            "name: Lakeside EPO", "name: Lakeside EPO Select"
        )
    )
    v2 = hashlib.sha256(payer.read_bytes()).hexdigest()
    second = _verify(client, headers, "lakeside-epo")
    recorded = {f["path"]: f for f in second["rule_files"]}
    assert (
        recorded["payers/lakeside-epo.yaml"]["version"],
        recorded["payers/lakeside-epo.yaml"]["sha256"],
    ) == ("2026.2", v2)
    assert second["result"]["coverage"][0]["payer_name"] == "Lakeside EPO Select"

    payer.write_text(
        payer.read_text().replace("network_status: in_network", "network_status: maybe")
    )
    third = _verify(client, headers, "lakeside-epo")
    recorded = {f["path"]: f for f in third["rule_files"]}
    assert third["status"] == "needs_review"
    assert recorded["payers/lakeside-epo.yaml"]["sha256"] == v2  # the last good version
    assert third["result"]["coverage"][0]["payer_name"] == "Lakeside EPO Select"
    status = client.get("/api/rules/status", headers=headers["operator"]).json()
    assert [e["text"] for e in status["refused"]["errors"]] == [
        "payer_rules/payers/lakeside-epo.yaml:8:1: network_status: Input should be 'in_network' "
        "or 'out_of_network'"
    ]
    assert (
        third["rule_book_version"] == second["rule_book_version"] == status["in_force"]["version"]
    )
