"""heard users and heard routes --json, as an operator runs them."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from app import routes_cli, users_cli
from app.security.audit import AuditLog
from app.security.cli_common import open_store
from app.security.users import UserStore


def run(argv: list[str], capsys, stdin: str | None = None,  # type: ignore[no-untyped-def]
        monkeypatch=None) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = users_cli.main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_users_add_list_reset_remove(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    d = ["--data-dir", str(tmp_path)]
    code, out, _ = run([*d, "add", "maria", "--role", "agent", "--role", "supervisor"], capsys)
    assert code == 0 and "password: " in out
    generated = out.split("password: ")[1].strip()
    code, out, _ = run([*d, "add", "sam", "--role", "trainer", "--password-stdin"], capsys,
                       stdin="a-long-enough-password\n", monkeypatch=monkeypatch)
    assert code == 0 and "password:" not in out
    code, out, _ = run([*d, "list", "--json"], capsys)
    users = {u["username"]: u for u in json.loads(out)}
    assert users["maria"]["roles"] == ["agent", "supervisor"] and "password" not in out
    code, _, err = run([*d, "add", "maria", "--role", "agent"], capsys)
    assert code == 2 and "exists" in err
    code, _, err = run([*d, "add", "Bad Name!", "--role", "agent"], capsys)
    assert code == 2
    code, _, err = run([*d, "add", "weak", "--role", "agent", "--password-stdin"], capsys,
                       stdin="short\n", monkeypatch=monkeypatch)
    assert code == 2 and "at least" in err
    with pytest.raises(SystemExit):
        run([*d, "add", "x1", "--role", "superuser"], capsys)
    store, _ = open_store(None, tmp_path)
    users_store = UserStore(store)
    assert users_store.verify("maria", generated) is not None
    epoch = users_store.get("maria").session_epoch  # type: ignore[union-attr]
    store.close()
    code, out, _ = run([*d, "reset", "maria"], capsys)
    assert code == 0 and "sessions have ended" in out
    code, out, _ = run([*d, "remove", "sam"], capsys)
    assert code == 0
    code, _, err = run([*d, "remove", "sam"], capsys)
    assert code == 1
    store, _ = open_store(None, tmp_path)
    assert UserStore(store).get("maria").session_epoch == epoch + 1  # type: ignore[union-attr]
    assert UserStore(store).get("sam") is None
    actions = [e.action for e in AuditLog(store).query()]
    assert actions.count("user_add") == 2 and "user_reset" in actions and "user_remove" in actions
    store.close()


def test_routes_json(capsys) -> None:  # type: ignore[no-untyped-def]
    assert routes_cli.main(["--json"]) == 0
    routes = json.loads(capsys.readouterr().out)
    by_path = {(r["path"], r["kind"]): r for r in routes}
    assert by_path[("/login", "http")]["roles"] == []
    assert by_path[("/healthz", "http")]["auth"] == "public"
    assert by_path[("/static/{path}", "http")]["roles"] == []
    assert by_path[("/admin", "http")]["roles"] == ["admin"]
    assert by_path[("/ws/supervisor", "websocket")]["roles"] == ["admin", "supervisor"]
    assert by_path[("/ingest/twilio", "websocket")]["auth"] == "integration"
    assert set(by_path[("/api/calls/{call_id}/transcript", "http")]["methods"]) == {"GET"}
