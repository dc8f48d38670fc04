"""Who may call what: the table the role matrix checks every route against, and the fuzz's choice
of a caller per operation. A route missing here fails the matrix, so a new route gets a row."""

from coverage.domain.access import Role

ADMISSIONS, BILLING, OPERATOR, AUDITOR, ADMIN = (
    Role.ADMISSIONS,
    Role.BILLING,
    Role.OPERATOR,
    Role.AUDITOR,
    Role.ADMIN,
)
STAFF = frozenset({ADMISSIONS, BILLING, OPERATOR, AUDITOR, ADMIN})
# Anyone, signed in or not, gets the same answer.
PUBLIC = "public"

Access = frozenset[Role] | str

ROUTES: dict[tuple[str, str], Access] = {
    # JSON API: a bearer token.
    ("GET", "/healthz"): PUBLIC,
    # The API's documentation: any signed-in staff member or token.
    ("GET", "/openapi.json"): STAFF,
    ("GET", "/docs"): STAFF,
    ("GET", "/docs/oauth2-redirect"): STAFF,
    ("GET", "/redoc"): STAFF,
    ("POST", "/api/verifications"): frozenset({ADMISSIONS}),
    ("GET", "/api/verifications"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/api/verifications/{job_id}"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/api/verifications/{job_id}/fhir"): frozenset({ADMISSIONS, BILLING}),
    # The payer's raw replies: billing reviews results (admissions submits; admin sees no PHI).
    ("GET", "/api/verifications/{job_id}/payer-calls"): frozenset({BILLING}),
    ("GET", "/api/verifications/{job_id}/payer-calls/{call_id}/reply"): frozenset({BILLING}),
    ("POST", "/api/verifications/{job_id}/review"): frozenset({BILLING}),
    ("POST", "/api/verifications/{job_id}/rerun"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/api/verifications/{job_id}/good-faith-estimate"): frozenset({ADMISSIONS, BILLING}),
    ("POST", "/api/verifications/{job_id}/phone-vob"): frozenset({ADMISSIONS, BILLING}),
    ("POST", "/api/verifications/{job_id}/consents"): frozenset({ADMISSIONS, BILLING}),
    ("POST", "/api/verifications/{job_id}/consents/{consent_id}/revoke"): frozenset(
        {ADMISSIONS, BILLING}
    ),
    ("GET", "/api/rules/status"): frozenset({OPERATOR}),
    ("GET", "/api/audit"): frozenset({AUDITOR}),
    ("POST", "/api/batches"): frozenset({ADMISSIONS}),
    ("GET", "/api/batches/template.csv"): frozenset({ADMISSIONS}),
    ("GET", "/api/batches/{batch_id}"): frozenset({ADMISSIONS, BILLING}),
    # Staff pages: a signed-in session.
    ("GET", "/sign-in"): PUBLIC,
    ("POST", "/sign-in"): PUBLIC,
    ("GET", "/welcome/{token}"): PUBLIC,
    ("POST", "/welcome/{token}"): PUBLIC,
    ("POST", "/sign-out"): STAFF,
    ("GET", "/"): STAFF,
    ("GET", "/verifications"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/review"): frozenset({BILLING}),
    ("GET", "/verifications/live"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/verifications/new"): frozenset({ADMISSIONS}),
    ("POST", "/verifications/new"): frozenset({ADMISSIONS}),
    ("GET", "/verifications/{job_id}"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/verifications/{job_id}/live"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/verifications/{job_id}/result"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/verifications/{job_id}/payer-replies"): frozenset({BILLING}),
    ("POST", "/verifications/{job_id}/review"): frozenset({BILLING}),
    ("POST", "/verifications/{job_id}/note"): frozenset({BILLING}),
    ("POST", "/verifications/{job_id}/adjust"): frozenset({BILLING}),
    ("POST", "/verifications/{job_id}/rerun"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/verifications/{job_id}/correct"): frozenset({ADMISSIONS, BILLING}),
    ("POST", "/verifications/{job_id}/correct"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/verifications/{job_id}/call-script"): frozenset({ADMISSIONS, BILLING}),
    ("POST", "/verifications/{job_id}/phone-answer"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/verifications/{job_id}/estimate"): frozenset({ADMISSIONS, BILLING}),
    ("POST", "/verifications/{job_id}/consents"): frozenset({ADMISSIONS, BILLING}),
    ("POST", "/verifications/{job_id}/consents/{consent_id}/revoke"): frozenset(
        {ADMISSIONS, BILLING}
    ),
    ("GET", "/verifications/{job_id}/good-faith-estimate"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/rules"): frozenset({OPERATOR}),
    ("GET", "/payers"): frozenset({OPERATOR}),
    ("GET", "/audit"): frozenset({AUDITOR}),
    ("GET", "/batches"): frozenset({ADMISSIONS}),
    ("POST", "/batches"): frozenset({ADMISSIONS}),
    ("GET", "/batches/template.csv"): frozenset({ADMISSIONS}),
    ("GET", "/batches/{batch_id}"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/batches/{batch_id}/progress"): frozenset({ADMISSIONS, BILLING}),
    ("GET", "/users"): frozenset({ADMIN}),
    ("POST", "/users"): frozenset({ADMIN}),
    ("POST", "/users/{user_id}/link"): frozenset({ADMIN}),
    ("POST", "/users/{user_id}/deactivate"): frozenset({ADMIN}),
    ("POST", "/users/{user_id}/reactivate"): frozenset({ADMIN}),
    ("POST", "/users/{user_id}/role"): frozenset({ADMIN}),
}


def callers(method: str, path: str) -> list[Role]:
    """The roles that may call a route, in a fixed order (the fuzz takes turns among them)."""
    access = ROUTES[(method, path)]
    return sorted(STAFF if isinstance(access, str) else access)
