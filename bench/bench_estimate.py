"""Time price_episode (the money part of one verification) on the largest plan a request allows.

    .venv/bin/python -m bench.bench_estimate

52 weeks x 7 days = 364 service days, two policies (commercial primary, Medicaid secondary),
crossing 1 January; the rule book is loaded once, as the worker does.
"""

import statistics
import time
from datetime import date
from pathlib import Path

from coverage.adapters.base import settings_models
from coverage.domain.request import VerificationRequest
from coverage.pricing.episode import price_episode
from coverage.rules.assessment import assess
from coverage.rules.loader import load_book
from tests.factories import request_body
from tests.unit.estimate_builders import FACILITY, sandbox

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    book = load_book(ROOT / "payer_rules", adapters=settings_models())
    body = request_body("ppo", start_date="2026-03-02", days_per_week=7, weeks=52)
    body["household"] = {"size": 3, "annual_income": "30000.00"}
    body["policies"].append(
        {"payer_id": "sandbox-medicaid", "member_id": "SBX-MCD-1", "priority": "secondary"}
    )
    req = VerificationRequest.model_validate(body)
    answers = sandbox(book, req)
    assessment = assess(req, answers, book)  # timed separately by bench/rules.py
    runs = []
    for _ in range(20):
        started = time.perf_counter()
        price_episode(
            req, answers, book, assessment=assessment, facility=FACILITY, issued_on=date(2026, 3, 1)
        )
        runs.append(time.perf_counter() - started)
    print(
        f"364-day episode, 2 policies: median {statistics.median(runs) * 1000:.1f} ms, "
        f"max {max(runs) * 1000:.1f} ms over {len(runs)} runs"
    )


if __name__ == "__main__":
    main()
