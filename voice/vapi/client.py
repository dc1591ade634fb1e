"""The synchronous Vapi client (for services, admin and commands): the core's endpoints over one
pooled `httpx.Client`, and `get_vapi_client`, the process-wide instance for the current settings.

Every failure leaves as a `VoiceError` subclass (voice/vapi/errors.py), never as an httpx
exception. Tests inject `transport=` (httpx.MockTransport, or the simulator); nothing here is meant
to be patched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
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


class VapiClient(VapiApi):
    """Synchronous Vapi client over one pooled `httpx.Client` (reuse it; see get_vapi_client)."""

    def __init__(
        self,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(**options)
        self._sleep = sleep
        self._http = httpx.Client(**self._core.client_kwargs(), transport=transport)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VapiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, request: VapiRequest) -> Any:
        steps = self._core.exchange(self._http, request)
        step = next(steps)
        try:
            while True:
                if isinstance(step, float):
                    self._sleep(step)
                    step = steps.send(None)
                    continue
                try:
                    response = self._http.send(step)
                except httpx.TransportError as exc:
                    step = steps.throw(exc)
                else:
                    step = steps.send(response)
        except StopIteration as done:
            return done.value

    def iter_calls(
        self, *, page_size: int = 100, **filters: Unpack[CallFilters]
    ) -> Iterator[VapiObject]:
        """Every call matching the filters, newest first, fetched page by page (see _CallPager)."""
        for page in self.iter_call_pages(page_size=page_size, **filters):
            yield from page

    def iter_call_pages(
        self, *, page_size: int = 100, **filters: Unpack[CallFilters]
    ) -> Iterator[list[VapiObject]]:
        """`iter_calls` one page at a time (the calls not yielded before, newest first; a page
        may be empty), for callers that work page by page: only one page is ever alive here."""
        pager = self._core.call_pager(filters, page_size=page_size)
        while not pager.done:
            page = self._send(self._core.list_calls(pager.next_params()))
            fresh = pager.accept(page)
            del page
            yield fresh
            del fresh  # released before the next page arrives: one page in memory, not two


_clients = ClientCache(VapiClient)


def get_vapi_client() -> VapiClient:
    """The process-wide VapiClient for the current settings (one connection pool, reused)."""
    return _clients.get(settings_options())
