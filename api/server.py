"""uvicorn's HTTP protocol (httptools) with a deadline on request headers, so stalled clients are closed.

uvicorn closes an idle keep-alive connection after `--timeout-keep-alive` seconds, but only once a first
response was sent: a client that connects and sends nothing, or half a request line and headers, holds its
connection (and a file descriptor) forever. This protocol closes any connection whose request headers are
not complete `HEADER_TIMEOUT_S` seconds (a setting, api/settings.py) after it opened or after its previous
answer. A body that stalls after complete headers is the app's to time out (api/guards.py answers 408).

    uvicorn api.main:app --http api.server:HeaderTimeoutProtocol --timeout-keep-alive 5 --limit-concurrency 200
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.settings import Settings

log = logging.getLogger("api")
# Read when uvicorn imports this protocol, before the app: a bad value (of any setting) stops it, naming the variable.
HEADER_TIMEOUT_S = Settings.from_env().header_timeout_s


class HeaderTimeoutProtocol(HttpToolsProtocol):
    _header_timer: asyncio.TimerHandle | None = None

    def _arm_header_timer(self) -> None:
        self._cancel_header_timer()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._headers_too_slow)

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        in_flight = self.cycle is not None and not self.cycle.response_complete  # a pipelined request
        if not in_flight and not self.transport.is_closing():
            log.warning("closing %s: no complete request headers in %g s", self.client, HEADER_TIMEOUT_S)
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._cancel_header_timer()
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)
