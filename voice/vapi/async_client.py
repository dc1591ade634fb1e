"""The async/await Vapi client: the same endpoints, errors and retries as `VapiClient`, over one
`httpx.AsyncClient` per event loop (`get_async_vapi_client`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Unpack

import httpx

from voice.vapi.core import (
    CallFilters,
    ClientCache,
    ClientOptions,
    VapiApi,
    VapiObject,
    VapiRequest,
    settings_options,
)


class AsyncVapiClient(VapiApi):
    """The async/await twin of VapiClient: every endpoint method returns an awaitable."""

    def __init__(
        self,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(**options)
        self._sleep = sleep
        self._http = httpx.AsyncClient(**self._core.client_kwargs(), transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncVapiClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def _send(self, request: VapiRequest) -> Any:
        steps = self._core.exchange(self._http, request)
        outcome: httpx.Response | None = None
        failure: httpx.TransportError | None = None
        try:
            while True:
                step = steps.throw(failure) if failure else steps.send(outcome)
                outcome = failure = None
                if isinstance(step, float):
                    await self._sleep(step)
                else:
                    try:
                        outcome = await self._http.send(step)
                    except httpx.TransportError as exc:
                        failure = exc
        except StopIteration as done:
            return done.value

    async def iter_calls(
        self, *, page_size: int = 100, **filters: Unpack[CallFilters]
    ) -> AsyncIterator[VapiObject]:
        """Every call matching the filters, newest first, fetched page by page (see _CallPager)."""
        pager = self._core.call_pager(filters, page_size=page_size)
        while not pager.done:
            page = await self._send(self._core.list_calls(pager.next_params()))
            for call in pager.accept(page):
                yield call
            del page  # released before the next page arrives


_clients = ClientCache(AsyncVapiClient)


def get_async_vapi_client() -> AsyncVapiClient:
    """The AsyncVapiClient for the running event loop and current settings; called outside a
    loop, a fresh client (use it with `async with`)."""
    options = settings_options()
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return AsyncVapiClient(**options)
    return _clients.get(options, loop=loop)
