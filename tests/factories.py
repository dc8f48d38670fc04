"""Builders for test requests and users."""

import re
import uuid
from typing import Any

from coverage.domain.access import Role
from coverage.domain.request import VerificationRequest

PERSONA_MEMBER = {
    "ppo": ("sandbox-commercial", "SBX-PPO-100234"),
    "medicare": ("sandbox-medicare", "SBX-MCR-1EG4TE5MK72"),
    "medicaid": ("sandbox-medicaid", "SBX-MCD-554210"),
    "inactive": ("sandbox-commercial", "SBX-INACTIVE-8841"),
    "unknown": ("sandbox-commercial", "ZZ-404-0000"),
    "down": ("sandbox-commercial", "SBX-DOWN-3000"),
}


def request_body(
    persona: str = "ppo",
    *,
    first_name: str = "Jordan",
    last_name: str = "Sample",
    member_suffix: str = "",
    start_date: str = "2026-12-07",
    days_per_week: int = 3,
    hours_per_day: float = 3,
    weeks: int = 8,
    household: dict[str, Any] | None = None,
    program: str = "mental_health",
    diagnoses: list[str] | None = None,
    address: dict[str, str] | None = None,
    consents: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A request body; a substance-use (42 CFR Part 2) one carries the patient's consent to its
    payer unless `consents` says otherwise (e.g. [] for none)."""
    payer_id, member_id = PERSONA_MEMBER[persona]
    enrollee: dict[str, Any] = {
        "first_name": first_name,
        "last_name": last_name,
        "birth_date": "1988-04-12",
        "sex": "F",
        "state": "VA",
    }
    if address:
        enrollee["address"] = address
    body: dict[str, Any] = {
        "enrollee": enrollee,
        "policies": [
            {"payer_id": payer_id, "member_id": member_id + member_suffix, "priority": "primary"}
        ],
        "intake": {
            "diagnoses": diagnoses or ["F33.1"],
            "program": program,
            "recommended_level_of_care": "iop",
        },
        "plan": {
            "days_per_week": days_per_week,
            "hours_per_day": hours_per_day,
            "weeks": weeks,
            "start_date": start_date,
        },
    }
    if household:
        body["household"] = household
    part2 = program != "mental_health" or any(d.startswith("F1") for d in diagnoses or [])
    if consents is None and part2:
        consents = [part2_consent(payer_id)]
    if consents:
        body["consents"] = consents
    return body


def part2_consent(recipient: str, **changes: Any) -> dict[str, Any]:
    """A patient's 42 CFR Part 2 consent to disclose to `recipient` for payment, still valid."""
    return {
        "recipient": recipient,
        "recipient_kind": "payer",
        "purposes": ["payment", "health_care_operations"],
        "signed_on": "2026-01-05",
        "expires_on_event": "end of treatment",
        **changes,
    }


def request(persona: str = "ppo", **kwargs: Any) -> VerificationRequest:
    return VerificationRequest.model_validate(request_body(persona, **kwargs))


def unique_name(role: Role) -> str:
    return f"{role.value}-{uuid.uuid4().hex[:8]}"


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def phi_in(text: str, values: list[str]) -> list[str]:
    """The PHI values a URL or log carries, IDs left out: a random job ID can hold "1979"."""
    bare = _UUID.sub("<id>", text).lower()
    return [value for value in values if value.lower() in bare]


def errors_printed(stderr: str) -> list[str]:
    """The `error: ` lines of `rules check` or `rules test` (the line naming the version in
    force, printed when a database is set up, left out)."""
    return [line for line in stderr.splitlines() if line.startswith("error: ")]
