"""The store on a real SQLite file: migrations, writes as events happen, reads, recordings."""

from __future__ import annotations

import functools
import os
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import uuid
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import text

from app.settings import Settings, SettingsError, load_settings
from app.store import Store
from app.store.recordings import UnsafePathError, WavAppender, recording_path, safe_name
from cues.types import CallContext, CriterionScore, Cue, Evidence, Rubric
from transcription.types import Utterance, Word


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[tuple[str, int]]:
    """A throwaway PostgreSQL cluster (unix socket only), if this machine has one to run."""
    initdb = shutil.which("initdb")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg not installed (pip install 'heard[postgres]')")
    if initdb is None or shutil.which("runuser") is None:
        pytest.skip("no PostgreSQL server binaries here")
    # Not under pytest's 0700 temp root: the postgres user must reach it.
    base = Path(tempfile.mkdtemp(prefix="heard-pg-"))
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_pg:
        shutil.chown(base, "postgres")
    data, port = base / "data", _free_port()
    run = functools.partial(subprocess.run, check=True, capture_output=True, timeout=60)
    run([*as_pg, initdb, "-D", str(data), "-A", "trust", "-U", "heard"])
    opts = f"-p {port} -k {base} -c listen_addresses='' -c fsync=off"
    run([*as_pg, "pg_ctl", "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"])
    try:
        yield str(base), port
    finally:
        subprocess.run(
            [*as_pg, "pg_ctl", "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'heard.db'}"
    else:
        host, port = request.getfixturevalue("pg_cluster")
        name = "t_" + uuid.uuid4().hex[:12]
        admin = Store(f"postgresql+psycopg://heard@/postgres?host={host}&port={port}", tmp_path)
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        admin.close()
        url = f"postgresql+psycopg://heard@/{name}?host={host}&port={port}"
    s = Store(url, tmp_path)
    s.migrate()
    yield s
    s.close()


def utt(seq: int, speaker: str = "caller", call: str = "c1") -> Utterance:
    words = (Word("hello", seq, seq + 0.4, 0.8), Word("there", seq + 0.4, seq + 0.9, 0.6))
    return Utterance(call, speaker, seq, "hello there", seq, seq + 0.9, True, words)  # type: ignore[arg-type]


def cue(kind: str = "orient", refreshed: int = 0) -> Cue:
    ev = Evidence("c1:caller:0", "caller", "hello", 0.0, 0.4)
    return Cue(f"c1:{kind}", "c1", kind, "Title", "Line", "warn", ev, 0.9, 0, refreshed)  # type: ignore[arg-type]


def test_migrations_are_idempotent_and_sqlite_runs_in_wal(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'heard.db'}", tmp_path)
    store.migrate()
    store.migrate()  # a second start-up
    con = sqlite3.connect(tmp_path / "heard.db")
    assert con.execute("pragma journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("select name from sqlite_master where type='table'")}
    assert {
        "calls",
        "utterances",
        "cues",
        "cue_feedback",
        "audio_files",
        "resets",
        "call_agents",
    } <= tables
    assert con.execute("select count(*) from alembic_version").fetchone()[0] >= 1


def test_a_call_written_as_it_happens_and_read_back(store: Store) -> None:
    assert store.open_call("c1", "ann", "twilio") is True
    store.add_utterance(utt(0))
    store.add_utterance(utt(0))  # idempotent (a retried write)
    store.add_utterance(utt(1, "agent"))
    with pytest.raises(ValueError):
        store.add_utterance(Utterance("c1", "caller", 5, "partial", 0, 1, False))
    store.upsert_cue(cue(), delivered_at=1000.0, latency_s=0.25)
    store.upsert_cue(cue(refreshed=2))  # refreshed in place
    store.set_context("c1", CallContext(arrival="anxious", stakes=("money",), heavy=True))
    store.set_agent("c1", "bob", from_s=1.5)
    rubric = Rubric((CriterionScore("ownership", 0.5, ("I'll call you",), "owner named"),))
    store.set_rubric("c1", rubric, heavy=True)
    store.set_state("c1", "ended", reason="stop", duration_s=2.0)

    call = store.get_call("c1")
    assert call is not None
    assert (call.agent, call.state, call.end_reason, call.heavy) == ("bob", "ended", "stop", True)
    assert call.context.arrival == "anxious" and call.context.stakes == ("money",)
    assert call.rubric == rubric
    assert [(a.agent, a.reason, a.from_s) for a in call.agents] == [
        ("ann", "start", 0.0),
        ("bob", "transfer", 1.5),
    ]
    assert call.ended_at is not None and call.duration_s == 2.0
    transcript = store.transcript("c1")
    assert [(u.speaker, u.seq) for u in transcript] == [("caller", 0), ("agent", 1)]
    assert transcript[0].words[1] == Word("there", 0.4, 0.9, 0.6)
    assert store.next_seqs("c1") == {"caller": 1, "agent": 2}
    (stored,) = store.cues("c1")
    assert stored.cue.refreshed == 2 and stored.latency_s == 0.25
    assert stored.delivered_at.timestamp() == 1000.0
    assert call.as_json()["context"]["arrival"] == "anxious"


def test_feedback_one_answer_per_user_replaced(store: Store) -> None:
    store.open_call("c1", "ann", "pcm")
    store.upsert_cue(cue())
    assert store.add_feedback("c1", "c1:orient", "used", "ann")
    assert store.add_feedback("c1", "c1:orient", "not_helpful", "ann")
    assert store.add_feedback("c1", "c1:orient", "used", "sue")
    assert not store.add_feedback("c1", "c1:nope", "used", "ann")
    with pytest.raises(ValueError):
        store.add_feedback("c1", "c1:orient", "meh", "ann")
    assert store.cues("c1")[0].feedback == {"ann": "not_helpful", "sue": "used"}


def test_restart_marks_live_and_held_calls_interrupted(store: Store) -> None:
    for cid, state in (("a", "live"), ("b", "on_hold"), ("c", "ended")):
        store.open_call(cid, "ann", "pcm")
        store.set_state(cid, state)
    assert sorted(store.mark_interrupted()) == ["a", "b"]
    assert [store.get_call(c).state for c in "abc"] == ["interrupted", "interrupted", "ended"]  # type: ignore[union-attr]
    assert store.mark_interrupted() == []
    # a reconnect after the restart makes it live again, history kept
    store.add_utterance(utt(0, call="a"))
    assert store.open_call("a", "ann", "pcm") is False
    assert store.get_call("a").state == "live"  # type: ignore[union-attr]
    assert len(store.transcript("a")) == 1


def test_resets_and_heavy_calls_per_agent(store: Store) -> None:
    from datetime import UTC, datetime, timedelta

    store.open_call("h1", "ann", "pcm")
    store.set_rubric("h1", None, heavy=True)
    store.add_reset("ann", "h1", at=1_700_000_000.0)
    store.add_reset("ann", "no-such-call")  # kept, without the dangling call
    assert store.last_reset("ann") is not None
    assert store.heavy_calls_since("ann", datetime.now(UTC) - timedelta(hours=1)) == 1
    assert store.heavy_calls_since("bob", datetime.now(UTC) - timedelta(hours=1)) == 0


@pytest.mark.parametrize(
    "call_id", ["../../etc/passwd", "..", ".", "a/b", "CA123", "x" * 300, "tëst id", "\x00nul"]
)
def test_recording_paths_stay_inside_and_never_collide(tmp_path: Path, call_id: str) -> None:
    path = recording_path(tmp_path / "recordings", call_id, "caller")
    assert (tmp_path / "recordings").resolve() in path.parents
    assert path.name == "caller.wav" and ".." not in path.parts
    assert safe_name(call_id) != safe_name(call_id + "_")
    with pytest.raises(UnsafePathError):
        recording_path(tmp_path, call_id, "../x")  # type: ignore[arg-type]


def test_safe_names_distinguish_ids_that_clean_alike() -> None:
    assert safe_name("a/b") != safe_name("a_b") and safe_name("a_b") == "a_b"


def test_wav_appender_lays_audio_on_the_call_clock_and_survives_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "rec" / "caller.wav"
    wav = WavAppender(path)
    one = np.full(16000, 0.5, np.float32)
    wav.write(one, 0.0)
    wav.write(one, 2.0)  # a 1 s gap: filled with silence
    wav.write(one[:8000], 2.5)  # overlaps what is written: trimmed
    # no close(): as if killed. The header already tells the truth.
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2)
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2")
    assert len(frames) == 3 * 16000
    assert frames[16000:32000].max() == 0 and frames[:16000].min() > 16000
    # a torn half sample at the end is dropped when the file is reopened to resume
    with path.open("ab") as f:
        f.write(b"\x01")
    again = WavAppender(path)
    assert again.samples == 3 * 16000
    again.write(one[:1600], 3.0)
    again.close()
    with wave.open(str(path)) as w:
        assert w.getnframes() == 3 * 16000 + 1600


def test_settings_booleans_env_file_and_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEARD_RECORD_AUDIO", "false")
    assert Settings().record_audio is False
    monkeypatch.setenv("HEARD_RECORD_AUDIO", "0")
    assert Settings().record_audio is False
    monkeypatch.setenv("HEARD_RECORD_AUDIO", "yes")
    assert Settings().record_audio is True
    cfg = tmp_path / "heard.toml"
    cfg.write_text("port = 9001\nrecord_audio = false\n[transcription]\npartials = false\n")
    s = load_settings(cfg, data_dir=tmp_path / "d")
    assert (s.port, s.record_audio, s.transcription.partials) == (
        9001,
        True,
        False,
    )  # env beats file
    assert s.db_url.startswith("sqlite:///") and s.db_url.endswith("heard.db")
    monkeypatch.setenv("HEARD_RECORD_AUDIO", "maybe")
    with pytest.raises(SettingsError, match="HEARD_RECORD_AUDIO"):
        load_settings()
    monkeypatch.delenv("HEARD_RECORD_AUDIO")
    cfg.write_text("port = 'x'\n")
    with pytest.raises(SettingsError, match="port"):
        load_settings(cfg)
    cfg.write_text("prot = 1\n")
    with pytest.raises(SettingsError, match="prot"):
        load_settings(cfg)
    with pytest.raises(SettingsError, match="database_url"):
        load_settings(database_url="mysql://x")
    with pytest.raises(SettingsError, match="threads"):
        load_settings(transcription={"threads": 0})
    assert Settings(database_url="postgresql://u@h/db").db_url == "postgresql+psycopg://u@h/db"


def test_heard_serve_refuses_bad_settings_before_starting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.server import main

    cfg = tmp_path / "heard.yaml"
    cfg.write_text("port: 70000\nrecord_audio: perhaps\n")
    assert main(["--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "port" in err and "record_audio" in err and "HEARD_RECORD_AUDIO" in err
    assert main(["--config", str(tmp_path / "missing.toml")]) == 2
    assert "missing.toml" in capsys.readouterr().err


async def test_recorder_hands_audio_over_in_batches_and_flushes_a_call_at_once(
    tmp_path: Path,
) -> None:
    from app.store.recorder import BATCH_S, Recorder
    from app.store.writer import Writer
    from transcription.types import AudioChunk

    s = Store(f"sqlite:///{tmp_path / 'heard.db'}", tmp_path)
    s.migrate()
    s.open_call("c1", "ann", "pcm")
    db_writer = Writer("heard-writer")
    db_writer.start()
    rec = Recorder(s, db_writer, tmp_path / "recordings")
    rec.start()
    submitted: list[object] = []
    real_submit = rec.writer.submit

    def counting_submit(fn: Any, *args: Any, **kwargs: Any) -> Any:
        submitted.append(fn)
        return real_submit(fn, *args, **kwargs)

    rec.writer.submit = counting_submit  # type: ignore[method-assign]
    frame = np.full(320, 0.25, np.float32)  # 20 ms
    per_batch = round(BATCH_S / 0.02)
    for i in range(per_batch * 3 + 2):
        rec.append(AudioChunk("c1", "caller", frame, i * 0.02))
    assert len(submitted) == 3  # one hand-over per batch, not per chunk
    rec.flush_call("c1")  # hold, disconnect, end: the rest goes now
    assert len(submitted) == 4
    await rec.flush()
    await db_writer.flush()
    path = s.audio_file("c1", "caller")
    assert path is not None
    with wave.open(str(path)) as w:  # the header tells every sample written
        assert w.getnframes() == 320 * (per_batch * 3 + 2)
    rec.close()
    db_writer.close()
    s.close()
