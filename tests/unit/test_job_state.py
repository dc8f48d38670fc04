import pytest

from coverage.domain.job_state import TRANSITIONS, JobStatus, check_transition
from coverage.errors import IllegalTransitionError

LEGAL = [(src, dst) for src, targets in TRANSITIONS.items() for dst in sorted(targets)]


def test_the_table_has_the_documented_life_of_a_job() -> None:
    S = JobStatus
    assert TRANSITIONS[S.QUEUED] == {S.RUNNING}
    assert TRANSITIONS[S.RUNNING] == {S.NEEDS_REVIEW, S.NEEDS_INFO, S.FAILED, S.QUEUED}
    assert TRANSITIONS[S.NEEDS_REVIEW] == {S.APPROVED, S.REJECTED, S.QUEUED}
    assert TRANSITIONS[S.APPROVED] == frozenset()
    assert len(LEGAL) == 11


@pytest.mark.parametrize(("current", "target"), LEGAL)
def test_every_legal_transition_is_allowed(current: JobStatus, target: JobStatus) -> None:
    check_transition(current, target)


def test_an_illegal_transition_raises_with_both_states_named() -> None:
    with pytest.raises(
        IllegalTransitionError, match="a job in state 'queued' cannot move to 'approved'"
    ):
        check_transition(JobStatus.QUEUED, JobStatus.APPROVED)
