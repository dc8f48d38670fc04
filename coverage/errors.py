"""The one exception hierarchy. Messages never carry PHI: they reach logs and API responses."""


class CoverageError(Exception):
    """Root of every error the service raises on purpose."""


class InputError(CoverageError):
    """Bad input from a user (422)."""


class NotFoundError(CoverageError):
    """No such record, or not visible to this user (404)."""


class ConflictError(CoverageError):
    """The record is not in a state that allows this (409); also a lost claim."""


class IllegalTransitionError(ConflictError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a job in state {current!r} cannot move to {target!r}")
        self.current = current
        self.target = target


class BrokerUnavailable(CoverageError):
    """The broker did not take a job's message in time. The job is saved and stays `queued`: the
    sweeper sends it once its queued deadline has passed."""


class ConfigError(CoverageError):
    """Settings or rule data that make the service unsafe or unable to run."""


class PayerError(CoverageError):
    """A payer could not answer. `action` tells staff what to do; it names no patient."""

    permanent: bool = False

    def __init__(
        self,
        message: str,
        *,
        action: str = "",
        retry_after: float | None = None,
        reject_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.action = action or message
        self.retry_after = retry_after
        # The payer's own reason (X12 AAA03, e.g. 75), kept for billing; staff see `action`.
        self.reject_code = reject_code


class PayerTransientError(PayerError):
    """Timeouts, 5xx, AAA 42: worth retrying later."""


class PayerPermanentError(PayerError):
    """Invalid member ID, subscriber not found: retrying will not help; staff must act."""

    permanent = True
