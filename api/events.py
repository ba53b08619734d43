"""Every answer to `POST /credit/score` stored as a scoring event (pipelines/credit/events.py), for the
production monitoring: what the application sent, what the service answered (a probability and decision, or
the 4xx/5xx message), the model version and the latency.

* `ScoringEventCapture`, a pure ASGI middleware outside every other one, sees the request body as it arrives
  and the answer as it leaves, so 413, 415 and 422 answers are stored too, and the latency is the client's
  (queueing for a scoring slot included). It copies bytes and hands one dict to the recorder: no database
  work on the request path.
* `EventRecorder` writes from one background thread, in batches, each one transaction. A failure to store is
  logged and counted, never an error answer; a full queue drops the event (counted, logged) rather than
  holding memory or the request. Events older than the retention period are deleted at start-up and hourly.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from api.guards import ASGIApp, Message, Receive, Scope, Send
from pipelines.credit import events
from pipelines.storage.sql import make_engine

log = logging.getLogger("api.events")
SCORE_PATH = "/credit/score"
MAX_CAPTURED_BYTES = 1 << 20  # more than any accepted body (MAX_BODY_BYTES): the guard refuses larger ones
MAX_ERROR_CHARS = 2000
PURGE_EVERY_S = 3600.0
ANSWER_FIELDS = ("client_id", "probability", "decision", "threshold", "model_version")
STOP = object()


def event_from_exchange(
    received_at: dt.datetime, status: int, latency_ms: float, body: bytes, answer: bytes
) -> dict[str, Any]:
    """The stored event of one request: `inputs` is the JSON object the client sent (else None), the answer's
    scoring fields on success, its `detail` message otherwise."""
    inputs = _json_object(body)
    reply = _json_object(answer) or {}
    event: dict[str, Any] = {
        "received_at": received_at,
        "http_status": status,
        "latency_ms": round(latency_ms, 3),
        "inputs": inputs,
    }
    if status == 200:
        event.update({name: reply.get(name) for name in ANSWER_FIELDS})
    else:
        detail = reply.get("detail", answer.decode("utf-8", "replace") if answer else None)
        event["error"] = None if detail is None else str(detail)[:MAX_ERROR_CHARS]
        sent_id = (inputs or {}).get("SK_ID_CURR")
        event["client_id"] = sent_id if isinstance(sent_id, int) and abs(sent_id) < 2**63 else None
    return event


def _json_object(data: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


@dataclass
class RecorderStatus:
    enabled: bool
    detail: str | None
    stored: int
    failed: int
    dropped: int


class EventRecorder:
    """Stores events from a background thread; `start()` never raises (a store that cannot open is reported)."""

    def __init__(self, url: str, retention_days: int, queue_size: int = 10_000, batch_size: int = 200):
        self.url = url
        self.description = sa.make_url(url).render_as_string(hide_password=True)
        self.retention = dt.timedelta(days=retention_days)
        self.batch_size = batch_size
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self.engine: sa.Engine | None = None
        self.thread: threading.Thread | None = None
        self.detail: str | None = "not started"
        self.stored = self.failed = self.dropped = 0
        self._next_purge = 0.0

    def start(self) -> bool:
        try:
            self.engine = make_engine(self.url)
            events.migrate(self.engine)
            self._purge()
        except Exception as error:  # an unwritable file, an unreachable server: scoring goes on without it
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            self.detail = f"cannot open the scoring event store: {type(error).__name__}: {reason}"
            log.error("%s (%s); scoring requests will not be stored", self.detail, self.description)
            if self.engine is not None:
                self.engine.dispose()
            self.engine = None
            return False
        self.detail = None
        self.thread = threading.Thread(target=self._run, name="credit-events", daemon=True)
        self.thread.start()
        log.info("scoring events stored in %s (retention %d days)", self.description, self.retention.days)
        return True

    @property
    def enabled(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def submit(self, event: dict[str, Any]) -> None:
        if not self.enabled:
            return
        try:
            self.queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            log.warning("scoring event queue full: event dropped (%d so far)", self.dropped)

    def flush(self) -> None:
        """Wait until every submitted event is stored or counted as failed."""
        if self.enabled:
            self.queue.join()

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.thread is not None:
            self.queue.put(STOP)
            self.thread.join(timeout_s)
            self.thread = None
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None

    def status(self) -> RecorderStatus:
        return RecorderStatus(self.enabled, self.detail, self.stored, self.failed, self.dropped)

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            batch = [] if item is STOP else [item]
            while item is not STOP and len(batch) < self.batch_size:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is not STOP:
                    batch.append(item)
            self._store(batch)
            for _ in range(len(batch) + (item is STOP)):
                self.queue.task_done()
            if item is STOP:
                return

    def _store(self, batch: list[dict[str, Any]]) -> None:
        if not batch:
            return
        try:
            self.stored += events.store_events(self.engine, batch)
        except Exception:  # logged with its stack, never raised into a request
            self.failed += len(batch)
            log.exception(
                "cannot store %d scoring event(s) in %s (%d failed so far)", len(batch), self.description, self.failed
            )
        if time.monotonic() >= self._next_purge:
            try:
                self._purge()
            except Exception:  # a failed purge is retried at the next batch; the stored events stay counted
                log.exception("cannot delete old scoring events in %s", self.description)

    def _purge(self) -> None:
        cutoff = dt.datetime.now(dt.UTC) - self.retention
        deleted = events.delete_before(self.engine, cutoff)
        self._next_purge = time.monotonic() + PURGE_EVERY_S
        if deleted:
            log.info("deleted %d scoring event(s) received before %s (retention)", deleted, cutoff.isoformat())


class ScoringEventCapture:
    """ASGI middleware: each `POST /credit/score` exchange becomes one event handed to `recorder()`."""

    def __init__(self, app: ASGIApp, recorder: Any):
        self.app = app
        self.recorder = recorder  # a callable: the app's recorder once the lifespan has made it, else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        recorder = self.recorder()
        if scope["type"] != "http" or scope["path"] != SCORE_PATH or scope["method"] != "POST" or recorder is None:
            await self.app(scope, receive, send)
            return
        received_at, started = dt.datetime.now(dt.UTC), time.perf_counter()
        body, answer = bytearray(), bytearray()
        status: int | None = None

        async def capturing_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(body) < MAX_CAPTURED_BYTES:
                body.extend(message.get("body", b"")[: MAX_CAPTURED_BYTES - len(body)])
            return message

        async def capturing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and len(answer) < MAX_CAPTURED_BYTES:
                answer.extend(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, capturing_receive, capturing_send)
        finally:
            latency_ms = (time.perf_counter() - started) * 1000
            try:
                recorder.submit(event_from_exchange(received_at, status or 500, latency_ms, bytes(body), bytes(answer)))
            except Exception:  # building the event must never turn an answer into an error
                log.exception("cannot build the scoring event")
