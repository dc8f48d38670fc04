"""Inputs refused at submit, alike on every channel: the JSON API (422 naming the field, never 500),
the staff form (its page naming the field), CSV batches (row and column), the command line; plus
the list pages' filters that a hand-edited address can carry, and real names that must pass."""

import csv
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape

from coverage.domain.access import Role
from coverage.domain.flat_request import BY_NAME
from coverage.domain.text import INVISIBLE, SEPARATOR
from tests.api_client import api_client, leave_queued, make_app, staff
from tests.batch_files import HEADER, ROOT, TEMPLATE_ROW
from tests.factories import request_body
from tests.integration.web_session import signed_in_client

CANARY = "Canary"  # part of every bad value: a refusal never echoes it
FAR = (date.today() + timedelta(days=3 * 365)).isoformat()
TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@dataclass(frozen=True)
class Bad:
    column: str  # the staff form's field and the CSV column (coverage.domain.flat_request)
    value: str
    reason: str
    also: dict[str, str] | None = None  # other fields the case needs, by column


FUTURE = "must not be in the future"
ADDRESS = {
    "address_line1": "1 Main St",
    "address_city": "Richmond",
    "address_state": "VA",
    "address_postal_code": "23220",
}
BAD_INPUTS = {
    "NUL in first name": Bad("first_name", f"{CANARY}\x00", INVISIBLE),
    "ESC in last name": Bad("last_name", f"{CANARY}\x1b[31m", INVISIBLE),
    "BEL in first name": Bad("first_name", f"{CANARY}\x07", INVISIBLE),
    "DEL in last name": Bad("last_name", f"{CANARY}\x7f", INVISIBLE),
    "line break in last name": Bad("last_name", f"{CANARY}\nSmith", INVISIBLE),
    "right-to-left override": Bad("first_name", f"{CANARY}\u202egnp.exe", INVISIBLE),
    "left-to-right embedding": Bad("last_name", f"\u202a{CANARY}", INVISIBLE),
    "right-to-left isolate": Bad("first_name", f"\u2067{CANARY}\u2069", INVISIBLE),
    "first strong isolate": Bad("last_name", f"\u2068{CANARY}", INVISIBLE),
    "zero-width space": Bad("first_name", f"{CANARY}\u200b", INVISIBLE),
    "segment terminator ~": Bad("last_name", f"{CANARY}~NM1", SEPARATOR),
    "element separator *": Bad("first_name", f"{CANARY}*X", SEPARATOR),
    "component separator :": Bad("last_name", f"{CANARY}:X", SEPARATOR),
    "repetition separator ^": Bad("first_name", f"{CANARY}^X", SEPARATOR),
    "pipe": Bad("last_name", f"{CANARY}|X", SEPARATOR),
    "greater-than": Bad("first_name", f"{CANARY}>X", SEPARATOR),
    "NUL in street address": Bad("address_line1", f"1 {CANARY} St\x00", INVISIBLE, ADDRESS),
    "override in city": Bad("address_city", f"{CANARY}\u202e", INVISIBLE, ADDRESS),
    "ESC in group number": Bad("group_number", f"{CANARY}\x1b", INVISIBLE),
    "separator in subscriber's name": Bad(
        "subscriber_first_name",
        f"{CANARY}*",
        SEPARATOR,
        also={
            "relationship": "child",
            "subscriber_last_name": "Sample",
            "subscriber_birth_date": "1960-01-01",
        },
    ),
    "birth date tomorrow": Bad("birth_date", TOMORROW, FUTURE),
    "birth date before 1900": Bad("birth_date", "1899-12-31", "must not be before 1900"),
    "subscriber born tomorrow": Bad(
        "subscriber_birth_date",
        TOMORROW,
        FUTURE,
        also={
            "relationship": "child",
            "subscriber_first_name": "Pat",
            "subscriber_last_name": "Sample",
        },
    ),
    "birth date after the start": Bad(
        "birth_date", "2012-01-01", "after the plan's start date", also={"start_date": "2010-01-04"}
    ),
    "start in year 9999": Bad("start_date", "9999-12-01", "must be within 2 years from today"),
    "start 3 years ahead": Bad("start_date", FAR, "must be within 2 years from today"),
    "start before 1900": Bad("start_date", "1899-01-02", "must not be before 1900"),
    "GFE requested in year 9999": Bad(
        "gfe_requested_on", "9999-12-31", "must be within 2 years from today"
    ),
}
GOOD_NAMES = [
    ("José", "García-Márquez"),
    ("Siobhán", "O'Brien"),
    ("Thị Minh", "Nguyễn"),
    ("Mary Jo", "St. John"),
    ("Zoë", "D’Arcy"),
    ("Jürgen", "Müller-Lüdenscheidt"),
    ("Łukasz", "Wałęsa"),
    ("Фёдор", "Достоевский"),
    ("明", "李"),
    ("محمد", "نیک\u200cزاد"),  # Persian spells some names with a zero-width non-joiner
]


@pytest.fixture
def app(database: str) -> Iterator[FastAPI]:
    yield make_app(leave_queued)


@pytest.fixture
def client(database: str) -> Iterator[TestClient]:
    with api_client(enqueue=leave_queued) as test_client:
        yield test_client


def _json_body(case: Bad) -> dict[str, Any]:
    """The API's request with the case's fields set where the flat column puts them."""
    body = request_body()
    for name, value in {**(case.also or {}), case.column: case.value}.items():
        column = BY_NAME[name]
        target = body["policies"][0] if column.policy is not None else body
        for key in column.path[:-1]:
            target = target.setdefault(key, {})
        target[column.path[-1]] = value
    return body


def _field_named(detail: list[dict[str, Any]], case: Bad) -> list[str]:
    """The messages of the errors that name the case's field, by location or in the message."""
    field = BY_NAME[case.column].path[-1]
    return [
        error["msg"]
        for error in detail
        if error["loc"][-1] == field or f".{field}:" in error["msg"]
    ]


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=list(BAD_INPUTS))
def test_the_api_refuses_with_422_naming_the_field(client: TestClient, case: Bad) -> None:
    clerk = staff(Role.ADMISSIONS)
    response = client.post("/api/verifications", headers=clerk.headers, json=_json_body(case))
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    named = [re.sub(r"^Value error, ([a-z_.]+: )?", "", m) for m in _field_named(detail, case)]
    assert named == [case.reason]
    assert CANARY not in response.text
    assert client.get("/api/verifications", headers=clerk.headers).json()["count"] == 0


@pytest.mark.parametrize(
    "weekdays",
    [[{}], [[1]], 5, {"mon": 1}, [None]],
    ids=["list of an object", "list of a list", "a number", "an object", "list of null"],
)
def test_weekdays_of_the_wrong_shape_are_a_422_naming_weekdays(
    client: TestClient, weekdays: Any
) -> None:
    body = request_body()
    body["plan"]["weekdays"] = weekdays
    del body["plan"]["days_per_week"]
    response = client.post("/api/verifications", headers=staff(Role.ADMISSIONS).headers, json=body)
    assert response.status_code == 422, response.text
    assert ["body", "plan", "weekdays"] in [e["loc"][:3] for e in response.json()["detail"]]


# A staff form that is queued as sent; each case changes one field.
FORM = {
    "first_name": "Jordan",
    "last_name": "Sample",
    "birth_date": "04/12/1988",
    "sex": "F",
    "state": "VA",
    "payer_id": "sandbox-commercial",
    "member_id": "SBX-PPO-100234",
    "diagnoses": "F33.1",
    "program": "mental_health",
    "start_date": "12/07/2026",
    "days_per_week": "3",
    "hours_per_day": "3",
    "weeks": "8",
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=list(BAD_INPUTS))
def test_the_staff_form_shows_the_field_and_reason_in_words(app: FastAPI, case: Bad) -> None:
    clerk = signed_in_client(app, Role.ADMISSIONS)
    form = FORM | {**(case.also or {}), case.column: case.value}
    response = clerk.post_form("/verifications/new", form)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "1 field needs a correction. Nothing was queued." in response.text
    assert f"{escape(f'{BY_NAME[case.column].label}: {case.reason}')}</a></li>" in response.text


def test_a_csv_upload_names_row_and_column_of_each_bad_cell(client: TestClient) -> None:
    """One row per case (the template's example row with the case's cells), then 10 good rows."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HEADER)
    writer.writeheader()
    for case in BAD_INPUTS.values():
        changes = {**(case.also or {}), case.column: case.value}
        writer.writerow(dict(zip(HEADER, TEMPLATE_ROW, strict=True)) | changes)
    for number in range(10):
        writer.writerow(
            dict(zip(HEADER, TEMPLATE_ROW, strict=True)) | {"member_id": f"SBX-PPO-{number}"}
        )
    response = client.post(
        "/api/batches",
        headers=staff(Role.ADMISSIONS).headers,
        files={"file": ("b.csv", out.getvalue().encode())},
    )
    assert response.status_code == 202, response.text
    body = response.json()
    rejected = {r["row"]: r["errors"] for r in body["report"] if r["outcome"] == "rejected"}
    assert rejected == {
        number: [{"column": case.column, "reason": case.reason}]
        for number, case in enumerate(BAD_INPUTS.values(), start=2)
    }
    assert body["queued"] == 10
    assert CANARY not in response.text


def test_the_command_line_names_the_field(tmp_path: Path) -> None:
    bad = json.loads((ROOT / "examples" / "commercial-ppo.json").read_text())
    bad["enrollee"]["last_name"] = f"{CANARY}~"
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "verify", str(tmp_path / "bad.json")],
        env={k: v for k, v in os.environ.items() if not k.startswith("IOP_COVERAGE_")}
        | {"IOP_COVERAGE_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        f"{tmp_path / 'bad.json'}: enrollee.last_name: Value error, {SEPARATOR}"
    )


@pytest.mark.parametrize(("first", "last"), GOOD_NAMES)
def test_real_names_are_accepted_as_typed(client: TestClient, first: str, last: str) -> None:
    clerk = staff(Role.ADMISSIONS)
    body = request_body(first_name=first, last_name=last)
    response = client.post("/api/verifications", headers=clerk.headers, json=body)
    assert response.status_code == 202, response.text
    job = client.get(response.headers["Location"], headers=clerk.headers).json()
    enrollee = job["request"]["enrollee"]
    assert (enrollee["first_name"], enrollee["last_name"]) == (first, last)


def test_an_offset_beyond_what_a_database_holds_is_a_422(client: TestClient) -> None:
    reader = staff(Role.BILLING)
    response = client.get("/api/verifications?offset=9223372036854775808", headers=reader.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]
    assert (
        client.get("/api/verifications?offset=10000000", headers=reader.headers).json()["data"]
        == []
    )


HTML = {"accept": "text/html"}


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.ADMISSIONS, "/verifications?submitted_to=9999-12-31"),
        (Role.ADMISSIONS, "/verifications?submitted_from=0001-01-01&submitted_to=9999-12-31"),
        (Role.ADMISSIONS, "/verifications?submitted_from=9999-12-31"),
        (Role.ADMISSIONS, "/verifications?submitted_from=&submitted_to="),
        (Role.AUDITOR, "/audit?to=9999-12-31"),
        (Role.AUDITOR, "/audit?from=0001-01-01&to=9999-12-31"),
        (Role.AUDITOR, "/audit?from=&to="),
        (Role.AUDITOR, "/audit?user=&action=&from=&to="),
    ],
)
def test_list_pages_take_any_day_a_date_input_sends_and_blank_means_no_bound(
    app: FastAPI, role: Role, path: str
) -> None:
    reader = signed_in_client(app, role)
    response = reader.client.get(path, headers=HTML)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")


def test_a_hand_edited_filter_gets_a_page_in_words_not_json(app: FastAPI) -> None:
    auditor = signed_in_client(app, Role.AUDITOR)
    response = auditor.client.get("/audit?to=31/12/2026", headers=HTML)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>This was not accepted</h1>" in response.text
    assert "<p>“To” is not a date (use the date picker, or YYYY-MM-DD).</p>" in response.text


@pytest.mark.parametrize(
    ("role", "path", "line"),
    [
        (Role.AUDITOR, "/audit?user=a%00b", f"“User” {INVISIBLE}."),
        (Role.AUDITOR, "/audit?action=%1b", f"“Action” {INVISIBLE}."),
        (Role.ADMISSIONS, "/verifications?payer=a%00", "“Payer” is not in the expected form."),
    ],
    ids=["audit user", "audit action", "verifications payer"],
)
def test_a_search_with_control_characters_gets_a_page_naming_the_field(
    app: FastAPI, role: Role, path: str, line: str
) -> None:
    # PostgreSQL cannot compare text with a NUL: the search answered 500 there.
    reader = signed_in_client(app, role)
    response = reader.client.get(path, headers=HTML)
    assert response.status_code == 422
    assert f"<p>{line}</p>" in response.text


def test_the_api_refuses_control_characters_in_searches_and_idempotency_keys(
    client: TestClient,
) -> None:
    auditor = staff(Role.AUDITOR)
    response = client.get("/api/audit?user=a%00b", headers=auditor.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "user"]
    clerk = staff(Role.ADMISSIONS)
    response = client.post(
        "/api/verifications",
        headers={**clerk.headers, "Idempotency-Key": "key\x00one"},
        json=request_body(),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "idempotency-key"]
    assert client.get("/api/verifications", headers=clerk.headers).json()["count"] == 0


def test_a_user_name_with_a_nul_is_simply_not_right(app: FastAPI) -> None:
    # PostgreSQL cannot look up text holding a NUL: signing in answered 500 there.
    client = TestClient(app)
    form = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    response = client.post(
        "/sign-in",
        data={"csrf_token": token.group(1), "name": "admin\x00", "password": "x" * 16},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert "The user name or password is not right." in response.text


def test_a_form_id_the_page_did_not_make_is_ignored_and_the_job_queued(app: FastAPI) -> None:
    # The form's id becomes the idempotency key; with a NUL PostgreSQL answered 500.
    clerk = signed_in_client(app, Role.ADMISSIONS)
    form = FORM | {"form_id": "a\x00b"}
    response = clerk.post_form("/verifications/new", form)
    assert response.status_code == 303
    assert re.fullmatch(r"/verifications/[0-9a-f-]{36}", response.headers["location"])
