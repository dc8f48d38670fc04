"""Schemathesis fuzz of every /api operation, in process, on the test database: each operation
is called by the roles that may call it, half the time on real records, and every answer must be
no server error and exactly what the OpenAPI document declares (status, content type, schema)."""

import itertools
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_client import leave_queued, make_app
from tests.figures import record
from tests.proof.access import callers
from tests.proof.conftest import World

Case = schemathesis.Case[Any]
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
# 15 operations x 60 examples, plus the edge cases schemathesis adds: over 1,000 cases.
EXAMPLES = 60

# The document /openapi.json serves, read in process (that route needs a signed-in caller).
_app = make_app(leave_queued)
_document = schemathesis.openapi.from_dict(json.loads(json.dumps(_app.openapi())))
_document.app = _app
schema = _document.include(path_regex="^/api/")
CASES: Counter[str] = Counter()
_turns: dict[str, Iterator[int]] = {}


def _real_records(case: Case, world: World, turn: int) -> None:
    """Every other case points its path at a record that exists, so the fuzz reaches past 404."""
    if turn % 2:
        return
    params = case.path_parameters or {}
    if "job_id" in params:
        jobs = (world.queued_job, world.settled_job, world.self_pay_job)
        params["job_id"] = str(jobs[(turn // 2) % len(jobs)])
    if "batch_id" in params:
        params["batch_id"] = str(world.batch)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_api_operation_answers_as_documented(case: Case, world: World) -> None:
    key = f"{case.operation.method.upper()} {case.path}"
    turn = next(_turns.setdefault(key, itertools.count()))
    # The documented method: the fuzz also sends methods a path does not allow (405).
    roles = callers(case.operation.method.upper(), case.path)
    _real_records(case, world, turn)
    # The caller's token replaces any Authorization header the fuzz made up.
    case.headers.update(world.headers(roles[turn % len(roles)]))
    # In process, an unhandled exception comes back raised instead of as its 500: it fails here.
    response = case.call()
    case.validate_response(response, checks=CHECKS)
    CASES[key] += 1


def test_the_fuzz_reaches_every_api_operation() -> None:
    documented = {
        f"{method.upper()} {path}"
        for path, ops in schema.raw_schema["paths"].items()
        for method in ops
        if path.startswith("/api/")
    }
    assert documented and set(CASES) == documented, documented - set(CASES)
    assert sum(CASES.values()) >= 1000
    record(
        "API fuzz (schemathesis)",
        f"{sum(CASES.values()):,} cases over {len(CASES)} /api operations, "
        "0 server errors, 0 schema violations",
    )
