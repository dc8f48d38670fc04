"""Criteria as CEL expressions, compiled once per rule-book load by Google's C++ CEL runtime.

The variables a criterion may read are declared here with their types, so a typo or a type
mismatch is a load-time error with file:line:column, not a surprise at run time. An evaluation
that yields a CEL error value (a field the intake lacks, a division by zero) is `unknown`:
never silently true or false.
"""

import re
from dataclasses import dataclass
from typing import Any

import cel_expr_python.cel as cel

from coverage.domain.findings import Outcome

_T = cel.Type
# The facts a criterion sees. Absent facts (None in the intake) are left unbound, so reading one
# yields an error value and the criterion comes out `unknown`.
VARIABLES: dict[str, Any] = {
    "age": _T.INT,  # whole years on the first service day
    "state": _T.STRING,  # enrollee's state, e.g. "VA"
    "program": _T.STRING,  # mental_health | substance_use | co_occurring
    "diagnoses": _T.List(_T.STRING),  # ICD-10-CM codes
    "has_sud_diagnosis": _T.BOOL,
    "recommended_level": _T.STRING,  # clinician's recorded level: outpatient|iop|php|...
    "ratings": _T.Map(_T.STRING, _T.INT),  # clinician's dimension ratings 0-4, only those recorded
    "needs_withdrawal_management": _T.BOOL,
    "imminent_danger": _T.BOOL,
    "stable_housing": _T.BOOL,
    "level_of_care": _T.STRING,  # the planned level
    "modality": _T.STRING,  # in_person | telehealth
    "hours_per_week": _T.DOUBLE,
    "hours_per_day": _T.DOUBLE,
    "days_per_week": _T.INT,
    "weeks": _T.INT,
    "service_days": _T.INT,
    "payer_type": _T.STRING,  # commercial | medicare | medicare_advantage | medicaid | other
    "network": _T.STRING,  # in_network | out_of_network
    "coverage_active": _T.BOOL,
    "medicare_qmb": _T.BOOL,
}
_ENV = cel.NewEnv(variables=VARIABLES)
_LOCATION = re.compile(r"<input>:(\d+):(\d+): (.*?)(?:\n|$)")
_IDENT = re.compile(r"\b[a-z_][a-z0-9_]*\b")


class ExpressionError(ValueError):
    """A criterion that does not compile; `line` and `column` are 1-based within the expression."""

    def __init__(self, line: int, column: int, message: str) -> None:
        self.line, self.column, self.message = line, column, message
        super().__init__(f"column {column}: {message}")


_MISSING_FACT = re.compile(r'No value with name "([a-z_]+)" found')
_MISSING_KEY = re.compile(r'Key not found in map : "([a-z_]+)"')
# What staff read when a fact a criterion needs was not recorded (never the CEL text).
FACT_WORDS = {
    "age": "the enrollee's age",
    "state": "the enrollee's state",
    "program": "the program",
    "diagnoses": "the diagnoses",
    "has_sud_diagnosis": "whether there is a substance-use diagnosis",
    "recommended_level": "the clinician's recommended level of care",
    "ratings": "the clinician's dimension ratings",
    "needs_withdrawal_management": "whether withdrawal management is needed",
    "imminent_danger": "whether the enrollee is in imminent danger",
    "stable_housing": "whether the enrollee's housing is stable",
    "level_of_care": "the planned level of care",
    "modality": "whether care is in person or by telehealth",
    "hours_per_week": "the planned hours a week",
    "hours_per_day": "the planned hours a day",
    "days_per_week": "the planned days a week",
    "weeks": "the planned number of weeks",
    "service_days": "the planned service days",
    "payer_type": "the payer type",
    "network": "the network status",
    "coverage_active": "whether coverage is active",
    "medicare_qmb": "whether the enrollee is a Qualified Medicare Beneficiary",
}


@dataclass(frozen=True)
class Evaluation:
    """One criterion's outcome. `unknown` comes with `why`, in words for staff, and `error`,
    CEL's own text for operators. `missing`: the fact (or rating) the intake lacks; `aborted`:
    the runtime gave up (its iteration budget), which says the rule, not the intake, is wrong."""

    outcome: Outcome
    why: str | None = None
    error: str | None = None
    missing: str | None = None
    aborted: bool = False


def _unknown(error: str) -> Evaluation:
    fact = _MISSING_FACT.search(error)
    if fact is not None:
        words = FACT_WORDS.get(fact[1], fact[1].replace("_", " "))
        return Evaluation("unknown", f"the intake does not record {words}", error, fact[1])
    key = _MISSING_KEY.search(error)
    if key is not None:
        rating = key[1].replace("_", " ")
        return Evaluation("unknown", f"the intake has no {rating} rating", error, key[1])
    return Evaluation("unknown", "the rule could not be evaluated with the recorded facts", error)


@dataclass(frozen=True)
class Compiled:
    source: str
    inputs: tuple[str, ...]  # declared variables the expression mentions, for explanations
    _expr: Any

    def evaluate(self, activation: Any) -> Evaluation:
        """met / not_met, or unknown with the reason; never raises for what the rule does."""
        try:
            value = self._expr.eval(activation)
        except RuntimeError as exc:  # the runtime's budget, or another internal limit
            budget = "budget" in str(exc).lower()
            why = "it took too long" if budget else "the rule engine stopped"
            return Evaluation(
                "unknown", f"the rule could not be evaluated: {why}", str(exc), aborted=True
            )
        if value.type() == _T.BOOL:
            return Evaluation("met" if value.value() else "not_met")
        if value.type() == _T.ERROR:
            return _unknown(str(value.value()))
        return _unknown(f"expression gave {value.type().name()}, not bool")


def compile_criterion(source: str) -> Compiled:
    """Type-checked against VARIABLES; must yield a bool."""
    try:
        expr = _ENV.compile(source)
    except RuntimeError as exc:
        found = _LOCATION.search(str(exc))
        if found is None:
            raise ExpressionError(1, 1, str(exc).splitlines()[0]) from None
        raise ExpressionError(int(found[1]), int(found[2]), found[3].strip()) from None
    if expr.return_type() != _T.BOOL:
        raise ExpressionError(1, 1, f"must yield a bool, yields {expr.return_type().name()}")
    inputs = tuple(dict.fromkeys(n for n in _IDENT.findall(source) if n in VARIABLES))
    return Compiled(source=source, inputs=inputs, _expr=expr)


def fact_type_problem(name: str, value: object) -> str | None:
    """Why an example's fact does not fit its declared type (None: it fits, or is missing)."""
    kind = VARIABLES[name]
    if value is None:
        return None
    if kind == _T.BOOL:
        return None if isinstance(value, bool) else "write true or false"
    if kind == _T.INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "write a whole number"
    if kind == _T.DOUBLE:
        if isinstance(value, bool) or not isinstance(value, int | str):
            return "write a number"
        try:
            float(value)
        except ValueError:
            return "write a number"
        return None
    if kind == _T.STRING:
        return None if isinstance(value, str) else "write text"
    if name == "diagnoses":
        ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        return None if ok else "write a list of codes"
    ok = isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool)
        for k, v in value.items()
    )
    return None if ok else "write a mapping of rating names to whole numbers"


def activation(facts: dict[str, Any]) -> Any:
    """One binding of the facts, shared by every criterion of a verification; None stays unbound."""
    return _ENV.Activation({k: v for k, v in facts.items() if v is not None})
