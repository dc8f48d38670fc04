"""The transport failures every HTTP payer adapter classifies alike (coverage/adapters/http.py),
shared by the adapter tests: a mock for `responses.post`, the error it must raise, a text its
message holds and the Retry-After it must keep.

@pytest.mark.parametrize(FIELDS, [*transport_failures(read_timeout=25), ...the adapter's own])
"""

import requests

from coverage.errors import PayerError, PayerPermanentError, PayerTransientError

FIELDS = ("mock", "kind", "message", "retry_after")
Failure = tuple[dict[str, object], type[PayerError], str, float | None]


def transport_failures(read_timeout: int) -> list[Failure]:
    """`read_timeout`: the adapter's default read timeout in seconds, which a timeout names."""
    late = f"did not answer within {read_timeout} s"
    return [
        ({"body": requests.ConnectTimeout()}, PayerTransientError, late, None),
        ({"body": requests.ReadTimeout()}, PayerTransientError, late, None),
        ({"body": requests.ConnectionError()}, PayerTransientError, "connection failed", None),
        (
            {"status": 503, "headers": {"Retry-After": "7"}},
            PayerTransientError,
            "answered HTTP 503",
            7.0,
        ),
        (
            {"status": 429, "headers": {"Retry-After": "30"}},
            PayerTransientError,
            "answered HTTP 429",
            30.0,
        ),
        ({"status": 500}, PayerTransientError, "answered HTTP 500", None),
        ({"status": 502}, PayerTransientError, "answered HTTP 502", None),
        ({"status": 401}, PayerPermanentError, "refused the request: HTTP 401", None),
        ({"status": 403}, PayerPermanentError, "refused the request: HTTP 403", None),
        ({"status": 404}, PayerPermanentError, "refused the request: HTTP 404", None),
    ]
