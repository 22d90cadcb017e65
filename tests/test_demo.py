"""`heard demo`: the call it plays, where it finds it, and its port choice."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from app import demo
from cues.evaluate import run_script
from cues.scripts import load_script


def test_shipped_demo_call_is_a_valid_script_that_raises_its_cards() -> None:
    script = load_script(demo.PACKAGE_CALL)
    assert script.id == "demo_call"
    assert {t.speaker for t in script.turns} == {"caller", "agent"}
    # The fallback demo must show cards: the text engine raises what it lists.
    run = run_script(script)
    assert run.raised == script.expected()
    assert len(run.raised) >= 3


def test_demo_call_is_packaged() -> None:
    text = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert "demo_call.yaml" in text


def test_finds_the_shared_call_beside_the_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "main"
    calls = tmp_path / "shared" / "calls"
    repo.mkdir()
    calls.mkdir(parents=True)
    monkeypatch.chdir(repo)
    monkeypatch.setattr(demo, "__file__", str(tmp_path / "elsewhere" / "app" / "demo.py"))
    assert demo.find_demo_script() == demo.PACKAGE_CALL  # no shared script: ours
    (calls / demo.SHARED_CALL).write_text("id: x\n")
    assert demo.find_demo_script() == calls / demo.SHARED_CALL
    assert demo.find_demo_script(Path("mine.yaml")) == Path("mine.yaml")


def test_the_shared_demo_call_loads(shared_dir: Path) -> None:
    script = load_script(shared_dir / "calls" / demo.SHARED_CALL)
    assert script.expected()  # it shows cards


def test_pick_port_skips_a_taken_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        got = demo.pick_port("127.0.0.1", taken)
        assert got != taken
        assert demo.port_free("127.0.0.1", got)
