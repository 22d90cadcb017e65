"""The server's playbook: the configured file, reloaded for new calls, a broken edit
never taking the server (or a new call) down."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import SettingsError, load_settings
from cues.playbook import DEFAULT_PATH
from tests.serverkit import settings_for
from tests.test_ingest_pcm import SCRIPT, start, stream, wait_for
from transcription.fake import FakeTranscriptionService


def one_call(client: TestClient, call_id: str) -> list[str]:
    with client.websocket_connect("/ingest/pcm") as ws:
        ws.send_text(start(call_id))
        stream(ws, 3.0)
        ws.send_text(json.dumps({"event": "stop"}))
    wait_for(client, call_id, "ended")
    return [c["kind"] for c in client.get(f"/api/calls/{call_id}/cues").json()["cues"]]


def test_a_broken_edit_keeps_the_last_good_playbook(
    tmp_path: Path, as_admin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    book = tmp_path / "my-playbook.yaml"
    shutil.copyfile(DEFAULT_PATH, book)
    app = as_admin(
        create_app(
            settings_for(tmp_path / "data", playbook_path=book),
            transcriber=FakeTranscriptionService(SCRIPT),
        )
    )
    with TestClient(app) as client:
        live = app.state.playbook
        assert live.path == book
        assert "orient" in one_call(client, "pb-1")
        good = live.playbook

        book.write_text(book.read_text() + "\nkinds: [this is not, a playbook\n")
        with caplog.at_level(logging.ERROR, logger="heard.playbook"):
            live.refresh()  # what the watcher does off the loop each second
            live.refresh()  # ...and an unchanged broken file is not reported again
        assert live.playbook is good
        errors = [r for r in caplog.records if r.name == "heard.playbook"]
        assert len(errors) == 1
        assert str(book) in errors[0].getMessage() and errors[0].file_line is not None
        assert "orient" in one_call(client, "pb-2")  # new call, last good playbook
        assert client.get("/healthz").status_code == 200

        shutil.copyfile(DEFAULT_PATH, book)  # fixed: the next refresh takes it
        book.write_text(book.read_text() + "\n# edited\n")
        live.refresh()
        assert live.store.last_error is None and live.playbook is not good


def test_a_missing_playbook_file_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="playbook_path"):
        load_settings(None, data_dir=tmp_path, playbook_path=tmp_path / "nope.yaml")


def test_the_packaged_playbook_is_the_default() -> None:
    assert settings_for(Path("unused")).playbook_path == DEFAULT_PATH
