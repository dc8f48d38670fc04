"""Shared HTTP transport for payer adapters: explicit timeouts, TLS verified, the URL checked
and the connection pinned to a checked address (coverage.adapters.addresses, .pinning), the reply
read up to a size cap, and every failure turned into a classified PayerError once."""

import email.utils
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import requests

from coverage.adapters.addresses import check_url
from coverage.adapters.pinning import AddressRefused, pin
from coverage.errors import PayerError, PayerPermanentError, PayerTransientError, RawReply
from coverage.settings import get_settings

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
MB = 1024 * 1024
_CHUNK = 64 * 1024


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def post(
    session: requests.Session,
    url: str,
    *,
    payer: str,
    timeout: tuple[float, float],
    data: bytes | None = None,
    files: Mapping[str, tuple[None, str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> requests.Response:
    """One POST. Returns a 2xx response, its body read (at most IOP_COVERAGE_PAYER_REPLY_MAX_MB);
    raises PayerTransientError or PayerPermanentError."""
    try:
        check_url(url)
    except ValueError as exc:
        raise PayerPermanentError(
            f"payer {payer}: URL refused ({exc})",
            action="The payer's address in its payer file is not one the service may call: "
            "an operator must fix the payer file before re-running.",
        ) from None
    pin(session, url)
    try:
        response = session.post(
            url,
            data=data,
            files=files,
            headers=headers,
            timeout=timeout,
            verify=True,
            allow_redirects=False,
            stream=True,
        )
    except AddressRefused as exc:
        raise PayerPermanentError(
            f"payer {payer}: call refused, {exc}",
            action="The payer's address now leads to a network the service may not call: "
            "an operator must check the payer's address before re-running.",
        ) from None
    except requests.Timeout:
        raise _late(payer, timeout) from None
    except requests.ConnectionError:
        raise PayerTransientError(
            f"payer {payer}: connection failed",
            action="The payer could not be reached; the payer call is retried automatically.",
        ) from None
    except requests.RequestException as exc:
        raise PayerTransientError(
            f"payer {payer}: request failed ({type(exc).__name__})",
            action="The payer could not be reached; the payer call is retried automatically.",
        ) from None
    status = response.status_code
    if 200 <= status < 300:
        _read_body(response, payer=payer, timeout=timeout)
        return response
    error: PayerError
    if status in RETRYABLE_STATUS:
        error = PayerTransientError(
            f"payer {payer} answered HTTP {status}",
            action="The payer is busy or down; the payer call is retried automatically.",
            retry_after=retry_after(response.headers.get("Retry-After")),
        )
    else:
        error = PayerPermanentError(
            f"payer {payer} refused the request: HTTP {status}",
            action="The payer refused our request: an operator must check the payer file "
            "(URL, credentials, IDs) before re-running.",
        )
    error.reply = _error_body(response, payer=payer, timeout=timeout)
    raise error


def media_type(response: requests.Response) -> str:
    """The reply's media type without its parameters ("text/plain" of "text/plain; charset=...")."""
    return response.headers.get("Content-Type", "").split(";")[0].strip()[:100]


def reply_of(response: requests.Response) -> RawReply:
    """A fully read reply, as kept with its payer call."""
    return RawReply(payload=response.text, media_type=media_type(response))


@contextmanager
def replying(reply: RawReply) -> Iterator[None]:
    """A payer error raised inside (a rejection, an unreadable answer) carries the reply it was
    about, for the pipeline to keep; an error already carrying one keeps its own."""
    try:
        yield
    except PayerError as exc:
        if exc.reply is None:
            exc.reply = reply
        raise


def _late(payer: str, timeout: tuple[float, float]) -> PayerTransientError:
    return PayerTransientError(
        f"payer {payer} did not answer within {timeout[1]:g} s",
        action="The payer did not answer in time; the payer call is retried automatically.",
    )


def _error_body(
    response: requests.Response, *, payer: str, timeout: tuple[float, float]
) -> RawReply | None:
    """The body of a refusal, kept with the call; None when there was none or it was cut off."""
    try:
        _read_body(response, payer=payer, timeout=timeout)
    except PayerError as exc:
        return exc.reply  # over the cap: recorded as not kept; cut off: nothing
    if not response.content:
        return None
    return reply_of(response)


def _read_body(response: requests.Response, *, payer: str, timeout: tuple[float, float]) -> None:
    """Read the reply up to the cap, counting the bytes as they arrive (after any content
    decoding, so a compressed bomb is caught too): Content-Length may be absent or false.
    Too large is final: the same payer would send the same reply again."""
    limit_mb = get_settings().payer_reply_max_mb
    limit = limit_mb * MB
    body = bytearray()
    try:
        declared = int(response.headers.get("Content-Length", "0"))
    except ValueError:
        declared = 0
    try:
        if declared <= limit:
            for chunk in response.iter_content(chunk_size=_CHUNK):
                body += chunk
                if len(body) > limit:
                    break
    except requests.Timeout:
        raise _late(payer, timeout) from None
    except requests.RequestException:
        raise PayerTransientError(
            f"payer {payer}: the reply was cut off",
            action="The payer's answer was cut off; the payer call is retried automatically.",
        ) from None
    finally:
        response.close()
    if declared > limit or len(body) > limit:
        error = PayerPermanentError(
            f"payer {payer}: reply over {limit_mb} MB (IOP_COVERAGE_PAYER_REPLY_MAX_MB), not read",
            action=f"The payer's reply was larger than {limit_mb} MB and was not read; an operator "
            "must check the payer's address in its payer file, or raise the reply size limit if "
            "this payer's replies are really that large.",
        )
        # The bytes were never read: the call records that, not the reply.
        error.reply = RawReply(
            payload=None,
            media_type=media_type(response),
            not_kept=f"reply over {limit_mb} MB, not kept",
        )
        raise error
    # The body is read; hand it to the adapter as an ordinary, fully read response.
    response._content = bytes(body)
