"""The operators' rule-book and payer pages and the auditors' audit-log search, as rendered for
a signed-in browser session; none of them shows PHI."""

import hashlib
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select as sql_select

from coverage.core import rule_book
from coverage.core.reads import job_detail
from coverage.domain.access import Actor, Role
from coverage.domain.eligibility import Network
from coverage.settings import get_settings
from coverage.store.db import session_scope
from coverage.store.tables import AuditEvent
from tests.api_client import leave_queued, make_app, staff
from tests.conftest import REDIS_URL
from tests.factories import request
from tests.integration.conftest import queue_in_process
from tests.integration.html_table import body_rows, text
from tests.integration.web_session import signed_in_client


@pytest.fixture(scope="module")
def app(database: str) -> FastAPI:
    return make_app(leave_queued)


def _rule_files(rules_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(rules_dir).as_posix() for p in rules_dir.rglob("*.y*ml") if p.is_file()
    )


def test_the_rules_page_lists_every_file_with_version_status_and_hash(
    app: FastAPI, rules: Path
) -> None:
    operator = signed_in_client(app, Role.OPERATOR)
    shown = operator.client.get("/rules")
    assert shown.status_code == 200
    facts = dict(body_rows(shown.text, "facts"))
    assert facts["Rules directory"] == str(rules)
    assert facts["Files"] == str(len(_rule_files(rules)))
    assert facts["Draft files"] == "None"
    version = rule_book.current_rulebook().version
    assert facts["Version in force"] == f"{version[:12]} full hash {version}"
    assert facts["This server loaded it"].endswith(", from the rules directory")
    rows = _files_table(shown.text)
    assert [row[0] for row in rows] == _rule_files(rules)
    payer = rows[[r[0] for r in rows].index("payers/sandbox-commercial.yaml")]
    sha = hashlib.sha256((rules / "payers" / "sandbox-commercial.yaml").read_bytes()).hexdigest()
    assert payer == [
        "payers/sandbox-commercial.yaml",
        "payer",
        "2026.1",
        "01/01/2024",
        "Verified",
        f"{sha[:12]} full hash {sha}",
    ]
    assert f'title="{sha}"' in shown.text
    assert ["payer", "12"] in body_rows(shown.text, "narrow-table")


def _files_table(html: str) -> list[list[str]]:
    """The table of files: the one whose caption names the rule files."""
    start = html.index('<caption class="visually-hidden">Rule files in force')
    return body_rows(html[html.rindex("<table", 0, start) :], None)


def test_a_broken_file_is_shown_with_file_and_line_and_the_last_good_files_stay(
    app: FastAPI, rules: Path
) -> None:
    operator = signed_in_client(app, Role.OPERATOR)
    before = _files_table(operator.client.get("/rules").text)
    (rules / "payers" / "broken.yaml").write_text(
        "kind: payer\nid: broken\nname: [unclosed\ntype: commercial\n"
    )
    medicare_file = rules / "payers" / "sandbox-medicare.yaml"
    medicare_file.write_text(medicare_file.read_text() + "# edited while broken.yaml is bad\n")
    shown = operator.client.get("/rules")
    assert shown.status_code == 200
    page = text(shown.text)
    assert (
        "The last change to the rule book was refused (1 problem). The rule book in force stays "
        "in use until every problem is fixed; verifications go on meanwhile. "
        "payer_rules/payers/broken.yaml:4:5: expected ',' or ']', but got ':' (while parsing a "
        "flow sequence, which started at line 3, column 7) Files that differ from the rule book "
        "in force: payer_rules/payers/broken.yaml , payer_rules/payers/sandbox-medicare.yaml ."
    ) in page
    assert 'role="alert"' in shown.text
    assert _files_table(shown.text) == before  # the last good book, hashes and all
    (rules / "payers" / "broken.yaml").unlink()
    fixed = operator.client.get("/rules")
    assert "was refused" not in fixed.text
    medicare = [r for r in _files_table(fixed.text) if r[0] == "payers/sandbox-medicare.yaml"]
    assert medicare[0][5].startswith(hashlib.sha256(medicare_file.read_bytes()).hexdigest()[:12])


def test_a_draft_file_is_flagged(app: FastAPI, rules: Path) -> None:
    payer = rules / "payers" / "harbor-hmo.yaml"
    payer.write_text(payer.read_text().replace("status: verified", "status: draft"))
    operator = signed_in_client(app, Role.OPERATOR)
    shown = operator.client.get("/rules")
    assert dict(body_rows(shown.text, "facts"))["Draft files"].startswith("1 draft")
    [row] = [r for r in _files_table(shown.text) if r[0] == "payers/harbor-hmo.yaml"]
    assert row[4] == "Draft"


CANARY_PAYER = """\
kind: payer
id: canary-core
name: Canary CORE Payer
type: commercial
state: NJ
adapter: core_x12
settings:
  url: https://core.canary-payer.test/realtime
  payer_x12_id: "99999"
  payer_name: CANARY PLAN
  provider_name: EXAMPLE IOP CLINIC
  sender_id: EXAMPLEIOP
  receiver_id: CANARYPAYER
  username_env: CANARY_CORE_USER
  password_env: CANARY_CORE_PASSWORD
network_status: out_of_network
contract: none
balance_billing: true
aliases: [CANARY HEALTH, CNR01]
limits:
  max_concurrent: 2
  cache_seconds: 0
version: "2026.3"
source: "test payer for the operators' page"
effective: "2025-07-01"
status: draft
"""


@pytest.fixture
def canary_payer(rules: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    (rules / "payers" / "canary-core.yaml").write_text(CANARY_PAYER)
    secrets = {
        "CANARY_CORE_USER": f"CNRYUSER{uuid.uuid4().hex[:8]}",
        "CANARY_CORE_PASSWORD": f"CNRYPASS{uuid.uuid4().hex[:8]}",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    yield secrets
    client = redis.Redis.from_url(REDIS_URL)
    client.delete("iop:payer:canary-core:slots", "iop:payer:canary-core:breaker")


def _payer_section(html: str, payer_id: str) -> list[list[str]]:
    start = html.index(f'id="payer-{payer_id}"')
    return body_rows(html[start:], "facts")


def test_the_payers_page_lists_each_payer_file_and_no_secret_value(
    app: FastAPI, canary_payer: dict[str, str], rules: Path
) -> None:
    operator = signed_in_client(app, Role.OPERATOR)
    shown = operator.client.get("/payers")
    assert shown.status_code == 200
    listed = re.findall(r'<tr data-payer="([^"]+)">', shown.text)
    assert listed == sorted(p.stem for p in (rules / "payers").glob("*.yaml"))
    [canary] = [row for row in body_rows(shown.text) if "canary-core" in row[0]]
    assert canary == [
        "Canary CORE Payer canary-core Draft",
        "commercial",
        "NJ",
        "core_x12",
        "out of network",
        "Closed calls go through",
        "0 of 2",
    ]
    facts = {row[0]: row[1] for row in _payer_section(shown.text, "canary-core")}
    assert (
        facts["File"]
        == "payer_rules/payers/canary-core.yaml, version 2026.3, effective 07/01/2025, Draft"
    )
    assert facts["Balance billing"] == "Allowed out of network"
    assert facts["Aliases"] == "CANARY HEALTH, CNR01"
    assert facts["Limits"] == (
        "Calls at once (max): 2 (payer file) "
        "Failures before the circuit opens: 5 (service-wide setting) "
        "Circuit stays open: 60 s (service-wide setting) "
        "Answers reused for: 0 s (payer file)"
    )
    assert facts["Adapter core_x12"] == (
        "password_env: CANARY_CORE_PASSWORD (environment variable, set on this server) "
        "payer_name: CANARY PLAN payer_x12_id: 99999 provider_name: EXAMPLE IOP CLINIC "
        "receiver_id: CANARYPAYER sender_id: EXAMPLEIOP "
        "url: https://core.canary-payer.test/realtime "
        "username_env: CANARY_CORE_USER (environment variable, set on this server)"
    )
    for secret in canary_payer.values():
        assert secret not in shown.text
    summit = {row[0]: row[1] for row in _payer_section(shown.text, "summit-choice")}
    assert summit["Carve-out administrators"] == (
        "Meridian Behavioral Health (administrator): mental health, substance use, co occurring "
        "Prior authorization and claims for IOP go to Meridian; eligibility stays with Summit."
    )


def test_payer_health_shows_an_open_circuit_and_calls_in_flight(
    app: FastAPI, canary_payer: dict[str, str]
) -> None:
    client = redis.Redis.from_url(REDIS_URL)
    seconds, _ = client.time()
    client.hset(
        "iop:payer:canary-core:breaker", mapping={"failures": 5, "open_until": seconds + 90}
    )
    client.zadd("iop:payer:canary-core:slots", {"call-a": seconds + 60, "stale": seconds - 1})
    operator = signed_in_client(app, Role.OPERATOR)
    [canary] = [r for r in body_rows(operator.client.get("/payers").text) if "canary-core" in r[0]]
    assert canary[5].startswith("Open payer calls wait; the next try in 8")  # 89.x s
    assert canary[6] == "1 of 2"  # the expired lease is not a call in flight
    client.hset("iop:payer:canary-core:breaker", "open_until", seconds - 1)
    [canary] = [r for r in body_rows(operator.client.get("/payers").text) if "canary-core" in r[0]]
    assert canary[5] == "Half-open the next call is a single probe"


def test_payer_health_is_unknown_when_redis_does_not_answer(
    app: FastAPI, canary_payer: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "broker_url", "redis://127.0.0.1:1/0")
    operator = signed_in_client(app, Role.OPERATOR)
    shown = operator.client.get("/payers")
    assert shown.status_code == 200
    rows = body_rows(shown.text)
    assert len(rows) == 13
    assert {(r[5], r[6]) for r in rows} == {("Unknown Redis did not answer", "—")}


AUDITED = "audit-page-probe"


def _entry(actor: str, action: str, at: datetime, entity: str = "job") -> AuditEvent:
    return AuditEvent(
        at=at,
        actor=actor,
        actor_role="billing",
        action=action,
        entity_type=entity,
        entity_id=str(uuid.uuid4()),
        client="10.0.0.7",
    )


@pytest.fixture(scope="module")
def audit_user(database: str) -> str:
    """Six entries of one user over three days; the last is 11:30 PM in New York on 3 March,
    already 4 March in UTC."""
    actor = f"{AUDITED}-{uuid.uuid4().hex[:6]}"
    with session_scope() as session:
        for at, action in [
            (datetime(2026, 3, 1, 15, 0, tzinfo=UTC), "job.read"),
            (datetime(2026, 3, 1, 15, 5, tzinfo=UTC), "job.read"),
            (datetime(2026, 3, 1, 16, 0, tzinfo=UTC), "job.read"),
            (datetime(2026, 3, 2, 14, 0, tzinfo=UTC), "job.list"),
            (datetime(2026, 3, 2, 14, 30, tzinfo=UTC), "job.list"),
            (datetime(2026, 3, 4, 4, 30, tzinfo=UTC), "job.read"),
        ]:
            session.add(_entry(actor, action, at))
    return actor


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, 6),
        ({"action": "job.read"}, 4),
        ({"action": "job.list"}, 2),
        ({"from": "2026-03-02"}, 3),
        ({"to": "2026-03-01"}, 3),
        ({"from": "2026-03-03", "to": "2026-03-03"}, 1),  # the display zone's day, not UTC's
        ({"from": "2026-03-04"}, 0),
        ({"action": "job.read", "from": "2026-03-01", "to": "2026-03-02"}, 3),
    ],
)
def test_the_audit_page_searches_by_user_action_and_day(
    app: FastAPI, audit_user: str, query: dict[str, str], expected: int
) -> None:
    auditor = signed_in_client(app, Role.AUDITOR)
    shown = auditor.client.get("/audit", params={"user": audit_user, **query})
    assert shown.status_code == 200
    rows = body_rows(shown.text, "audit") if expected else []
    assert len(rows) == expected
    assert all(r[1] == audit_user and r[2] == "billing" and r[8] == "10.0.0.7" for r in rows)
    if "action" in query:
        assert {r[3] for r in rows} <= {query["action"]}
    if not expected:
        assert "No entries match this search." in text(shown.text)


def test_the_audit_page_shows_times_in_the_display_zone_newest_first(
    app: FastAPI, audit_user: str
) -> None:
    auditor = signed_in_client(app, Role.AUDITOR)
    rows = body_rows(auditor.client.get("/audit", params={"user": audit_user}).text, "audit")
    assert [r[0] for r in rows] == [
        "03/03/2026 11:30 PM EST",
        "03/02/2026 09:30 AM EST",
        "03/02/2026 09:00 AM EST",
        "03/01/2026 11:00 AM EST",
        "03/01/2026 10:05 AM EST",
        "03/01/2026 10:00 AM EST",
    ]


def test_the_audit_page_pages_by_fifty(app: FastAPI) -> None:
    actor = f"audit-pager-{uuid.uuid4().hex[:6]}"
    with session_scope() as session:
        for minute in range(55):
            session.add(_entry(actor, "job.read", datetime(2026, 4, 1, 12, minute, tzinfo=UTC)))
    auditor = signed_in_client(app, Role.AUDITOR)
    first = auditor.client.get("/audit", params={"user": actor})
    assert len(body_rows(first.text, "audit")) == 50
    assert f'href="/audit?page=2&amp;user={actor}"' in first.text
    assert "Previous page" not in first.text
    second = auditor.client.get("/audit", params={"user": actor, "page": "2"})
    rows = body_rows(second.text, "audit")
    assert [r[0] for r in rows] == [f"04/01/2026 08:0{m} AM EDT" for m in range(4, -1, -1)]
    assert "Entries 51 to 55" in text(second.text)
    assert "Next page" not in second.text and "Previous page" in second.text


def test_the_audit_api_takes_the_same_filters(app: FastAPI, audit_user: str) -> None:
    client = TestClient(app)
    headers = staff(Role.AUDITOR).headers
    found = client.get(
        "/api/audit",
        headers=headers,
        params={
            "user": audit_user,
            "since": "2026-03-01T15:05:00Z",
            "until": "2026-03-02T14:30:00Z",
        },
    ).json()
    assert [e["at"] for e in found] == [
        "2026-03-02T14:00:00Z",
        "2026-03-01T16:00:00Z",
        "2026-03-01T15:05:00Z",
    ]
    paged = client.get(
        "/api/audit", headers=headers, params={"user": audit_user, "limit": 2, "offset": 4}
    ).json()
    assert [e["at"] for e in paged] == ["2026-03-01T15:05:00Z", "2026-03-01T15:00:00Z"]
    naive = client.get(
        "/api/audit", headers=headers, params={"user": audit_user, "since": "2026-03-04T04:30:00"}
    ).json()
    assert len(naive) == 1  # no zone: UTC


def test_no_phi_on_the_operator_and_auditor_pages(
    app: FastAPI, canary_payer: dict[str, str]
) -> None:
    tag = f"CNRY{uuid.uuid4().hex[:10].upper()}"
    clerk = Actor(name=f"phi-clerk-{uuid.uuid4().hex[:6]}", role=Role.ADMISSIONS)
    job_id = queue_in_process(
        request(
            "ppo",
            first_name=f"{tag}F",
            last_name=f"{tag}L",
            member_suffix=tag,
            household={"size": 3, "annual_income": "48123.47"},
            address={
                "line1": f"{tag} Main St",
                "city": f"{tag}City",
                "state": "VA",
                "postal_code": "22030",
            },
            diagnoses=["F42.2"],
        ),
        clerk,
    )
    with session_scope() as session:
        job_detail(session, job_id=job_id, actor=clerk)  # a read of PHI: audited
    canaries = [tag, "48123.47", "F42.2", "1988-04-12", "04/12/1988"]
    operator = signed_in_client(app, Role.OPERATOR)
    auditor = signed_in_client(app, Role.AUDITOR)
    pages = [
        operator.client.get("/rules"),
        operator.client.get("/payers"),
        auditor.client.get("/audit"),
        auditor.client.get("/audit", params={"user": clerk.name}),
        auditor.client.get("/audit", params={"user": clerk.name, "action": "job.read"}),
        auditor.client.get("/audit", params={"action": "job.create", "from": "2020-01-01"}),
    ]
    assert all(p.status_code == 200 for p in pages)
    rows = body_rows(pages[3].text, "audit")
    assert {r[3] for r in rows} >= {"job.create", "job.read"}  # the job is there, by ID only
    assert str(job_id) in pages[3].text
    for shown in pages:
        for canary in canaries:
            assert canary not in shown.text, (shown.url, canary)


def test_each_page_is_for_its_role_only(app: FastAPI) -> None:
    for role, allowed in [
        (Role.OPERATOR, {"/rules", "/payers"}),
        (Role.AUDITOR, {"/audit"}),
        (Role.ADMIN, {"/users"}),
        (Role.BILLING, set()),
    ]:
        signed = signed_in_client(app, role)
        for path in ("/rules", "/payers", "/audit", "/users"):
            got = signed.client.get(path)
            assert got.status_code == (200 if path in allowed else 403), (role, path)


def test_signed_out_the_pages_send_to_sign_in(app: FastAPI) -> None:
    client = TestClient(app)
    for path in ("/rules", "/payers", "/audit", "/users"):
        got = client.get(path, follow_redirects=False)
        assert (got.status_code, got.headers["location"]) == (303, f"/sign-in?next={path}")


def test_the_action_choices_are_every_action_in_the_log_once(app: FastAPI, audit_user: str) -> None:
    auditor = signed_in_client(app, Role.AUDITOR)
    shown = auditor.client.get("/audit")
    select = shown.text[shown.text.index('<select id="a-action"') :]
    options = re.findall(r'<option value="([^"]*)"', select[: select.index("</select>")])
    with session_scope() as session:
        every = sorted(set(session.exec(sql_select(AuditEvent.action)).all()))
    assert options == ["", *every]
    assert {"job.read", "job.list", "signin"} <= set(every)


def test_a_staged_edit_shows_what_it_would_change_before_it_takes_effect(
    app: FastAPI, rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    staged = tmp_path / "staging" / "payer_rules"
    shutil.copytree(rules, staged)
    monkeypatch.setattr(get_settings(), "rules_staging_dir", staged)
    fees = staged / "fee_schedules" / "commercial-examples-2026.yaml"
    fees.write_text(fees.read_text().replace('per_day: "375.00"', 'per_day: "390.00"'))
    operator = signed_in_client(app, Role.OPERATOR)
    shown = text(operator.client.get("/rules").text)
    assert (
        f"Staged edit, not in force The files in {staged} , against the version in force." in shown
    )
    assert (
        "allowed amount keystone-ppo in network from 2024-01-01 changed per_day: 375.00 -> 390.00"
    ) in shown
    assert rule_book.current_rulebook().payer_rate(
        "keystone-ppo", Network.IN, date(2026, 3, 2)
    ).rate.per_day == Decimal("375.00")  # nothing took effect
    fees.write_text(fees.read_text().replace('per_day: "390.00"', "per_day: lots"))
    report = operator.client.get("/api/rules/status")  # the page's session is no API token
    assert report.status_code == 401
    shown = text(operator.client.get("/rules").text)
    assert (
        "It would be refused (1 problem): payer_rules/fee_schedules/commercial-examples-2026"
        in shown
    )
    fees.write_text(
        fees.read_text()
        .replace("per_day: lots", 'per_day: "375.00"')
        .replace("effective: 2024-01-01", "effective: 2026-02-30")
    )
    page = operator.client.get("/rules")  # an impossible date is a located error, never a 500
    assert page.status_code == 200
    assert (
        "payer_rules/fee_schedules/commercial-examples-2026.yaml:7:1: effective: Input should be "
        "a valid date or datetime, day value is outside expected range"
    ) in text(page.text)
