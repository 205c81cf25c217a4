"""The API runner freezes its start-up heap once the app has started (and not before)."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from clarion.runners import _frozen_after_startup


async def test_the_heap_is_frozen_after_the_apps_own_startup() -> None:
    frozen_at_startup: list[int] = []
    app = FastAPI()
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def startup(a: FastAPI) -> AsyncIterator[None]:
        frozen_at_startup.append(gc.get_freeze_count())
        async with inner(a):
            yield

    app.router.lifespan_context = startup
    gc.unfreeze()
    try:
        async with _frozen_after_startup(app).router.lifespan_context(app):
            assert frozen_at_startup == [0]  # the app's own start-up ran before the freeze
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the rest of the test session keeps its collector as it was
