"""The append-only audit log: who opened which call's transcript, recording or report,
when and from where; sign-ins (and failures), refused phone-system signatures, user
changes and retention deletions.

Rows are only ever inserted (the database refuses UPDATE/DELETE with triggers, see
migration ``0200_security``) and hash-chained so tampering that bypasses the triggers
shows in :meth:`AuditLog.verify_chain`. Details are small PHI-free facts: never
transcript text, never passwords or tokens.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import desc, select

from app.security.models import AuditRow

log = logging.getLogger("heard.audit")

Clock = Callable[[], datetime]

#: Actions written by Heard (free text is refused so the log stays queryable).
ACTIONS = frozenset({
    "login", "logout", "login_refused", "session_refused",
    "view_call", "view_transcript", "view_cues", "view_recording", "view_report",
    "open_live_call", "watch_live_call", "view_library", "export",
    "feedback", "annotate",
    "ingest_connect", "ingest_refused",
    "user_add", "user_remove", "user_reset", "user_roles",
    "retention_delete_audio", "retention_delete_call", "retention_run",
    "audit_view", "audit_export", "settings_view", "legal_hold",
    "csrf_refused", "request_refused",
})
EXPORT_FIELDS = ("id", "at", "actor", "action", "outcome", "target_type", "target_id", "ip",
                 "detail", "row_hash")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    outcome: str
    target_type: str
    target_id: str
    ip: str
    detail: dict[str, Any]
    row_hash: str

    def as_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"] = self.at.isoformat()
        return d


def _clean_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in (detail or {}).items():
        if isinstance(v, bool | int | float) or v is None:
            out[str(k)[:32]] = v
        else:
            out[str(k)[:32]] = str(v)[:120]
        if len(out) >= 12:
            break
    return out


def _hash(prev: str, at: datetime, fields: Iterable[Any]) -> str:
    h = hashlib.sha256(prev.encode())
    h.update(at.isoformat().encode())
    for f in fields:
        h.update(b"\x1f")
        h.update(json.dumps(f, sort_keys=True, default=str).encode())
    return h.hexdigest()


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class AuditLog:
    def __init__(self, store: Any, clock: Clock = lambda: datetime.now(UTC)) -> None:
        self.store = store
        self.clock = clock
        self._lock = threading.Lock()  # one writer at a time keeps the hash chain linear

    def record(
        self,
        actor: str,
        action: str,
        *,
        outcome: str = "ok",
        target_type: str = "",
        target_id: str = "",
        ip: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown audit action {action!r}")
        at = self.clock()
        clean = _clean_detail(detail)
        fields = (actor[:128], action, outcome[:16], target_type[:32], target_id[:200],
                  ip[:64], clean)
        with self._lock, self.store.session() as s:
            prev = s.scalar(select(AuditRow.row_hash).order_by(desc(AuditRow.id)).limit(1)) or ""
            s.add(AuditRow(at=at, actor=fields[0], action=action, outcome=fields[2],
                           target_type=fields[3], target_id=fields[4], ip=fields[5],
                           detail=clean, prev_hash=prev, row_hash=_hash(prev, at, fields)))
        # The log line carries the same PHI-free facts (ids, codes), for the log pipeline.
        log.info("audit", extra={"actor": fields[0], "action": action, "outcome": outcome,
                                 "target": f"{target_type}:{target_id}"[:240]})

    async def arecord(self, actor: str, action: str, **kw: Any) -> None:
        await asyncio.to_thread(self.record, actor, action, **kw)

    def query(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target_id: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = 200,
        offset: int = 0,
    ) -> list[AuditEntry]:
        q = select(AuditRow)
        if actor:
            q = q.where(AuditRow.actor == actor)
        if action:
            q = q.where(AuditRow.action == action)
        if target_id:
            q = q.where(AuditRow.target_id == target_id)
        if outcome:
            q = q.where(AuditRow.outcome == outcome)
        if since:
            q = q.where(AuditRow.at >= since)
        if until:
            q = q.where(AuditRow.at < until)
        q = q.order_by(desc(AuditRow.id)).offset(max(0, offset))
        if limit is not None:
            q = q.limit(max(1, min(limit, 10_000)))
        with self.store.session() as s:
            return [
                AuditEntry(r.id, _aware(r.at), r.actor, r.action, r.outcome, r.target_type,
                           r.target_id, r.ip, dict(r.detail or {}), r.row_hash)
                for r in s.scalars(q)
            ]

    def verify_chain(self) -> int | None:
        """The id of the first row whose hash does not follow, or None if intact."""
        prev = ""
        with self.store.session() as s:
            for r in s.scalars(select(AuditRow).order_by(AuditRow.id)):
                fields = (r.actor, r.action, r.outcome, r.target_type, r.target_id, r.ip,
                          dict(r.detail or {}))
                if r.prev_hash != prev or r.row_hash != _hash(prev, _aware(r.at), fields):
                    return r.id
                prev = r.row_hash
        return None


def _csv_safe(value: str) -> str:
    # Spreadsheet formula injection: a cell starting with = + - @ is quoted as text.
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export_csv(entries: Iterable[AuditEntry]) -> Iterator[str]:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(EXPORT_FIELDS)
    yield buf.getvalue()
    for e in entries:
        buf.seek(0)
        buf.truncate()
        d = e.as_json()
        w.writerow([_csv_safe(json.dumps(d[f], sort_keys=True)) if f == "detail"
                    else _csv_safe(str(d[f])) for f in EXPORT_FIELDS])
        yield buf.getvalue()


def export_jsonl(entries: Iterable[AuditEntry]) -> Iterator[str]:
    for e in entries:
        yield json.dumps(e.as_json(), sort_keys=True) + "\n"
