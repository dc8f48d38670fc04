"""Field encryption (Fernet/MultiFernet) and keyed hashes for look-ups of encrypted values."""

import hashlib
import hmac
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from coverage.errors import ConfigError
from coverage.settings import get_settings


@lru_cache
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as exc:
        raise ConfigError(
            "IOP_COVERAGE_ENCRYPTION_KEYS holds a key that is not a Fernet key"
        ) from exc


def cipher() -> MultiFernet:
    return _cipher(tuple(get_settings().encryption_key_list))


def encrypt_json(value: Any) -> str:
    return cipher().encrypt(json.dumps(value, separators=(",", ":")).encode()).decode()


def decrypt_json(token: str) -> Any:
    try:
        return json.loads(cipher().decrypt(token.encode()))
    except InvalidToken as exc:
        raise ConfigError("an encrypted field cannot be read with the configured keys") from exc


def keyed_hash(value: str) -> str:
    """HMAC-SHA256, so a member ID can be looked up without storing it in the clear."""
    key = get_settings().hash_key.get_secret_value().encode()
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()
