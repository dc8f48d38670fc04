"""The example cases rule files carry: run by `iop-coverage rules test`, and at every load (a
book whose own examples fail is refused)."""

from dataclasses import dataclass

from coverage.rules.book import LoadedRules, RuleBook
from coverage.rules.evaluate import coerce, evaluate


@dataclass(frozen=True)
class CaseResult:
    file: str
    index: int  # position in the file's `examples`, to find its line
    name: str
    failures: tuple[str, ...]  # empty: the case passed

    @property
    def passed(self) -> bool:
        return not self.failures


def run_file(rules: LoadedRules) -> list[CaseResult]:
    results: list[CaseResult] = []
    for index, example in enumerate(rules.model.examples):
        checks = {c.check: c for c in evaluate(rules, coerce(example.facts))}
        failures = []
        for check, expected in example.expect.items():
            got = checks.get(check)
            if got is None:
                failures.append(f"{check}: no such check (have: {', '.join(checks)})")
            elif got.outcome != expected:
                failures.append(f"{check}: expected {expected}, got {got.outcome} ({got.reason})")
        results.append(CaseResult(rules.display, index, example.name, tuple(failures)))
    return results


def run_examples(book: RuleBook) -> list[CaseResult]:
    return [case for rules in book.rules for case in run_file(rules)]
