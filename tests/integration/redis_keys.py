"""Payer guard state lives in Redis: tests that call payers start from a clean slate."""

import os

import redis

URL = os.environ["IOP_COVERAGE_BROKER_URL"]  # set by tests/conftest.py to the test Redis


def clear_payer_guards() -> None:
    client = redis.Redis.from_url(URL)
    keys = list(client.scan_iter("iop-coverage:payer:*"))
    if keys:
        client.delete(*keys)
