from pathlib import Path
from typing import TypedDict

import pytest
from pydantic import ValidationError

from coverage.settings import DEV_ENCRYPTION_KEY, Settings


class ProdKeys(TypedDict):
    encryption_keys: str
    hash_key: str


PROD_KEYS: ProdKeys = {
    "encryption_keys": "cHJvZC10ZXN0LWtleS1ub3QtYS1kZXYta2V5LTAwMDA=",
    "hash_key": "prod-hash-key-of-at-least-32-characters",
}


def test_production_refuses_development_secrets_and_names_them() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(environment="production")
    message = str(info.value)
    assert "production refuses development or weak secrets" in message
    for name in (
        "IOP_COVERAGE_ENCRYPTION_KEYS",
        "IOP_COVERAGE_HASH_KEY",
    ):
        assert name in message


def test_production_refuses_a_clear_text_broker_on_another_host() -> None:
    with pytest.raises(ValidationError, match="rediss://"):
        Settings(environment="production", broker_url="redis://10.0.0.5:6379/0", **PROD_KEYS)


def test_production_refuses_a_short_hash_key_and_names_the_variable() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(
            environment="production", encryption_keys=PROD_KEYS["encryption_keys"], hash_key="x"
        )
    assert "IOP_COVERAGE_HASH_KEY (at least 32 characters)" in str(info.value)
    assert "IOP_COVERAGE_ENCRYPTION_KEYS" not in str(info.value)


def test_production_refuses_an_encryption_key_that_is_not_a_fernet_key() -> None:
    with pytest.raises(ValidationError) as info:
        Settings(
            environment="production",
            encryption_keys=f"{PROD_KEYS['encryption_keys']},not-a-key",
            hash_key=PROD_KEYS["hash_key"],
        )
    message = str(info.value)
    assert "IOP_COVERAGE_ENCRYPTION_KEYS (key 2 is not a Fernet key" in message
    assert "not-a-key" not in message  # a secret is never echoed


@pytest.mark.parametrize(
    "url",
    [
        "redis://redis:6379/0",  # a service name, but anyone on the network may use it
        "redis://:secret@10.0.0.5:6379/0",  # an address: may be routed anywhere
        "redis://:secret@queue.clinic.example:6379/0",  # a DNS name on the clinic's network
    ],
)
def test_production_refuses_a_clear_text_broker_that_may_cross_a_network(url: str) -> None:
    with pytest.raises(ValidationError, match="rediss://"):
        Settings(environment="production", broker_url=url, **PROD_KEYS)


def test_production_accepts_docker_composes_password_protected_broker() -> None:
    """docker-compose.yml's broker: the service `redis` on the project's internal network."""
    url = "redis://:s3cret-hex@redis:6379/0"
    assert Settings(environment="production", broker_url=url, **PROD_KEYS).broker_url == url


def test_production_refuses_a_plain_http_address_for_staff() -> None:
    """Production cookies are Secure, so sign-in over http from another workstation cannot work."""
    with pytest.raises(ValidationError, match="IOP_COVERAGE_PUBLIC_URL"):
        Settings(environment="production", public_url="http://iop.clinic.example", **PROD_KEYS)
    https = Settings(environment="production", public_url="https://iop.clinic.example", **PROD_KEYS)
    assert https.public_url == "https://iop.clinic.example"


def test_production_starts_with_real_secrets() -> None:
    settings = Settings(
        environment="production", broker_url="rediss://queue.internal:6380/0", **PROD_KEYS
    )
    assert DEV_ENCRYPTION_KEY not in settings.encryption_keys.get_secret_value()


def test_the_embedded_default_is_sqlite_in_process() -> None:
    settings = Settings(_env_file=None, broker_url=None, database_url="sqlite:///iop_coverage.db")
    assert settings.in_process
    assert Settings.model_fields["database_url"].default == "sqlite:///iop_coverage.db"
    assert Settings.model_fields["broker_url"].default is None


def test_cli_exits_non_zero_in_production_with_dev_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import subprocess
    import sys

    env = {"IOP_COVERAGE_ENVIRONMENT": "production", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "coverage.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode != 0
    assert "production refuses development or weak secrets" in proc.stderr
