"""Builders for test payer files and eligibility requests, shared by the adapter tests.

Named `payer_config`, not `test_payer`: a `test_*` name imported into a test module would be
collected by pytest as a test.
"""

from datetime import date
from typing import Any

from coverage.domain.eligibility import EligibilityRequest, InsuranceType, Network
from coverage.domain.payer import PayerConfig
from coverage.domain.request import Relationship, Sex


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
