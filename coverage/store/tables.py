"""SQLModel tables. Columns holding PHI use EncryptedJSON; Alembic migrations create them."""

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from coverage.store.types import EncryptedJSON


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back without their zone; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _ts(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default_factory=utcnow if not nullable else None,
        sa_type=DateTime(timezone=True),
        nullable=nullable,
        index=index,
    )


def _encrypted(*, nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(EncryptedJSON(), nullable=nullable))


class User(SQLModel, table=True):
    __tablename__ = "users"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    role: str = Field(max_length=20)
    active: bool = True
    created_at: datetime = _ts()
    # argon2 hash for signing in to the web pages; None until the user has set a password.
    password_hash: str | None = Field(default=None, max_length=200)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_tokens"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    revoked_at: datetime | None = _ts(nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser. Kept on the server, so sign-out and the idle timeout take effect at once."""

    __tablename__ = "web_sessions"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)  # the cookie holds the token itself
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _ts()
    last_seen_at: datetime = _ts()
    ended_at: datetime | None = _ts(nullable=True)
    end_reason: str | None = Field(default=None, max_length=20)  # signed_out, idle, expired


class SignInLink(SQLModel, table=True):
    """A one-time link that lets a user set a password (first admin, new user, reset)."""

    __tablename__ = "sign_in_links"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)


class Enrollee(SQLModel, table=True):
    __tablename__ = "enrollees"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    identity: dict[str, Any] = _encrypted()  # names, birth date, address
    sex: str = Field(max_length=1)
    state: str = Field(max_length=2)
    created_at: datetime = _ts()


class Policy(SQLModel, table=True):
    __tablename__ = "policies"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollees.id", index=True, ondelete="CASCADE")
    payer_id: str = Field(max_length=64)
    member_id_hash: str = Field(max_length=64, index=True)
    member: dict[str, Any] = _encrypted()  # member ID, group number
    relationship: str = Field(max_length=10)
    priority: str = Field(max_length=10)


class VerificationJob(SQLModel, table=True):
    __tablename__ = "verification_jobs"
    __table_args__ = (
        UniqueConstraint("submitter", "idempotency_key", name="uq_jobs_idempotency"),
        # The sweeper polls only open jobs; a partial index keeps that cheap as the table grows.
        Index(
            "ix_verification_jobs_open",
            "status",
            "status_changed_at",
            sqlite_where=text("status IN ('queued', 'running')"),
            postgresql_where=text("status IN ('queued', 'running')"),
        ),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    enrollee_id: uuid.UUID = Field(foreign_key="enrollees.id", index=True, ondelete="CASCADE")
    status: str = Field(max_length=20, index=True)
    part2: bool = False
    request: dict[str, Any] = _encrypted()  # intake, plan, household
    submitter: str = Field(max_length=80)
    idempotency_key: str | None = Field(default=None, max_length=128)
    attempts: int = 0
    not_before: datetime | None = _ts(nullable=True)
    enqueued_at: datetime | None = _ts(nullable=True)
    status_changed_at: datetime = _ts()
    message: str = Field(default="", max_length=500)  # staff-facing, never PHI
    created_at: datetime = _ts(index=True)
    fresh_check: bool = False  # staff asked for new payer answers, not cached ones
    # The approved job this one re-checks (monthly re-verification of an enrollee in care).
    reverifies: uuid.UUID | None = Field(default=None, foreign_key="verification_jobs.id")


class PayerCall(SQLModel, table=True):
    __tablename__ = "eligibility_checks"
    __table_args__ = (
        UniqueConstraint("job_id", "policy_id", "attempt", name="uq_check_attempt"),
        # Finds an answer to reuse: same payer, same person, same service dates.
        Index(
            "ix_eligibility_checks_reuse",
            "payer_id",
            "subject_hash",
            "service_start",
            "service_end",
            "created_at",
        ),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="verification_jobs.id", index=True, ondelete="CASCADE")
    policy_id: uuid.UUID = Field(foreign_key="policies.id", ondelete="CASCADE")
    attempt: int = 0  # set by payer_calls.record: the policy's n-th check in the job
    outcome: str = Field(
        max_length=20
    )  # ok, reused, transient_error, permanent_error, error (a bug)
    error: str = Field(default="", max_length=500)
    reject_code: str | None = Field(default=None, max_length=3)  # X12 AAA03, for billing
    adapter: str = Field(max_length=40)
    raw: dict[str, Any] | None = _encrypted(nullable=True)  # the payer's reply as received
    raw_sha256: str | None = Field(default=None, max_length=64)
    normalized: dict[str, Any] | None = _encrypted(nullable=True)
    elapsed_ms: int = 0
    created_at: datetime = _ts()
    payer_id: str | None = Field(default=None, max_length=64)
    # HMAC of member ID, name, birth date and relationship: dependents share a member ID.
    subject_hash: str | None = Field(default=None, max_length=64)
    service_start: date | None = None
    service_end: date | None = None
    reused_from: uuid.UUID | None = Field(default=None, foreign_key="eligibility_checks.id")


class CoverageResult(SQLModel, table=True):
    __tablename__ = "coverage_results"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="verification_jobs.id", unique=True, ondelete="CASCADE")
    body: dict[str, Any] = _encrypted()  # estimate, sliding scale, findings (income-derived)
    rule_files: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    rule_book_version: str | None = Field(default=None, max_length=64)  # RuleBookVersion.version
    created_at: datetime = _ts()


class SupersededResult(SQLModel, table=True):
    """A result a re-run replaced, kept as it was: what staff and the patient were shown."""

    __tablename__ = "superseded_results"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="verification_jobs.id", index=True, ondelete="CASCADE")
    body: dict[str, Any] = _encrypted()
    rule_files: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    rule_book_version: str | None = Field(default=None, max_length=64)
    created_at: datetime = _ts()  # when the replaced result was made
    superseded_at: datetime = _ts()


class ReviewDecision(SQLModel, table=True):
    __tablename__ = "review_decisions"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="verification_jobs.id", index=True, ondelete="CASCADE")
    reviewer: str = Field(max_length=80)
    decision: str = Field(max_length=10)  # approved, rejected, note, adjust
    note: str | None = _encrypted(nullable=True)
    # What billing chose for the patient's printed estimate: {"option": kind, "plan_months": n}.
    adjustment: dict[str, Any] | None = _encrypted(nullable=True)
    created_at: datetime = _ts()


class AuditEvent(SQLModel, table=True):
    """Append-only: who did what to which record, never the values."""

    __tablename__ = "audit_events"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(index=True)
    actor: str = Field(max_length=80, index=True)
    actor_role: str = Field(max_length=20)
    action: str = Field(max_length=40, index=True)
    entity_type: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    outcome: str = Field(default="ok", max_length=20)
    part2: bool = False
    client: str | None = Field(default=None, max_length=64)
    detail: str = Field(default="", max_length=200)


class PhoneAnswerRow(SQLModel, table=True):
    """A phone verification staff recorded for one policy of one job; the latest one is used."""

    __tablename__ = "manual_vobs"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="verification_jobs.id", index=True, ondelete="CASCADE")
    policy_id: uuid.UUID = Field(foreign_key="policies.id", ondelete="CASCADE")
    # What the manual adapter can match on: the job part of the trace number, the payer and
    # the member ID's keyed hash (coverage/store/phone_answers.py).
    job_ref: str = Field(max_length=20, index=True)
    payer_id: str = Field(max_length=64)
    member_id_hash: str = Field(max_length=64)
    entry: dict[str, Any] | None = _encrypted()  # the PhoneAnswer: benefits, representative, ...
    recorded_by: str = Field(max_length=80)
    created_at: datetime = _ts()


class Batch(SQLModel, table=True):
    """A CSV of enrollees uploaded by admissions; each valid row became a job."""

    __tablename__ = "batches"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    submitter: str = Field(max_length=80, index=True)
    file_hash: str = Field(max_length=64)  # keyed: the file holds PHI
    rows: int = 0
    queued: int = 0
    duplicates: int = 0
    rejected: int = 0
    created_at: datetime = _ts(index=True)


class BatchRow(SQLModel, table=True):
    """One data row of a batch: the job it queued, the earlier job it repeats, or why it was refused."""

    __tablename__ = "batch_rows"
    __table_args__ = (UniqueConstraint("batch_id", "row_number", name="uq_batch_row"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    batch_id: uuid.UUID = Field(foreign_key="batches.id", index=True, ondelete="CASCADE")
    row_number: int  # as a spreadsheet shows it: the header is row 1
    outcome: str = Field(max_length=10)  # queued, duplicate, rejected
    # Keyed hash of the row's normalized content: the same enrollee row uploaded again is found.
    row_hash: str | None = Field(default=None, max_length=64, index=True)
    job_id: uuid.UUID | None = Field(default=None, foreign_key="verification_jobs.id")
    # [{"column": ..., "reason": ...}]: names and reasons only, never the rejected values.
    errors: list[dict[str, str]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class RuleBookVersion(SQLModel, table=True):
    """A rule book that loaded and validated, addressed by its content: every process uses the
    one most recently put in force, and one that starts while the directory is broken loads it."""

    __tablename__ = "rule_book_versions"
    version: str = Field(primary_key=True, max_length=64)  # SHA-256 over paths and file hashes
    root: str = Field(max_length=200)  # the rules directory's name, which prefixes its paths
    # [{"path", "kind", "version", "sha256"}]: rule data only, no PHI.
    files: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()
    in_force_since: datetime | None = _ts(nullable=True, index=True)


class RuleFileContent(SQLModel, table=True):
    """One rule file's bytes by their SHA-256, shared by every version that holds the file."""

    __tablename__ = "rule_file_contents"
    sha256: str = Field(primary_key=True, max_length=64)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class ConsentRow(SQLModel, table=True):
    """A 42 CFR Part 2 consent on file for one job. The consent itself (who signed, recipient,
    purposes, dates, revocation) is PHI, so all of it is encrypted."""

    __tablename__ = "part2_consents"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    job_id: uuid.UUID = Field(foreign_key="verification_jobs.id", index=True, ondelete="CASCADE")
    consent: dict[str, Any] = _encrypted()  # the Part2Consent
    recorded_by: str = Field(max_length=80)
    created_at: datetime = _ts()
