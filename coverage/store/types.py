"""Column types: encrypted JSON, so PHI columns can never be written in the clear by mistake."""

from typing import Any

from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from coverage.store.crypto import decrypt_json, encrypt_json


class EncryptedJSON(TypeDecorator[Any]):
    """Any JSON-able value, stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else encrypt_json(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return None if value is None else decrypt_json(value)
