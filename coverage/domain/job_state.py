"""The verification job's life, in one table. Storage enforces it with compare-and-set updates."""

from enum import StrEnum

from coverage.errors import IllegalTransitionError


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    NEEDS_REVIEW = "needs_review"
    NEEDS_INFO = "needs_info"
    FAILED = "failed"
    APPROVED = "approved"
    REJECTED = "rejected"


S = JobStatus
TRANSITIONS: dict[JobStatus, frozenset[JobStatus]] = {
    # running -> queued: a transient payer error (retry later) or a stuck job the sweeper releases.
    S.QUEUED: frozenset({S.RUNNING}),
    S.RUNNING: frozenset({S.NEEDS_REVIEW, S.NEEDS_INFO, S.FAILED, S.QUEUED}),
    S.NEEDS_REVIEW: frozenset({S.APPROVED, S.REJECTED, S.QUEUED}),
    # Re-run: staff fixed the input, or the payer is back.
    S.NEEDS_INFO: frozenset({S.QUEUED}),
    S.FAILED: frozenset({S.QUEUED}),
    S.REJECTED: frozenset({S.QUEUED}),
    S.APPROVED: frozenset(),
}
OPEN = frozenset({S.QUEUED, S.RUNNING})
AWAITING_STAFF = frozenset({S.NEEDS_REVIEW, S.NEEDS_INFO, S.FAILED})
# What staff may send back to the queue (a running job is the worker's; an approved one is done).
RERUNNABLE = frozenset(s for s, to in TRANSITIONS.items() if S.QUEUED in to and s is not S.RUNNING)


def check_transition(current: JobStatus, target: JobStatus) -> None:
    if target not in TRANSITIONS[current]:
        raise IllegalTransitionError(current.value, target.value)
