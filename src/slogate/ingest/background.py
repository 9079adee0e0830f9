"""Run periodic jobs (compaction, daily snapshots) for the life of an ASGI app.

The jobs start once the wrapped app has finished its own startup and are
cancelled when shutdown begins, so they never run against a closed store."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

JobFactory = Callable[[], Awaitable[Any]]


class BackgroundJobs:
    """ASGI wrapper: `factories` are called after `lifespan.startup.complete`."""

    def __init__(self, app: ASGIApp, factories: Sequence[JobFactory]) -> None:
        self.app = app
        self.factories = tuple(factories)
        self.tasks: list[asyncio.Task[Any]] = []

    def __getattr__(self, name: str) -> Any:
        # `app.state` and friends of the wrapped app stay reachable (tests use them).
        return getattr(self.app, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan" or not self.factories:
            await self.app(scope, receive, send)
            return

        async def wrapped_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self._cancel()
            return message

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self.tasks = [asyncio.create_task(factory()) for factory in self.factories]
            await send(message)

        await self.app(scope, wrapped_receive, wrapped_send)

    async def _cancel(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self.tasks = []
