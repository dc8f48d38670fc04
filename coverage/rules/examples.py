"""Run the example cases rule files carry (`iop-coverage rules test`)."""

from dataclasses import dataclass

from coverage.rules.book import RuleBook
from coverage.rules.evaluate import coerce, evaluate


@dataclass(frozen=True)
class CaseResult:
    file: str
    name: str
    failures: tuple[str, ...]  # empty: the case passed

    @property
    def passed(self) -> bool:
        return not self.failures


def run_examples(book: RuleBook) -> list[CaseResult]:
    results: list[CaseResult] = []
    for rules in book.rules:
        for example in rules.model.examples:
            checks = {c.check: c for c in evaluate(rules, coerce(example.facts))}
            failures = []
            for check, expected in example.expect.items():
                got = checks.get(check)
                if got is None:
                    failures.append(f"{check}: no such check (have: {', '.join(checks)})")
                elif got.outcome != expected:
                    failures.append(
                        f"{check}: expected {expected}, got {got.outcome} ({got.reason})"
                    )
            results.append(CaseResult(rules.display, example.name, tuple(failures)))
    return results
