"""heard import end to end with the real model: synthesized calls with known cues are
transcribed and evaluated, nothing is imported twice, a killed import resumes, and a
mono recording is imported only when asked, flagged as such."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from app.importer import main as import_main
from cues.scripts import Script, parse_script
from transcription.synth import synthesize_script

pytestmark = [pytest.mark.model, pytest.mark.slow]

ABUSE = """
id: import-abuse-refill
title: Caller insults the agent over a refill
turns:
  - agent: "Pharmacy refills, this is Sam. How can I help?"
  - caller: "I need my blood pressure pills refilled, I'm out as of this morning."
  - agent: "Sure, can I have your name and date of birth?"
  - caller: "Are you stupid or something? You people are useless idiots."
    cues: [abuse]
  - agent: "I want to help; please keep it respectful. I've sent the refill to your pharmacy."
  - caller: "Fine. Bye."
    cues: [take_a_reset]
call:
  arrival: angry
  departments: [pharmacy]
  stakes: [medication]
  resolvable: true
  heavy: true
"""

ROUTINE = """
id: import-routine-address
title: Address change
turns:
  - agent: "Good morning, Lakeside Family Medicine, this is Dana. How can I help?"
  - caller: "Hi Dana, I moved last week and I'd like to update my mailing address."
  - agent: "Of course. What's the new street address?"
  - caller: "It's twelve Birch Lane, apartment four."
  - agent: "Got it, that's updated. Anything else I can do for you today?"
  - caller: "No, that's all. Thanks so much."
call:
  arrival: calm
  resolvable: true
  heavy: false
"""


def _mp3(path: Path, audio: np.ndarray, rate: int) -> None:
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("mp3", rate=rate, layout="stereo")
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        for i in range(0, len(pcm), rate):
            frame = av.AudioFrame.from_ndarray(
                pcm[i : i + rate].reshape(1, -1), format="s16", layout="stereo"
            )
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)


@pytest.fixture(scope="module")
def scripts() -> dict[str, Script]:
    return {s.id: s for s in (parse_script(ABUSE), parse_script(ROUTINE))}


@pytest.fixture(scope="module")
def calls(tmp_path_factory: pytest.TempPathFactory, scripts: dict[str, Script]) -> Path:
    """abuse.wav (stereo WAV), routine.mp3 (stereo MP3), abuse-2.flac (another take)."""
    d = tmp_path_factory.mktemp("synth")
    abuse = synthesize_script(scripts["import-abuse-refill"], seed=1)
    abuse.write(d / "abuse.wav")
    routine = synthesize_script(scripts["import-routine-address"], seed=1)
    _mp3(d / "routine.mp3", routine.audio, routine.sample_rate)
    again = synthesize_script(scripts["import-abuse-refill"], seed=7)
    sf.write(str(d / "abuse-2.flac"), again.audio, again.sample_rate)
    sf.write(str(d / "routine-mono.flac"), routine.audio.mean(axis=1), routine.sample_rate)
    return d


def _db(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "heard.db")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict]:
    code = import_main(list(argv))
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1])


def test_import_transcribes_and_evaluates_known_cues_then_skips_on_rerun(
    tmp_path: Path, calls: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    (src / "2026-11" / "bad").mkdir(parents=True)
    for name in ("abuse.wav", "routine.mp3"):
        (src / "2026-11" / name).write_bytes((calls / name).read_bytes())
    (src / "2026-11" / "bad" / "noise.wav").write_bytes(os.urandom(8000))
    cut = (calls / "abuse.wav").read_bytes()
    (src / "2026-11" / "bad" / "cut.wav").write_bytes(cut[: len(cut) // 3])
    (src / "2026-11" / "bad" / "memo.ogg").write_bytes(b"OggS")
    (src / "README.txt").write_text("recordings of November")
    data = tmp_path / "data"

    code, summary = _run(capsys, str(src), "--data-dir", str(data), "--json")
    assert code == 1  # some files failed
    assert {k: summary[k] for k in ("files", "imported", "skipped", "failed")} == {
        "files": 5,
        "imported": 2,
        "skipped": 0,
        "failed": 3,
    }
    assert 40 < summary["audio_s"] < 200 and summary["wall_s"] > 0
    errors = {Path(e["file"]).name: e["error"] for e in summary["errors"]}
    assert errors["cut.wav"].startswith("truncated")
    assert errors["noise.wav"].startswith("corrupt")
    assert errors["memo.ogg"].startswith("unsupported format")
    with capsys.disabled():
        print(
            f"\nimport: {summary['audio_s']:.0f} s of audio in {summary['wall_s']:.1f} s "
            f"= {summary['x_realtime']}x real time (model load included)"
        )

    db = _db(data)
    calls_rows = dict(db.execute("select id, source from calls").fetchall())
    assert len(calls_rows) == 2 and set(calls_rows.values()) == {"import"}
    by_file = dict(db.execute("select path, call_id from import_files where status='done'"))
    abuse_id = by_file[str(src / "2026-11" / "abuse.wav")]
    routine_id = by_file[str(src / "2026-11" / "routine.mp3")]
    kinds = {k for (k,) in db.execute("select kind from cues where call_id=?", (abuse_id,))}
    assert {"abuse", "take_a_reset"} <= kinds
    assert db.execute("select count(*) from cues where call_id=?", (routine_id,)).fetchone()[0] == 0
    ctx = json.loads(db.execute("select context from calls where id=?", (abuse_id,)).fetchone()[0])
    assert ctx["heavy"] is True and ctx["arrival"] == "angry"
    speakers = {
        s for (s,) in db.execute("select speaker from utterances where call_id=?", (abuse_id,))
    }
    assert speakers == {"caller", "agent"}
    words = db.execute(
        "select text, words from utterances where call_id=? and speaker='caller' order by start",
        (abuse_id,),
    ).fetchall()
    assert any("stupid" in t.lower() for t, _ in words)
    assert all(json.loads(w) for _, w in words)  # word times kept for the replay
    assert db.execute("select rubric from calls where id=?", (abuse_id,)).fetchone()[0]
    audio = dict(db.execute("select speaker, path from audio_files where call_id=?", (abuse_id,)))
    assert set(audio) == {"caller", "agent"} and all((data / p).is_file() for p in audio.values())

    # Again, plus a renamed copy: nothing is imported twice.
    (src / "copy-of-abuse.wav").write_bytes((calls / "abuse.wav").read_bytes())
    code, again = _run(capsys, str(src), "--data-dir", str(data), "--json")
    assert (again["files"], again["imported"], again["skipped"], again["failed"]) == (6, 0, 3, 3)
    assert db.execute("select count(*) from calls").fetchone()[0] == 2
    assert (
        db.execute(
            "select count(*) from (select call_id, speaker, seq from utterances "
            "group by call_id, speaker, seq having count(*) > 1)"
        ).fetchone()[0]
        == 0
    )


def test_mono_needs_the_flag_and_is_flagged(
    tmp_path: Path, calls: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "mono.flac").write_bytes((calls / "routine-mono.flac").read_bytes())
    data = tmp_path / "data"
    code, summary = _run(capsys, str(src), "--data-dir", str(data), "--json")
    assert summary["failed"] == 1 and "pass --mono" in summary["errors"][0]["error"]
    code, summary = _run(capsys, str(src), "--data-dir", str(data), "--mono", "--json")
    assert code == 0 and summary["imported"] == 1
    db = _db(data)
    assert db.execute("select mono from import_files").fetchone()[0] == 1
    assert {s for (s,) in db.execute("select speaker from utterances")} == {"caller"}
    from app import library
    from tests.trainer_seed import open_store

    entries = library.load_entries(open_store(data))
    assert len(entries) == 1 and entries[0].mono


def test_an_import_killed_halfway_resumes_without_duplicates(tmp_path: Path, calls: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for name in ("abuse.wav", "abuse-2.flac", "routine.mp3"):
        (src / name).write_bytes((calls / name).read_bytes())
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "app.cli", "import", str(src), "--data-dir", str(data), "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 240
    done = 0
    try:
        while done < 1:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline, "the first file never finished"
            time.sleep(0.2)
            if (data / "heard.db").exists():
                try:
                    done = (
                        _db(data)
                        .execute("select count(*) from import_files where status='done'")
                        .fetchone()[0]
                    )
                except sqlite3.OperationalError:
                    done = 0  # tables not created yet
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    db = _db(data)
    states = dict(db.execute("select path, status from import_files"))
    finished = [p for p, s in states.items() if s == "done"]
    assert 1 <= len(finished) < 3

    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    summary = json.loads(out.stdout.strip().splitlines()[-1])
    assert out.returncode == 0, out.stderr
    assert summary["files"] == 3 and summary["failed"] == 0
    assert summary["skipped"] == len(finished) and summary["imported"] == 3 - len(finished)
    assert "import done" in out.stderr and "3/3" in out.stderr  # the progress on stderr
    assert {s for (s,) in db.execute("select status from import_files")} == {"done"}
    assert db.execute("select count(*) from calls").fetchone()[0] == 3
    assert (
        db.execute(
            "select count(*) from (select call_id, speaker, seq from utterances "
            "group by call_id, speaker, seq having count(*) > 1)"
        ).fetchone()[0]
        == 0
    )
    # Every call that a killed run left half-written was redone whole.
    for (call_id,) in db.execute("select id from calls"):
        assert (
            db.execute("select count(*) from utterances where call_id=?", (call_id,)).fetchone()[0]
            >= 4
        )
