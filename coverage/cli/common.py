"""What every command group shares: who a command acts as, and the embedded schema."""

import getpass

from coverage.domain.access import Actor, Role
from coverage.settings import get_settings


def actor() -> Actor:
    return Actor(name=f"cli:{getpass.getuser()}"[:80], role=Role.ADMISSIONS)


def operator_actor() -> Actor:
    """Who a command acts as when it changes a job for staff (a re-run): the system, named by
    the operator's login, so the audit log shows who ran it."""
    return Actor(name=f"cli:{getpass.getuser()}"[:80], role=Role.SYSTEM)


def admin_actor() -> Actor:
    return Actor(name=f"cli:{getpass.getuser()}"[:80], role=Role.ADMIN)


def ensure_embedded_schema() -> None:
    """The embedded SQLite default migrates itself, so a fresh machine needs no extra step."""
    if get_settings().database_url.startswith("sqlite"):
        from coverage.store.db import upgrade

        upgrade()
