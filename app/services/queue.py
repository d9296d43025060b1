"""The queue as the UI and the command line see it: list, count, enqueue, export as DUIS files.

Views are plain dataclasses (:class:`IntentView`), never ORM rows, so the queue screen
can hold them across threads. The export writes one DUIS XML file per queued intent for
an offline hand-off; each file gets a RequestID counter from the persisted local counter,
committed *before* the file is written, so a number is never used twice even if the
export is interrupted (a burnt number is harmless; a reused one is refused by the DCC).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from app.domain.duis import DuisError, Intent, intent_from_payload
from app.domain.duis.request_id import RequestId
from app.domain.errors import DomainInputError
from app.domain.ids import parse_device_id
from app.services.context import AppContext
from app.store.outbox import IntentState, IntentView

__all__ = [
    "ExportReport",
    "ExportedFile",
    "IntentState",
    "IntentView",
    "QueueError",
    "enqueue_intents",
    "export_duis",
    "list_intents",
    "queue_counts",
]


class QueueError(DomainInputError):
    """A queue operation that cannot be done as asked; the message says why."""


def list_intents(
    ctx: AppContext,
    *,
    states: Iterable[str] | None = None,
    install_id: str | None = None,
    limit: int | None = None,
) -> list[IntentView]:
    """Every intent (or those in ``states`` / of one visit), oldest first."""
    from app.store import outbox

    with ctx.engine.connect() as conn:
        return outbox.list_intents(conn, states=states, install_id=install_id, limit=limit)


def queue_counts(ctx: AppContext) -> dict[str, int]:
    """How many intents are in each state (states with none are listed as 0)."""
    from app.store import outbox

    with ctx.engine.connect() as conn:
        found = outbox.counts_by_state(conn)
    return {state.value: found.get(state.value, 0) for state in IntentState}


def enqueue_intents(
    ctx: AppContext,
    intents: Sequence[Intent],
    *,
    job_ref: str | None = None,
    validate: bool = True,
) -> list[str]:
    """Queue intents outside a visit (e.g. an extra 8.2 read); returns their idempotency keys.

    ``validate=False`` skips the schema check (the intents' own field checks still ran when
    they were built); the benchmarks and the chaos test use it to fill big queues quickly.
    """
    from app.services.installs import VisitError, originator_for, render_for_queue, schema_for
    from app.store import audit, outbox

    schema = schema_for(ctx) if validate else None
    originator = originator_for(ctx)
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    try:
        with ctx.engine.begin() as conn:
            audit.take_write_lock(conn)
            rows = render_for_queue(conn, list(intents), originator, schema)
            outbox.insert_intents(conn, rows, install_id=None, job_ref=job_ref, now=now)
            audit.append(
                conn,
                "intents.queued",
                job_ref or "-",
                {"count": len(rows), "srvs": sorted({r.srv for r in rows})},
                at=now,
            )
    except VisitError as exc:
        raise QueueError(str(exc)) from None
    return [r.idempotency_key for r in rows]


@dataclass(frozen=True, slots=True)
class ExportedFile:
    intent_id: int
    idempotency_key: str
    srv: str
    request_id: str
    path: Path


@dataclass(frozen=True, slots=True)
class ExportReport:
    directory: Path
    files: tuple[ExportedFile, ...]
    schema_checked: bool

    def to_json(self) -> dict[str, object]:
        return {
            "directory": str(self.directory),
            "count": len(self.files),
            "schema_checked": self.schema_checked,
            "files": [
                {
                    "intent_id": f.intent_id,
                    "idempotency_key": f.idempotency_key,
                    "srv": f.srv,
                    "request_id": f.request_id,
                    "file": f.path.name,
                }
                for f in self.files
            ],
        }


def _write_file(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def export_duis(ctx: AppContext, directory: Path, *, states: Iterable[str] = ("queued",)) -> ExportReport:
    """Write each intent in ``states`` (default: queued) as ``<counter>-<srv>-<key>.xml`` in ``directory``."""
    from sqlalchemy import text

    from app.services.installs import VisitError, schema_for
    from app.store import audit, outbox

    configured = str(ctx.setting("originator_id") or "")
    if not configured:
        raise QueueError(
            "set originator_id (the supplier's BusinessOriginatorID) before exporting DUIS files: "
            "hubcheck settings set originator_id 90-B3-D5-1F-30-01-00-00"
        )
    originator = parse_device_id(configured)
    try:
        schema = schema_for(ctx)
    except VisitError as exc:
        raise QueueError(str(exc)) from None
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).isoformat(timespec="microseconds")
    planned: list[tuple[ExportedFile, bytes]] = []
    with ctx.engine.begin() as conn:
        audit.take_write_lock(conn)
        views = outbox.list_intents(conn, states=states)
        for view in views:
            payload = outbox.payload_for(conn, view.id)
            try:
                intent = intent_from_payload(payload or {})
                counter = outbox.next_counter(conn, outbox.EXPORT_COUNTER, floor=int(time.time() * 1000))
                rid = RequestId(originator, intent.target, counter)
                xml = intent.render(rid, schema=schema)
            except DuisError as exc:
                raise QueueError(f"intent {view.id} ({view.srv}) cannot be exported: {exc}") from None
            name = f"{counter}-{view.srv}-{view.idempotency_key}.xml"
            conn.execute(
                text(
                    "INSERT INTO outbox_exports (intent_id, counter, request_id, file_name, exported_at) "
                    "VALUES (:i, :c, :r, :f, :t)"
                ),
                {"i": view.id, "c": counter, "r": str(rid), "f": name, "t": now},
            )
            planned.append((ExportedFile(view.id, view.idempotency_key, view.srv, str(rid), directory / name), xml))
        audit.append(
            conn,
            "queue.exported",
            str(directory.resolve())[-80:],
            {"count": len(planned), "request_ids": [f.request_id for f, _ in planned]},
            at=now,
        )
    for exported, xml in planned:
        _write_file(exported.path, xml)
    (directory / "manifest.json").write_text(
        json.dumps({"exported_at": now, "files": [f.path.name for f, _ in planned]}, indent=2), encoding="utf-8"
    )
    return ExportReport(directory, tuple(f for f, _ in planned), schema is not None)
