"""What every request passes through before FastAPI sees it: a pure ASGI middleware (no per-request task or
buffering beyond the body it must check, so GETs pay a few microseconds).

* **Security headers** on every answer: `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and, unless
  the route set its own policy, `Content-Security-Policy: frame-ancestors 'none'`.
* **Request bodies** (POST, PUT, PATCH): a body that is not JSON (`Content-Type` other than
  `application/json` or `…+json`) answers **415**; a body larger than `max_body_bytes` answers **413**, from
  the `Content-Length` header before anything is read, or as soon as a chunked body passes the limit. The
  body must arrive within `BODY_TIMEOUT_S` seconds (else **408**, and the connection closes: a stalled upload
  holds nothing for long). The body, at most `max_body_bytes`, is then handed to the app whole, so parsing
  and validation cost stays bounded however hostile the request.
* **Bounded CPU-heavy routes** (`limited_paths`, e.g. `/credit/score`): at most N of their requests run at
  once, the others wait here, in the event loop, holding no worker thread. CPU-bound scoring on 2 cores
  gains nothing from 32 threads fighting over the GIL, and with only N of them running the cheap GETs still
  find the loop and a thread free: their latency stays low while scoring runs.
* **Lone surrogates**: JSON may spell a UTF-16 half (`"\\ud800"`) that no UTF-8 text can hold; such a string
  anywhere in the body answers **422** naming the field, instead of failing later when an answer or a log
  line echoing it is encoded. The body is parsed for this only when its bytes contain such an escape.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

log = logging.getLogger("api")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY")]
FRAME_POLICY = (b"content-security-policy", b"frame-ancestors 'none'")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
# A \uD800-\uDFFF escape in the raw JSON: the only way a lone surrogate gets into a parsed string.
SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}")
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
SHOWN_NAME_CHARS = 64
BODY_TIMEOUT_S = 10.0


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == name:
            return value.decode("latin-1")
    return None


def printable(text: str, limit: int = SHOWN_NAME_CHARS) -> str:
    """`text` with any lone surrogate spelled as `\\udXXX` (always encodable), cut to `limit` characters."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def surrogate_field(value: Any, path: str = "") -> str | None:
    """The path ("body" for the whole body) of the first string, key or value, holding a lone surrogate."""
    if isinstance(value, str):
        return (path or "body") if LONE_SURROGATE.search(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}[{key}]" if isinstance(key, int) else f"{path}.{printable(key)}" if path else printable(key)
        if isinstance(key, str) and LONE_SURROGATE.search(key):
            return where
        found = surrogate_field(item, where)
        if found:
            return found
    return None


async def _answer(send: Send, status: int, detail: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    body = json.dumps({"detail": detail}).encode()  # ensure_ascii: always encodable
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    headers += SECURITY_HEADERS + [FRAME_POLICY] + (extra or [])
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: Callable[[], int],
        limited_paths: dict[str, Callable[[], int]] | None = None,
        body_timeout_s: Callable[[], float] = lambda: BODY_TIMEOUT_S,
    ):
        self.app = app
        self.body_timeout_s = body_timeout_s
        self.max_body_bytes = max_body_bytes  # read per request: the limit comes from settings at start-up
        self.limited_paths = limited_paths or {}
        self._slots: dict[str, asyncio.Semaphore] = {}

    @staticmethod
    async def _read_body(receive: Receive, limit: int) -> bytes | None:
        """The whole body, or its first chunks once past `limit` (the caller answers 413); None on disconnect."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            chunks.append(chunk)
            if size > limit or not message.get("more_body", False):
                return b"".join(chunks)

    def _semaphore(self, path: str) -> asyncio.Semaphore | None:
        if path not in self.limited_paths:
            return None
        if path not in self._slots:  # made in the running loop, on first use
            self._slots[path] = asyncio.Semaphore(self.limited_paths[path]())
        return self._slots[path]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or ())
                headers += SECURITY_HEADERS
                if not any(key.lower() == FRAME_POLICY[0] for key, _ in headers):
                    headers.append(FRAME_POLICY)
                message["headers"] = headers
            await send(message)

        if scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send_with_headers)
            return
        where = f"{scope['method']} {scope['path']}"
        limit = self.max_body_bytes()
        length = _header(scope, b"content-length")
        content_type = _header(scope, b"content-type")
        has_body = (length is not None and length.strip() != "0") or _header(scope, b"transfer-encoding") is not None
        if has_body and not _is_json(content_type or ""):
            shown = printable(content_type or "none")
            log.warning("%s → 415: content type %r", where, shown)
            await _answer(send, 415, f"body: must be JSON (Content-Type: application/json), got {shown!r}")
            return
        if length is not None and length.strip().isdigit() and int(length) > limit:
            log.warning("%s → 413: declared body of %s bytes", where, length.strip()[:20])
            await _answer(send, 413, f"body: {int(length)} bytes; the largest accepted body is {limit} bytes")
            return
        timeout = self.body_timeout_s()
        try:
            async with asyncio.timeout(timeout):
                body = await self._read_body(receive, limit)
        except TimeoutError:
            log.warning("%s → 408: body not received within %g s", where, timeout)
            detail = f"body: not received within {timeout:g} s"
            await _answer(send, 408, detail, [(b"connection", b"close")])
            return
        if body is None:  # the client left
            return
        if len(body) > limit:
            log.warning("%s → 413: body over %d bytes", where, limit)
            await _answer(send, 413, f"body: more than {limit} bytes; the largest accepted body is {limit} bytes")
            return
        if SURROGATE_ESCAPE.search(body):
            try:
                field = surrogate_field(json.loads(body))
            except (ValueError, RecursionError):
                field = None  # not JSON (or absurdly deep): FastAPI's own parser words that error
            if field:
                detail = f"{field}: contains a lone UTF-16 surrogate (\\ud800-\\udfff), which is not Unicode text"
                log.warning("%s → 422: %s", where, detail)
                await _answer(send, 422, detail)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # the disconnect, when it comes
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        semaphore = self._semaphore(scope["path"])
        if semaphore is None:
            await self.app(scope, replay, send_with_headers)
            return
        async with semaphore:
            await self.app(scope, replay, send_with_headers)
