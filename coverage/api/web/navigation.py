"""What each role sees in the navigation, and plain-language names for job states."""

from dataclasses import dataclass

from coverage.domain.access import Role
from coverage.domain.job_state import JobStatus


@dataclass(frozen=True)
class NavItem:
    label: str
    href: str
    roles: frozenset[Role]


NAVIGATION = (
    NavItem("Review queue", "/review", frozenset({Role.BILLING})),
    NavItem("Verifications", "/verifications", frozenset({Role.ADMISSIONS, Role.BILLING})),
    NavItem("New verification", "/verifications/new", frozenset({Role.ADMISSIONS})),
    NavItem("Batches", "/batches", frozenset({Role.ADMISSIONS})),
    NavItem("Rule book", "/rules", frozenset({Role.OPERATOR})),
    NavItem("Payers", "/payers", frozenset({Role.OPERATOR})),
    NavItem("Audit log", "/audit", frozenset({Role.AUDITOR})),
    NavItem("Users", "/users", frozenset({Role.ADMIN})),
)
ROLE_NAMES = {
    Role.ADMISSIONS: "admissions staff",
    Role.BILLING: "billing staff",
    Role.OPERATOR: "operators",
    Role.AUDITOR: "auditors",
    Role.ADMIN: "administrators",
    Role.SYSTEM: "system processes",
}


def navigation(role: Role) -> list[NavItem]:
    return [item for item in NAVIGATION if role in item.roles]


def home(role: Role) -> str:
    items = navigation(role)
    return items[0].href if items else "/sign-in"


@dataclass(frozen=True)
class StatusText:
    label: str
    next_step: str


STATUS_TEXT = {
    JobStatus.QUEUED: StatusText("Queued", "Waiting for a worker to ask the payer."),
    JobStatus.RUNNING: StatusText("Checking with the payer", "The payer is being asked now."),
    JobStatus.NEEDS_REVIEW: StatusText(
        "Ready for billing review", "Billing reviews the estimate, then approves or rejects it."
    ),
    JobStatus.NEEDS_INFO: StatusText(
        "Needs info", "Fix what the message says: correct the request, or re-run it, below."
    ),
    JobStatus.FAILED: StatusText(
        "Failed", "Billing can re-run it once the cause in the message is fixed."
    ),
    JobStatus.APPROVED: StatusText("Approved", "The patient estimate can be printed."),
    JobStatus.REJECTED: StatusText(
        "Rejected", "See the reviewer's note; billing can re-run it after a correction."
    ),
}


def status_text(status: JobStatus | str) -> StatusText:
    return STATUS_TEXT[JobStatus(status)]
