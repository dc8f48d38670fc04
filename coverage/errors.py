"""The one exception hierarchy. Messages never carry PHI: they reach logs and API responses."""

from dataclasses import dataclass
from typing import Any


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


@dataclass(frozen=True)
class RawReply:
    """What a payer sent back, as received. `payload` is None when the reply was over the size
    cap and never read (`not_kept` says why). It holds PHI: never put it in a message."""

    payload: str | None
    media_type: str
    not_kept: str = ""

    def __repr__(self) -> str:  # a stray log of the object must not print the reply
        size = "not kept" if self.payload is None else f"{len(self.payload)} characters"
        return f"RawReply({self.media_type}, {size})"


class PayerError(CoverageError):
    """A payer could not answer. `action` tells staff what to do; it names no patient.

    `reply` is the payer's reply when one was received (kept encrypted by the pipeline); it is an
    attribute, never part of the message, and is dropped when the error is pickled."""

    permanent: bool = False
    reply: RawReply | None = None

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

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle their __dict__ (a Celery result, a process pool): not the reply.
        state = {k: v for k, v in self.__dict__.items() if k != "reply"}
        return (_rebuild, (type(self), self.args, state))


def _rebuild(cls: type[PayerError], args: tuple[Any, ...], state: dict[str, Any]) -> PayerError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class PayerTransientError(PayerError):
    """Timeouts, 5xx, AAA 42: worth retrying later."""


class PayerPermanentError(PayerError):
    """Invalid member ID, subscriber not found: retrying will not help; staff must act."""

    permanent = True
