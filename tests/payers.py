"""Builders for test payer files, eligibility requests and mocked payer replies, shared by the
adapter tests.

Named `payer_config`, not `test_payer`: a `test_*` name imported into a test module would be
collected by pytest as a test.
"""

from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any, Literal

import pytest

from coverage.domain.eligibility import EligibilityRequest, InsuranceType, Network
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Relationship, Sex
from coverage.errors import PayerError
from coverage.x12 import core_mime, core_soap
from coverage.x12.iop_benefit import IopContext, payer_error, read_eligibility

SYNTHETIC_X12 = Path(__file__).resolve().parent / "fixtures" / "x12" / "synthetic"
AAA_75_X12 = (SYNTHETIC_X12 / "synthetic-aaa-2100c-75.271").read_text()
# What `eligibility_request()` says about Jane Doe that no payer error may repeat.
REQUEST_PHI = ("W000000009", "Doe", "1990")


def payer_config(
    adapter: str,
    *,
    id: str = "test-payer",
    name: str = "Test payer",
    settings: dict[str, Any],
    **fields: Any,
) -> PayerConfig:
    """A commercial, in-network payer file reached through `adapter`; `fields` override the rest."""
    values: dict[str, Any] = {
        "kind": "payer",
        "id": id,
        "name": name,
        "type": InsuranceType.COMMERCIAL,
        "adapter": adapter,
        "network_status": Network.IN,
        "version": "1",
        "source": "test",
        "effective": date(2024, 1, 1),
        "settings": settings,
        **fields,
    }
    return PayerConfig(**values)


def sandbox_core_settings(url: str, **extra: object) -> dict[str, object]:
    """CORE X12 settings that reach the sandbox payer at `url`."""
    return {
        "url": url,
        "payer_x12_id": "SBX01",
        "payer_name": "IOP COVERAGE SANDBOX PAYER",
        "provider_name": "EXAMPLE IOP CLINIC",
        "sender_id": "EXAMPLEIOP",
        "receiver_id": "SANDBOX",
        **extra,
    }


def eligibility_request(**overrides: Any) -> EligibilityRequest:
    """Jane Doe, subscriber, asking about an IOP stay in spring 2026; `overrides` change any field."""
    values: dict[str, Any] = {
        "payer_id": "test-payer",
        "provider_npi": "1234567893",
        "member_id": "W000000009",
        "first_name": "Jane",
        "last_name": "Doe",
        "birth_date": date(1990, 1, 1),
        "sex": Sex.FEMALE,
        "relationship": Relationship.SELF,
        "service_start": date(2026, 3, 2),
        "service_end": date(2026, 5, 22),
        "service_types": ("30", "MH"),
        "trace_number": "0123456789abcdef012301",
        "attempt": 1,
        **overrides,
    }
    return EligibilityRequest(**values)


def raised_payer_error(
    call: Callable[[], object], *, phi: Iterable[str] = REQUEST_PHI
) -> PayerError:
    """The PayerError that `call` raises; its message and action must name none of `phi`."""
    with pytest.raises(PayerError) as caught:
        call()
    texts = str(caught.value) + caught.value.action
    for word in phi:
        assert word not in texts, f"{word!r} leaked into {texts!r}"
    return caught.value


def x12_aaa_error(code: str, follow_up: str = "") -> PayerError | None:
    """What the X12 path raises for AAA `code` (follow-up `follow_up`) in the synthetic 271, for a
    service on 2 March 2026: the other adapters must classify the same AAA the same way."""
    x12 = AAA_75_X12.replace("AAA*N**75*C", f"AAA*N**{code}*{follow_up}")
    return payer_error(read_eligibility(x12, IopContext(service_date=date(2026, 3, 2))))


def reply_271(
    text: str,
    *,
    error_code: str = core_mime.SUCCESS,
    transport: Literal["mime", "soap"] = "mime",
) -> dict[str, object]:
    """A `responses` mock: the example CORE payer answers the 271 `text` in the envelope that
    core_x12's `transport` setting names (MIME multipart or SOAP)."""
    fields = core_mime.envelope(
        payload_type=core_mime.RESPONSE_271,
        payload=text,
        sender_id="EXAMPLEPAYER",
        receiver_id="EXAMPLEIOP",
    )
    fields = {**fields, "ErrorCode": error_code, "ErrorMessage": ""}
    if transport == "soap":
        body, content_type = core_soap.encode(fields, element=core_soap.RESPONSE)
    else:
        body, content_type = core_mime.encode(fields)
    return {"body": body, "content_type": content_type, "status": 200}
