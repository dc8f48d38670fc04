"""Without a broker the API server is the worker too: for as long as it serves, it takes back the
open jobs a previous process left in the database and sweeps stuck ones on the sweeper's schedule
(coverage.embedded.Recovery)."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from coverage import service
from coverage.embedded import Recovery, enqueue_in_thread
from coverage.settings import get_settings


def _sweep(at_start: bool) -> list[uuid.UUID]:
    return service.sweep(enqueue=enqueue_in_thread, at_start=at_start)


@asynccontextmanager
async def recovering(_app: FastAPI) -> AsyncIterator[None]:
    recovery = Recovery(_sweep, interval=get_settings().sweep_interval_seconds).start()
    try:
        yield
    finally:  # the current attempts finish; jobs not started stay queued for the next start
        await asyncio.to_thread(recovery.stop)
