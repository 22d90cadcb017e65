"""Retention: recordings deleted after N days (default 30), whole calls (transcript,
cues, notes and files) after M days (default 365, 0 keeps them); calls on legal hold
and calls still live are kept. Every deletion is audited; nothing is logged about a
call but its id and counts.

``heard retention [--dry-run] [--json] [--config FILE] [--data-dir DIR]`` applies the
policy now; the server also runs it periodically (``retention_loop``, started by the
security module in the app's lifespan). The clock is a parameter, so tests control it.

File deletion is confined to the data directory: a stored path that resolves outside
it (a forged or corrupted row) is refused and reported, never followed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select

from app.store.models import AudioFileRow, CallRow

log = logging.getLogger("heard.retention")

Clock = Callable[[], datetime]
ENDED_STATES = ("ended", "interrupted")


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    audio_days: int = 30
    transcript_days: int = 365  # 0: keep transcripts


@dataclass(slots=True)
class Deletion:
    call_id: str
    what: str  # "audio" | "call"
    files: int = 0
    bytes: int = 0


@dataclass(slots=True)
class RetentionReport:
    now: str
    dry_run: bool
    deletions: list[Deletion] = field(default_factory=list)
    kept_on_hold: list[str] = field(default_factory=list)
    unsafe_paths: int = 0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _safe_file(data_dir: Path, rel: str) -> Path | None:
    root = data_dir.resolve()
    try:
        path = (root / rel).resolve()
    except (OSError, RuntimeError, ValueError):
        return None
    if root not in path.parents:
        return None
    return path


def _delete_files(data_dir: Path, rels: list[str], dry_run: bool) -> tuple[int, int, int]:
    """(files deleted, bytes, unsafe paths refused)."""
    files = size = unsafe = 0
    for rel in rels:
        path = _safe_file(data_dir, rel)
        if path is None:
            unsafe += 1
            log.warning("retention refused a path outside the data directory")
            continue
        if path.is_file():
            files += 1
            size += path.stat().st_size
            if not dry_run:
                path.unlink()
                parent = path.parent
                if parent != data_dir.resolve() and not any(parent.iterdir()):
                    parent.rmdir()
    return files, size, unsafe


def apply_retention(
    store: Any,
    policy: RetentionPolicy,
    *,
    now: datetime,
    dry_run: bool = False,
    audit: Any = None,
) -> RetentionReport:
    """Delete what the policy says is due at ``now``; return what was (or would be) done."""
    now = _aware(now)
    report = RetentionReport(now.isoformat(), dry_run)
    data_dir: Path = store.data_dir
    audio_cut = now - timedelta(days=policy.audio_days)
    call_cut = now - timedelta(days=policy.transcript_days) if policy.transcript_days else None

    def ended_before(cut: datetime) -> Any:
        return (CallRow.state.in_(ENDED_STATES)) & or_(
            CallRow.ended_at < cut, (CallRow.ended_at.is_(None)) & (CallRow.updated_at < cut)
        )

    with store.session() as s:
        held = s.scalars(
            select(CallRow.id).where(ended_before(audio_cut), CallRow.legal_hold.is_(True))
        ).all()
        report.kept_on_hold = sorted(held)
        doomed_calls: list[str] = []
        if call_cut is not None:
            doomed_calls = list(s.scalars(
                select(CallRow.id).where(ended_before(call_cut), CallRow.legal_hold.is_(False))
            ))
        audio_rows = s.execute(
            select(AudioFileRow.call_id, AudioFileRow.path)
            .join(CallRow, CallRow.id == AudioFileRow.call_id)
            .where(ended_before(audio_cut), CallRow.legal_hold.is_(False))
        ).all()

    by_call: dict[str, list[str]] = {}
    for call_id, rel in audio_rows:
        by_call.setdefault(call_id, []).append(rel)

    for call_id in sorted(set(by_call) - set(doomed_calls)):
        files, size, unsafe = _delete_files(data_dir, by_call[call_id], dry_run)
        report.unsafe_paths += unsafe
        if not dry_run:
            with store.session() as s:
                s.execute(delete(AudioFileRow).where(AudioFileRow.call_id == call_id))
                row = s.get(CallRow, call_id)
                if row is not None:
                    row.record_audio = False
        report.deletions.append(Deletion(call_id, "audio", files, size))
        _audit(audit, dry_run, "retention_delete_audio", call_id, files, size)

    for call_id in doomed_calls:
        files, size, unsafe = _delete_files(data_dir, by_call.get(call_id, []), dry_run)
        report.unsafe_paths += unsafe
        if not dry_run:
            with store.session() as s:
                row = s.get(CallRow, call_id)
                if row is not None and not row.legal_hold:  # re-checked inside the write
                    s.delete(row)  # utterances, cues, feedback, notes go by cascade
        report.deletions.append(Deletion(call_id, "call", files, size))
        _audit(audit, dry_run, "retention_delete_call", call_id, files, size)

    if audit is not None:
        audit.record("retention", "retention_run", detail={
            "dry_run": dry_run, "deleted": len(report.deletions),
            "kept_on_hold": len(report.kept_on_hold), "unsafe_paths": report.unsafe_paths,
        })
    log.info("retention applied", extra={"dry_run": dry_run, "deleted": len(report.deletions),
                                         "kept_on_hold": len(report.kept_on_hold)})
    return report


def _audit(audit: Any, dry_run: bool, action: str, call_id: str, files: int, size: int) -> None:
    if audit is None or dry_run:
        return
    audit.record("retention", action, target_type="call", target_id=call_id,
                 detail={"files": files, "bytes": size})


def policy_from(security: Any) -> RetentionPolicy:
    return RetentionPolicy(security.retention_audio_days, security.retention_transcript_days)


async def retention_loop(
    store: Any, policy: RetentionPolicy, interval_s: float, *, audit: Any = None,
    clock: Clock = lambda: datetime.now(UTC),
) -> None:
    """Apply the policy every ``interval_s`` until cancelled (errors logged, loop kept)."""
    while True:
        try:
            await asyncio.to_thread(apply_retention, store, policy, now=clock(), audit=audit)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("retention run failed")
        await asyncio.sleep(interval_s)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="heard retention", description=__doc__.split("\n\n")[0])
    ap.add_argument("--dry-run", action="store_true", help="say what would be deleted")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--config", type=Path)
    ap.add_argument("--data-dir", type=Path)
    args = ap.parse_args(argv)
    from app.security.audit import AuditLog
    from app.security.cli_common import open_store

    store, settings = open_store(args.config, args.data_dir)
    try:
        audit = AuditLog(store)
        report = apply_retention(store, policy_from(settings.security),
                                 now=datetime.now(UTC), dry_run=args.dry_run, audit=audit)
    finally:
        store.close()
    if args.json:
        print(json.dumps(report.as_json(), indent=2))
    else:
        verb = "would delete" if args.dry_run else "deleted"
        audio = sum(1 for d in report.deletions if d.what == "audio")
        calls = sum(1 for d in report.deletions if d.what == "call")
        print(f"{verb}: recordings of {audio} call(s), {calls} whole call(s); "
              f"kept on legal hold: {len(report.kept_on_hold)}")
        if report.unsafe_paths:
            print(f"refused {report.unsafe_paths} path(s) outside the data directory",
                  file=sys.stderr)
    return 0
