"""Rule-book speed: load and validate payer_rules/ (target < 1 s) and evaluate every criterion
for one verification (target < 1 ms). Run: .venv/bin/python bench/rules.py [RULES_DIR]"""

import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from coverage.adapters.base import settings_models
from coverage.domain.eligibility import CostSharing, EligibilityResponse, InsuranceType
from coverage.rules.assessment import assess
from coverage.rules.evaluate import evaluate, facts_for
from coverage.rules.expressions import activation
from coverage.rules.loader import load_book

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.factories
from tests.factories import request  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median and worst wall time in seconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), max(samples)


def main() -> None:
    rules_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "payer_rules"
    book = load_book(rules_dir, adapters=settings_models())
    criteria = sum(len(r.compiled) for r in book.rules)
    print(
        f"rule book: {len(book.files)} files, {len(book.rules)} policy/criteria files, "
        f"{criteria} CEL criteria, {len(book.payers)} payers"
    )

    median, worst = timed(lambda: load_book(rules_dir, adapters=settings_models()), 20)
    print(
        f"load + validate + compile: median {median * 1000:.1f} ms, worst {worst * 1000:.1f} ms"
        " (target < 1000 ms)"
    )

    req = request(
        "medicaid", program="co_occurring", diagnoses=["F11.20", "F33.1"], start_date="2026-03-02"
    )
    req = req.model_copy(
        update={
            "intake": req.intake.model_copy(
                update={
                    "ratings": req.intake.ratings.model_copy(
                        update={"withdrawal": 1, "biomedical": 1, "emotional_behavioral": 2}
                    )
                }
            )
        }
    )
    facts = facts_for(req)
    checks = sum(len(evaluate(r, facts)) for r in book.rules)

    def every_check() -> None:
        bound = activation(facts)  # one binding per verification, as coverage.rules.assessment does
        for rules in book.rules:
            evaluate(rules, facts, bound)

    median, worst = timed(every_check, 2000)
    print(
        f"every check of every file ({checks} checks, {criteria} of them CEL) for one "
        f"verification: median {median * 1e6:.0f} us, worst {worst * 1e6:.0f} us (target < 1000 us)"
    )

    compiled = [c for r in book.rules for c in r.compiled.values()]

    def cel_only() -> None:
        bound = activation(facts)
        for expression in compiled:
            expression.evaluate(bound)

    median, _ = timed(cel_only, 2000)
    print(
        f"CEL alone: {len(compiled)} criteria plus one binding: median {median * 1e6:.0f} us "
        f"({median * 1e6 / len(compiled):.1f} us per criterion)"
    )

    payer = book.payers["sandbox-medicaid"]
    response = EligibilityResponse(
        active=True,
        insurance_type=InsuranceType.MEDICAID,
        raw_payload="{}",
        cost_sharing=(CostSharing(),),
        plan_begin=date(2026, 1, 1),
    )
    median, worst = timed(lambda: assess(req, [(payer, response)], book), 2000)
    print(
        f"full assessment (findings, requirements, files, drafts) for one verification: "
        f"median {median * 1e6:.0f} us, worst {worst * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main()
