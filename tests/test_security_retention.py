"""Retention on a clock the test controls: files and rows go when due, legal hold and
live calls stay, paths outside the data directory are refused, every deletion audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from app.retention import RetentionPolicy, apply_retention, main
from app.security.audit import AuditLog
from app.store import Store
from app.store.models import AudioFileRow, CallRow, UtteranceRow

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def _call(store: Store, call_id: str, *, ended_days_ago: float | None, hold: bool = False,
          audio: list[str] | None = None) -> None:
    store.open_call(call_id, "agent", "pcm")
    with store.session() as s:
        row = s.get(CallRow, call_id)
        assert row is not None
        if ended_days_ago is not None:
            row.state = "ended"
            row.ended_at = NOW - timedelta(days=ended_days_ago)
        else:
            row.started_at = NOW - timedelta(days=400)
        row.legal_hold = hold
        s.add(UtteranceRow(call_id=call_id, speaker="caller", seq=0, text="my number is ...",
                           start=0.0, end=1.0, confidence=0.9, words=[], created_at=NOW))
    for rel in audio or []:
        path = (store.data_dir / rel)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF" + b"\0" * 100)
        store.upsert_audio_file(call_id, "caller" if "caller" in rel else "agent", rel, 1.0, 16000)


def _setup(tmp_path: Path) -> tuple[Store, AuditLog, Path]:
    data = tmp_path / "data"
    data.mkdir()
    store = Store(f"sqlite:///{data / 'heard.db'}", data)
    store.migrate()
    outside = tmp_path / "outside.wav"
    outside.write_bytes(b"not ours")
    _call(store, "audio-due", ended_days_ago=40,
          audio=["recordings/audio-due/caller.wav", "recordings/audio-due/agent.wav"])
    _call(store, "call-due", ended_days_ago=400, audio=["recordings/call-due/caller.wav"])
    _call(store, "held", ended_days_ago=400, hold=True, audio=["recordings/held/caller.wav"])
    _call(store, "recent", ended_days_ago=5, audio=["recordings/recent/caller.wav"])
    _call(store, "live", ended_days_ago=None, audio=["recordings/live/caller.wav"])
    _call(store, "evil", ended_days_ago=40)
    with store.session() as s:
        s.add(AudioFileRow(call_id="evil", speaker="caller", path="../outside.wav",
                           sample_rate=16000, seconds=1.0, created_at=NOW, updated_at=NOW))
    return store, AuditLog(store, clock=lambda: NOW), outside


def _ids(store: Store) -> set[str]:
    with store.session() as s:
        return set(s.scalars(select(CallRow.id)))


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    store, audit, _ = _setup(tmp_path)
    report = apply_retention(store, RetentionPolicy(30, 365), now=NOW, dry_run=True, audit=audit)
    done = {(d.call_id, d.what) for d in report.deletions}
    assert done == {("audio-due", "audio"), ("call-due", "call"), ("evil", "audio")}
    assert report.kept_on_hold == ["held"]
    assert (store.data_dir / "recordings/audio-due/caller.wav").exists()
    assert "call-due" in _ids(store)
    assert not audit.query(action="retention_delete_call")


def test_retention_deletes_due_files_and_rows_only(tmp_path: Path) -> None:
    store, audit, outside = _setup(tmp_path)
    report = apply_retention(store, RetentionPolicy(30, 365), now=NOW, audit=audit)
    d = store.data_dir
    # audio-due: recordings gone (files, folder, rows); the transcript stays.
    assert not (d / "recordings/audio-due").exists()
    assert store.audio_file("audio-due", "caller") is None
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(UtteranceRow)
                        .where(UtteranceRow.call_id == "audio-due")) == 1
        # call-due: the whole call and its rows (cascade) and files.
        assert s.scalar(select(func.count()).select_from(UtteranceRow)
                        .where(UtteranceRow.call_id == "call-due")) == 0
    assert "call-due" not in _ids(store)
    assert not (d / "recordings/call-due/caller.wav").exists()
    # Kept: on hold, recent, live.
    for kept in ("held", "recent", "live"):
        assert kept in _ids(store)
        assert (d / f"recordings/{kept}/caller.wav").exists()
    # A stored path leading outside the data directory is refused, never followed.
    assert outside.read_bytes() == b"not ours" and report.unsafe_paths == 1
    # Audited, each deletion and the run.
    assert {e.target_id for e in audit.query(action="retention_delete_audio")} == {
        "audio-due", "evil"}
    assert [e.target_id for e in audit.query(action="retention_delete_call")] == ["call-due"]
    assert audit.query(action="retention_run")[0].detail["deleted"] == 3


def test_the_clock_decides(tmp_path: Path) -> None:
    store, audit, _ = _setup(tmp_path)
    early = apply_retention(store, RetentionPolicy(30, 365), now=NOW - timedelta(days=20),
                            audit=audit)
    # 20 days earlier the 40-day-old recordings were 20 days old: not due yet.
    assert [(x.call_id, x.what) for x in early.deletions] == [("call-due", "call")]
    later = apply_retention(store, RetentionPolicy(30, 365), now=NOW + timedelta(days=30),
                            audit=audit)
    assert ("recent", "audio") in {(x.call_id, x.what) for x in later.deletions}


def test_transcripts_kept_when_days_is_zero(tmp_path: Path) -> None:
    store, audit, _ = _setup(tmp_path)
    apply_retention(store, RetentionPolicy(30, 0), now=NOW + timedelta(days=3650), audit=audit)
    assert {"audio-due", "call-due", "held", "recent", "live"} <= _ids(store)


def test_cli_dry_run(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    store, _audit, _ = _setup(tmp_path)
    store.close()
    assert main(["--dry-run", "--data-dir", str(tmp_path / "data")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("would delete:")
    assert (tmp_path / "data/recordings/audio-due/caller.wav").exists()
