"""One verification request as flat named text fields: the CSV batch columns and the web form's
fields are the same, so both report an error by the column a user typed into.

Errors name the column and the reason, never the value (it may be PHI)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, Literal, cast

from pydantic import ValidationError

from coverage.domain.consent import ConsentPurpose, ConsentSigner, Part2Consent, RecipientKind
from coverage.domain.request import (
    AuthStatus,
    BehavioralBenefit,
    LevelOfCare,
    Modality,
    Program,
    Relationship,
    Sex,
    VerificationRequest,
    Weekday,
)

Kind = Literal["text", "date", "bool", "int", "number", "money", "list", "choice"]
ROW = "(row)"  # an error no single column explains


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    section: str
    path: tuple[str, ...]  # where the value goes in the request (in its policy, for a policy's)
    kind: Kind = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""
    example: str = ""
    policy: str | None = None  # "" (primary) or "secondary_": the policy this column fills


def _choices(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


def _policy_columns(prefix: str, section: str, primary: bool) -> tuple[Column, ...]:
    def column(
        name: str,
        label: str,
        path: tuple[str, ...],
        kind: Kind = "text",
        in_section: str = section,
        **more: Any,
    ) -> Column:
        # Each label unique on the form: "Member ID" and "Secondary member ID".
        shown = label if primary else f"Secondary {label[0].lower()}{label[1:]}"
        return Column(prefix + name, shown, in_section, path, kind, policy=prefix, **more)

    # Only for a patient covered under the subscriber's member ID, with none of their own.
    holder = f"{section}: subscriber"
    holder_hint = "only when the member ID is the subscriber's and the patient has none"

    return (
        column(
            "payer_id",
            "Payer",
            ("payer_id",),
            required=primary,
            hint="The payer's id in the rule book (payer_rules/payers/)",
            example="sandbox-commercial" if primary else "",
        ),
        column(
            "member_id",
            "Member ID",
            ("member_id",),
            required=primary,
            hint="letters, digits and hyphens, as on the insurance card",
            example="SBX-PPO-100234" if primary else "",
        ),
        column(
            "group_number", "Group number", ("group_number",), example="GRP-7781" if primary else ""
        ),
        column(
            "relationship",
            "Patient's relationship to the subscriber",
            ("relationship",),
            "choice",
            choices=_choices(Relationship),
            hint="Blank: self",
            example="self" if primary else "",
        ),
        column(
            "authorization_status",
            "Prior authorization",
            ("authorization", "status"),
            "choice",
            choices=_choices(AuthStatus),
            hint="Blank: not requested",
        ),
        column(
            "approved_days",
            "Days approved",
            ("authorization", "approved_days"),
            "int",
            hint="Only when authorization is approved",
        ),
        column(
            "subscriber_first_name",
            "Subscriber's first name",
            ("subscriber", "first_name"),
            in_section=holder,
            hint=holder_hint,
        ),
        column(
            "subscriber_last_name",
            "Subscriber's last name",
            ("subscriber", "last_name"),
            in_section=holder,
        ),
        column(
            "subscriber_birth_date",
            "Subscriber's birth date",
            ("subscriber", "birth_date"),
            "date",
            in_section=holder,
            hint="MM/DD/YYYY or YYYY-MM-DD",
        ),
        column(
            "subscriber_sex",
            "Subscriber's sex",
            ("subscriber", "sex"),
            "choice",
            in_section=holder,
            choices=_choices(Sex),
            hint="F, M or U; blank: U",
        ),
    )


COLUMNS: tuple[Column, ...] = (
    Column(
        "first_name",
        "First name",
        "Enrollee",
        ("enrollee", "first_name"),
        required=True,
        example="Jordan",
    ),
    Column(
        "last_name",
        "Last name",
        "Enrollee",
        ("enrollee", "last_name"),
        required=True,
        example="Sample",
    ),
    Column(
        "birth_date",
        "Birth date",
        "Enrollee",
        ("enrollee", "birth_date"),
        "date",
        required=True,
        hint="MM/DD/YYYY or YYYY-MM-DD",
        example="04/12/1988",
    ),
    Column(
        "sex",
        "Sex",
        "Enrollee",
        ("enrollee", "sex"),
        "choice",
        required=True,
        choices=_choices(Sex),
        hint="F, M or U",
        example="F",
    ),
    Column(
        "state",
        "State of residence",
        "Enrollee",
        ("enrollee", "state"),
        required=True,
        hint="Two-letter code",
        example="VA",
    ),
    Column("address_line1", "Street address", "Address", ("enrollee", "address", "line1")),
    Column("address_line2", "Address line 2", "Address", ("enrollee", "address", "line2")),
    Column("address_city", "City", "Address", ("enrollee", "address", "city")),
    Column("address_state", "Address state", "Address", ("enrollee", "address", "state")),
    Column(
        "address_postal_code",
        "ZIP code",
        "Address",
        ("enrollee", "address", "postal_code"),
        hint="12345 or 12345-6789",
    ),
    *_policy_columns("", "Primary policy", True),
    *_policy_columns("secondary_", "Secondary policy", False),
    Column(
        "diagnoses",
        "Diagnoses (ICD-10-CM)",
        "Intake",
        ("intake", "diagnoses"),
        "list",
        required=True,
        hint="One or more codes separated by ; (e.g. F33.1; F41.1)",
        example="F33.1; F41.1",
    ),
    Column(
        "program",
        "Program",
        "Intake",
        ("intake", "program"),
        "choice",
        required=True,
        choices=_choices(Program),
        example="mental_health",
    ),
    Column(
        "primary_condition",
        "Primary condition (co-occurring programs)",
        "Intake",
        ("intake", "primary_condition"),
        "choice",
        choices=_choices(BehavioralBenefit),
        hint="The condition the claim is billed under; blank: priced with the costlier benefit",
    ),
    Column(
        "recommended_level_of_care",
        "Level of care the clinician recommends",
        "Intake",
        ("intake", "recommended_level_of_care"),
        "choice",
        choices=_choices(LevelOfCare),
        example="iop",
    ),
    Column(
        "needs_withdrawal_management",
        "Needs withdrawal management",
        "Intake",
        ("intake", "needs_withdrawal_management"),
        "bool",
        hint="Blank: no",
    ),
    Column(
        "imminent_danger",
        "Imminent danger to self or others",
        "Intake",
        ("intake", "imminent_danger"),
        "bool",
        hint="Blank: no",
    ),
    Column(
        "stable_housing",
        "Stable housing",
        "Intake",
        ("intake", "stable_housing"),
        "bool",
        hint="Blank: yes",
    ),
    *(
        Column(
            f"rating_{name}",
            f"Rating: {name.replace('_', ' ')}",
            "Level-of-care ratings",
            ("intake", "ratings", name),
            "int",
            hint="0 to 4, blank if not rated",
        )
        for name in (
            "withdrawal",
            "biomedical",
            "emotional_behavioral",
            "readiness_to_change",
            "relapse_potential",
            "recovery_environment",
        )
    ),
    Column(
        "level_of_care",
        "Planned level of care",
        "Planned schedule",
        ("plan", "level_of_care"),
        "choice",
        choices=_choices(LevelOfCare),
        hint="Blank: iop",
    ),
    Column(
        "start_date",
        "First day",
        "Planned schedule",
        ("plan", "start_date"),
        "date",
        required=True,
        hint="MM/DD/YYYY or YYYY-MM-DD",
        example="12/07/2026",
    ),
    Column(
        "days_per_week",
        "Days a week",
        "Planned schedule",
        ("plan", "days_per_week"),
        "int",
        hint="1 to 7; blank when weekdays are given",
        example="3",
    ),
    Column(
        "weekdays",
        "Weekdays",
        "Planned schedule",
        ("plan", "weekdays"),
        "list",
        hint="e.g. mon; wed; fri (blank: the first days of each week)",
    ),
    Column(
        "hours_per_day",
        "Hours a day",
        "Planned schedule",
        ("plan", "hours_per_day"),
        "number",
        required=True,
        example="3",
    ),
    Column(
        "weeks", "Weeks", "Planned schedule", ("plan", "weeks"), "int", required=True, example="8"
    ),
    Column(
        "modality",
        "Modality",
        "Planned schedule",
        ("plan", "modality"),
        "choice",
        choices=_choices(Modality),
        hint="Blank: in_person",
    ),
    Column(
        "scheduled_on",
        "Date the start was scheduled",
        "Planned schedule",
        ("plan", "scheduled_on"),
        "date",
        hint="Sets the Good Faith Estimate's deadline",
    ),
    Column(
        "household_size",
        "Household size",
        "Household",
        ("household", "size"),
        "int",
        hint="For the sliding scale",
        example="3",
    ),
    Column(
        "annual_income",
        "Household income a year",
        "Household",
        ("household", "annual_income"),
        "money",
        hint="e.g. 61000.00",
        example="61000.00",
    ),
    Column(
        "self_pay",
        "Self-pay (no claims to insurance)",
        "Household",
        ("self_pay",),
        "bool",
        hint="Blank: no",
    ),
    Column(
        "gfe_requested_on",
        "Good Faith Estimate requested on",
        "Household",
        ("gfe_requested_on",),
        "date",
    ),
    # One 42 CFR Part 2 consent per row or form (the API takes several): docs/part2.md.
    *(
        Column(
            f"consent_{name}", label, "Part 2 consent", ("consents", name), cast(Kind, kind), **more
        )
        for name, label, kind, more in (
            (
                "recipient",
                "Consent: to whom",
                "text",
                {
                    "hint": "Substance-use programs: the payer, carve-out administrator or VOB "
                    "service the patient consented to, as the payer list names it"
                },
            ),
            (
                "recipient_kind",
                "Consent: recipient kind",
                "choice",
                {"choices": _choices(RecipientKind), "hint": "Blank: payer"},
            ),
            (
                "purposes",
                "Consent: purposes",
                "list",
                {"hint": "; ".join(_choices(ConsentPurpose))},
            ),
            (
                "signed_by",
                "Consent: signed by",
                "choice",
                {"choices": _choices(ConsentSigner), "hint": "Blank: patient"},
            ),
            ("representative_name", "Consent: representative's name", "text", {}),
            ("signed_on", "Consent: signed on", "date", {}),
            ("expires_on", "Consent: expires on", "date", {"hint": "A date, or an event below"}),
            ("expires_on_event", "Consent: expires on the event", "text", {}),
        )
    ),
)
BY_NAME = {column.name: column for column in COLUMNS}
SECTIONS = tuple(dict.fromkeys(column.section for column in COLUMNS))
_WEEKDAYS = _choices(Weekday)
_PURPOSES = _choices(ConsentPurpose)
_TRUE = {"yes", "y", "true", "1", "x"}
_FALSE = {"no", "n", "false", "0"}
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


@dataclass(frozen=True)
class FieldError:
    column: str
    reason: str


class FlatRequestError(Exception):
    """Every problem of one row or form, each naming its column."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.column}: {e.reason}" for e in errors))
        self.errors = errors


def _date(text: str) -> str:
    us = _US_DATE.match(text)
    if us:
        month, day, year = (int(part) for part in us.groups())
        return date(year, month, day).isoformat()
    return date.fromisoformat(text).isoformat()


def _convert(column: Column, text: str) -> Any:
    match column.kind:
        case "date":
            try:
                return _date(text)
            except ValueError:
                raise ValueError("not a date; use MM/DD/YYYY or YYYY-MM-DD") from None
        case "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError("use yes or no")
        case "int":
            if not re.fullmatch(r"[0-9]+", text):
                raise ValueError("not a whole number")
            return int(text)
        case "number":
            try:
                return float(Decimal(text))
            except InvalidOperation:
                raise ValueError("not a number") from None
        case "money":
            try:
                return str(Decimal(text.replace("$", "").replace(",", "")))
            except InvalidOperation:
                raise ValueError("not an amount; write it like 61000.00") from None
        case "list":
            items = [item for item in re.split(r"[;,\s]+", text) if item]
            if column.name == "weekdays":
                items = [item.lower()[:3] for item in items]
                if any(item not in _WEEKDAYS for item in items):
                    raise ValueError("weekdays are mon, tue, wed, thu, fri, sat, sun")
            if column.name == "consent_purposes":
                items = [item.lower() for item in items]
                if any(item not in _PURPOSES for item in items):
                    raise ValueError(f"purposes are {', '.join(_PURPOSES)}")
            return items
        case "choice":
            value = text.upper() if column.name.endswith("sex") else text.lower()
            if value not in column.choices:
                raise ValueError(f"must be one of: {', '.join(column.choices)}")
            return value
    return text.upper() if column.name in ("state", "address_state") else text


def _put(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value


def to_request(fields: Mapping[str, str | None]) -> VerificationRequest:
    """Builds and validates the request; raises FlatRequestError naming each bad column."""
    errors: list[FieldError] = []
    body: dict[str, Any] = {}
    policies: dict[str, dict[str, Any]] = {}  # policy prefix -> its fields
    for column in COLUMNS:
        text = (fields.get(column.name) or "").strip()
        if not text:
            if column.required and column.policy is None:
                errors.append(FieldError(column.name, "required"))
            continue
        try:
            value = _convert(column, text)
        except ValueError as exc:
            errors.append(FieldError(column.name, str(exc)))
            continue
        if column.policy is not None:
            _put(policies.setdefault(column.policy, {}), column.path, value)
        else:
            _put(body, column.path, value)
    if "consents" in body:  # one consent per row or form; the API takes a list
        body["consents"] = [body["consents"]]
    order: list[str] = [prefix for prefix in ("", "secondary_") if prefix in policies]
    for prefix in order:
        policies[prefix]["priority"] = "primary" if prefix == "" else "secondary"
    if not order and not body.get("self_pay"):
        errors.append(FieldError("payer_id", "required, unless self-pay is yes"))
    body["policies"] = [policies[prefix] for prefix in order]
    try:
        request = VerificationRequest.model_validate(body)
    except ValidationError as exc:
        # One reason per column: a value that did not convert is not also reported missing, nor
        # is a whole section whose required columns were already reported.
        named = {error.column for error in errors} | ({ROW} if errors else set())
        errors += [e for e in _located(exc, order) if e.column not in named]
        raise FlatRequestError(errors) from None
    if errors:
        raise FlatRequestError(errors)
    return request


# (policy prefix or None, path in the request or in the policy) -> column
_BY_PATH = {(column.policy, column.path): column.name for column in COLUMNS}
_FRIENDLY = {"missing": "required", "string_too_short": "required"}


def _column_for(loc: tuple[int | str, ...], message: str, order: list[str]) -> tuple[str, str]:
    """The column a pydantic error location points at, and the reason without pydantic's prefix."""
    reason = message.removeprefix("Value error, ")
    policy: str | None = None
    parts = list(loc)
    if parts[:1] == ["policies"] and len(parts) > 1 and isinstance(parts[1], int):
        policy = order[parts[1]] if parts[1] < len(order) else ""
        parts = parts[2:]
    path = [str(part) for part in parts if not isinstance(part, int)]
    # A model-level check names its field first: "days_per_week: 4 does not match ...", or its
    # path from the request when it compares two parts: "enrollee.birth_date: after ...".
    named = re.match(r"^([a-z_.]+): (.*)$", reason)
    if named:
        reason = named.group(2)
        if named.group(1) == "policies":
            return "payer_id", reason
        path.extend(named.group(1).split("."))
    while path:
        # The column itself, or the first column of a group ("subscriber": its first name).
        found = _BY_PATH.get((policy, tuple(path))) or next(
            (
                name
                for (group, where), name in _BY_PATH.items()
                if group == policy and where[: len(path)] == tuple(path)
            ),
            None,
        )
        if found:
            return found, reason
        path.pop()
    return ROW, reason


def _located(exc: ValidationError, order: list[str]) -> list[FieldError]:
    found: list[FieldError] = []
    for error in exc.errors(include_input=False, include_url=False):
        column, reason = _column_for(tuple(error["loc"]), error["msg"], order)
        column_spec = BY_NAME.get(column)
        if error["type"] in _FRIENDLY:
            reason = _FRIENDLY[error["type"]]
        elif error["type"] == "string_pattern_mismatch" and column_spec and column_spec.hint:
            reason = f"not in the expected form: {column_spec.hint}"
        found.append(FieldError(column, reason))
    return found


CONSENT_COLUMNS = tuple(c for c in COLUMNS if c.section == "Part 2 consent")


def to_consent(fields: Mapping[str, str | None]) -> Part2Consent:
    """One Part 2 consent from the consent_ fields (a consent recorded after submission)."""
    errors: list[FieldError] = []
    body: dict[str, Any] = {}
    for column in CONSENT_COLUMNS:
        text = (fields.get(column.name) or "").strip()
        if not text:
            continue
        try:
            body[column.path[-1]] = _convert(column, text)
        except ValueError as exc:
            errors.append(FieldError(column.name, str(exc)))
    if errors:
        raise FlatRequestError(errors)
    try:
        return Part2Consent.model_validate(body)
    except ValidationError as exc:
        raise FlatRequestError(
            [_consent_error(e) for e in exc.errors(include_input=False)]
        ) from None


def _consent_error(error: Any) -> FieldError:
    reason = str(error["msg"]).removeprefix("Value error, ")
    named = re.match(r"^([a-z_]+): (.*)$", reason)
    if named:  # a check across fields names its field first
        return FieldError(f"consent_{named.group(1)}", named.group(2))
    field = str(error["loc"][0]) if error["loc"] else "recipient"
    return FieldError(f"consent_{field}", _FRIENDLY.get(error["type"], reason))


def header_errors(header: list[str]) -> list[str]:
    """Problems with a CSV header: unknown or repeated column names (a typo would drop data)."""
    problems = []
    seen: set[str] = set()
    for name in header:
        clean = name.strip()
        if clean in seen:
            problems.append(f"column {clean!r} appears twice")
        elif clean not in BY_NAME:
            problems.append(f"unknown column {clean!r}")
        seen.add(clean)
    missing = [c.name for c in COLUMNS if c.required and c.policy is None and c.name not in seen]
    problems += [f"required column {name!r} is missing" for name in missing]
    return problems


def template_csv_rows() -> tuple[list[str], list[str]]:
    """The header and one example row, for the downloadable template."""
    return [c.name for c in COLUMNS], [c.example for c in COLUMNS]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _get(source: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(source, dict):
            return None
        source = source.get(key)
    return source


def to_fields(request: VerificationRequest) -> dict[str, str]:
    """The flat fields of a stored request, as the form shows them (the reverse of to_request,
    Part 2 consents left out: they are recorded on the verification's page)."""
    body = request.model_dump(mode="json")
    policies = dict(zip(("", "secondary_"), body.pop("policies"), strict=False))
    fields: dict[str, str] = {}
    for column in COLUMNS:
        if column.section == "Part 2 consent":
            continue
        if column.policy is not None:
            value = _get(policies.get(column.policy), column.path)
        else:
            value = _get(body, column.path)
        fields[column.name] = _text(value)
    return fields


def changed_fields(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The names (never the values) of the fields a correction changed, in form order."""
    return [c.name for c in COLUMNS if before.get(c.name, "") != after.get(c.name, "")]
