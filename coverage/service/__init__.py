"""The service's writes: every change staff or a schedule starts goes through one of these
functions, which own their transactions (routes, pages and CLI commands never commit).

jobs: queue, correct (a request that needs information), re-run, re-verify, sweep.
reviews: billing's decisions, notes and adjustments.
phone: what staff recorded of a phone verification. staff: users, their links and tokens.
consents: 42 CFR Part 2 consents recorded or revoked after submission.
"""

from coverage.service.jobs import (
    REVERIFIER,
    SWEEPER,
    Enqueue,
    correct,
    queue,
    rerun,
    reverify,
    send,
    sweep,
)

__all__ = [
    "REVERIFIER",
    "SWEEPER",
    "Enqueue",
    "correct",
    "queue",
    "rerun",
    "reverify",
    "send",
    "sweep",
]
