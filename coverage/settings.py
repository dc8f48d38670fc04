"""All configuration in one pydantic-settings object, from `IOP_COVERAGE_*` variables."""

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only keys: fine on a laptop, refused in production.
DEV_ENCRYPTION_KEY = "ZGV2LW9ubHktZmVybmV0LWtleS1kby1ub3QtdXNlLTA="
DEV_HASH_KEY = "dev-only-member-id-hash-key"
# An HMAC key shorter than this is guessable enough to reverse member-ID hashes by brute force.
MIN_HASH_KEY_LENGTH = 32
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="IOP_COVERAGE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///iop_coverage.db"
    broker_url: str | None = Field(default=None, description="Unset: run the pipeline in-process")
    rules_dir: Path = Path("payer_rules")
    # The rule book warns when data it needs ends within this many days (rules check, rules
    # list, GET /api/rules/status, the operator page) and checks this far ahead for data that
    # only starts later.
    rules_warning_days: int = Field(default=60, ge=0, le=3660)
    rules_horizon_days: int = Field(default=400, ge=1, le=3660)
    # A copy of the rules directory where operators prepare an edit: the Rule book page and the
    # status API show its errors and what it would change, before it is copied into rules_dir.
    rules_staging_dir: Path | None = None
    # Comma-separated Fernet keys, newest first: MultiFernet encrypts with the first, decrypts with any.
    encryption_keys: SecretStr = SecretStr(DEV_ENCRYPTION_KEY)
    hash_key: SecretStr = SecretStr(DEV_HASH_KEY)
    provider_npi: str = Field(default="1234567893", pattern=r"^[0-9]{10}$")
    # The convening facility named on Good Faith Estimates (45 CFR 149.610(c)(1)(v)); its NPI is
    # provider_npi. Development defaults are visibly fictitious.
    facility_name: str = Field(default="Example IOP Facility (development)", max_length=120)
    facility_address: str = Field(default="100 Example Way, Richmond, VA 23219", max_length=200)
    facility_state: str = Field(default="VA", pattern=r"^[A-Z]{2}$")
    facility_tin: str = Field(default="00-0000000", pattern=r"^[0-9]{2}-?[0-9]{7}$")

    # Web sign-in (HIPAA automatic logoff, 45 CFR 164.312(a)(2)(iii)): a session ends after this
    # long without a page request, and in any case after the absolute lifetime.
    session_idle_seconds: float = Field(default=900.0, ge=5, le=86400)
    session_max_seconds: float = Field(default=43200.0, ge=60, le=7 * 86400)
    sign_in_link_seconds: float = Field(default=86400.0, ge=60, le=30 * 86400)
    # Where staff reach the web pages; printed in one-time sign-in links.
    public_url: str = Field(
        default="http://127.0.0.1:8000", pattern=r"^https?://[^/?#]+(/[^?#]*)?$"
    )
    # Times on the web pages are shown in this zone (stored and sent by the API in UTC).
    display_timezone: str = Field(default="America/New_York", max_length=64)
    # Wrong passwords in a row for one user name before sign-in pauses for 15 minutes.
    sign_in_attempts: int = Field(default=5, ge=1, le=100)
    # Request bodies are refused past these sizes before they are read (413): a verification
    # request is a few KB; a CSV upload holds at most 5 MB of rows plus the form's wrapping.
    request_max_bytes: int = Field(default=1024 * 1024, ge=16 * 1024, le=64 * 1024 * 1024)
    upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024 * 1024, le=1024 * 1024 * 1024)

    verify_queue: str = "verify"
    sweep_queue: str = "sweep"
    # Redis redelivers an unacknowledged message after this; every retry countdown stays well under it.
    visibility_timeout_seconds: int = Field(default=3600, ge=10)
    max_attempts: int = Field(default=5, ge=1, le=50)
    retry_base_seconds: float = Field(default=2.0, gt=0)
    retry_cap_seconds: float = Field(default=300.0, gt=0)
    sweep_interval_seconds: float = Field(default=60.0, gt=0)
    queued_deadline_seconds: float = Field(default=300.0, gt=0)
    running_deadline_seconds: float = Field(default=600.0, gt=0)
    # Hosts payer adapters may call, comma-separated (".example.com" allows its subdomains). In
    # production a payer file whose URL is not https to one of them is refused when it loads.
    payer_hosts: str = Field(default="", max_length=4000)
    # A payer reply larger than this (MB, counted as it streams in) is refused unread.
    payer_reply_max_mb: int = Field(default=5, ge=1, le=100)
    # Per-payer defaults, held in Redis across workers; a payer file's `limits` overrides them.
    payer_max_concurrent: int = Field(default=4, ge=1, le=100)
    breaker_failure_threshold: int = Field(default=5, ge=1)
    breaker_open_seconds: float = Field(default=60.0, gt=0)
    payer_call_lease_seconds: float = Field(default=120.0, gt=0)  # frees a dead worker's slot
    payer_slot_wait_seconds: float = Field(default=5.0, ge=0)
    # Reuse of a payer's answer for the same person and service dates (a paid transaction).
    eligibility_cache_seconds: float = Field(default=86400.0, ge=0)
    # Enrollees in care are verified again this often (0: never); the beat checks once a day.
    reverify_every_days: int = Field(default=30, ge=0, le=366)
    reverify_check_seconds: float = Field(default=86400.0, gt=0)
    # How long a job may wait for a payer that is down before it ends `failed`.
    payer_wait_limit_seconds: float = Field(default=86400.0, gt=0)
    # Delay of the in-process sandbox payer, to show a slow payer in demos and durability tests.
    sandbox_latency_seconds: float = Field(default=0.0, ge=0, le=60)

    @model_validator(mode="after")
    def _refuse_dev_secrets_in_production(self) -> "Settings":
        if self.environment != "production":
            return self
        dev = {
            "IOP_COVERAGE_ENCRYPTION_KEYS": DEV_ENCRYPTION_KEY
            in self.encryption_keys.get_secret_value(),
            "IOP_COVERAGE_HASH_KEY": self.hash_key.get_secret_value() == DEV_HASH_KEY,
        }
        bad = [name for name, is_dev in dev.items() if is_dev]
        if len(self.hash_key.get_secret_value()) < MIN_HASH_KEY_LENGTH:
            bad.append(f"IOP_COVERAGE_HASH_KEY (at least {MIN_HASH_KEY_LENGTH} characters)")
        bad += _invalid_fernet_keys(self.encryption_key_list)
        if self.broker_url and not _clear_text_broker_allowed(self.broker_url):
            bad.append(
                "IOP_COVERAGE_BROKER_URL (rediss:// for a broker on another host; plain redis:// "
                "only on loopback, or with a password to a service name such as redis)"
            )
        public = urlsplit(self.public_url)
        if public.scheme != "https" and public.hostname not in _LOOPBACK:
            # Production cookies are Secure: a browser never sends them back over plain http.
            bad.append("IOP_COVERAGE_PUBLIC_URL (https://, where staff reach the TLS front end)")
        if bad:
            raise ValueError(
                f"production refuses development or weak secrets; set {', '.join(bad)}"
            )
        return self

    @property
    def encryption_key_list(self) -> list[str]:
        return [k.strip() for k in self.encryption_keys.get_secret_value().split(",") if k.strip()]

    @property
    def payer_host_list(self) -> list[str]:
        return [h.strip().lower() for h in self.payer_hosts.split(",") if h.strip()]

    @property
    def in_process(self) -> bool:
        return not self.broker_url

    @property
    def max_countdown_seconds(self) -> float:
        """A broker countdown longer than this would risk duplicate runs (Redis visibility timeout)."""
        return self.visibility_timeout_seconds / 4


def _invalid_fernet_keys(keys: list[str]) -> list[str]:
    """Names each unusable key by position only: the value is a secret."""
    if not keys:
        return ["IOP_COVERAGE_ENCRYPTION_KEYS (no key given)"]
    bad = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            bad.append(
                f"IOP_COVERAGE_ENCRYPTION_KEYS (key {position} is not a Fernet key: "
                "32 url-safe base64-encoded bytes)"
            )
    return bad


def _clear_text_broker_allowed(url: str) -> bool:
    """Plain redis:// crosses no network on loopback. A bare service name (no dots: `redis`) with
    a password is a broker on the deployment's own private network, as docker-compose.yml runs
    it (an internal network, no published port, requirepass); anything else needs TLS."""
    if not url.startswith("redis://"):
        return True
    parts = urlsplit(url)
    host = parts.hostname or ""
    if host in _LOOPBACK:
        return True
    return bool(parts.password) and host.isascii() and "." not in host and ":" not in host


@lru_cache
def get_settings() -> Settings:
    return Settings()
