"""Who is acting: every audit entry names an actor and its role."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMISSIONS = "admissions"  # queue verifications, read the jobs it submitted
    BILLING = "billing"  # read results, review, approve or reject
    OPERATOR = "operator"  # rule book and payers; sees no PHI
    AUDITOR = "auditor"  # audit log; sees no PHI
    ADMIN = "admin"  # staff users and their sign-in links; sees no PHI
    SYSTEM = "system"  # workers and the sweeper


@dataclass(frozen=True)
class Actor:
    name: str
    role: Role
    client: str | None = None


WORKER = Actor(name="worker", role=Role.SYSTEM)
