"""The trainer's routes against the real app and store: roles, library filters and
sort, overrides beside the automatic score, debrief queue, notes, per-agent heavy
calls and resets, adjusted scores, reports, CSV and the stereo recording."""

from __future__ import annotations

import csv
import io
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fastapi.testclient import TestClient

from app.security.roles import Principal
from cues.types import CallContext
from tests.serverkit import make_app
from tests.trainer_seed import seed_call, utterance

HARD = CallContext(
    arrival="angry",
    departments=("billing", "pharmacy", "insurance"),
    repeat_contact=True,
    stakes=("money", "medication"),
    resolvable=False,
    heavy=True,
)
EASY = CallContext(arrival="calm", departments=("scheduling",), resolvable=True)


class Client:
    """A TestClient whose signed-in principal can be switched per request."""

    def __init__(self, app) -> None:
        self.who: Principal | None = Principal("tina", frozenset({"trainer"}))

        async def loader(conn):
            return self.who

        app.state.principal_loader = loader
        self.http = TestClient(app)

    def as_(self, username: str | None, *roles: str) -> TestClient:
        self.who = Principal(username, frozenset(roles)) if username else None  # type: ignore[arg-type]
        return self.http


@pytest.fixture
def env(tmp_path: Path):
    app = make_app(tmp_path, [])
    client = Client(app)
    with client.http:
        store = app.state.store
        day = datetime.now(UTC) - timedelta(days=3)
        seed_call(
            store,
            "hard-good",
            agent="ann",
            context=HARD,
            scores=(0.9, 0.8, 0.8, 0.7),
            kinds=("own_it", "validate_first", "real_timeline"),
            started_at=day.timestamp(),
        )
        seed_call(
            store,
            "hard-poor",
            agent="ann",
            context=HARD,
            scores=(0.2, 0.3, 0.3, 0.2),
            kinds=("abuse",),
            started_at=(day - timedelta(days=7)).timestamp(),
        )
        seed_call(
            store,
            "easy-good",
            agent="bob",
            context=EASY,
            scores=(0.9, 0.9, 0.9, 0.9),
            kinds=(),
            started_at=day.timestamp(),
            audio=False,
        )
        seed_call(
            store,
            "easy-poor",
            agent="=bob",
            context=EASY,
            scores=(0.5, 0.5, 0.5, 0.5),
            kinds=("real_timeline",),
            started_at=(day - timedelta(days=40)).timestamp(),
        )
        yield app, client, store


def _ids(html: str) -> list[str]:
    import re

    return re.findall(r'data-call-id="([^"]+)"', html)


def test_every_trainer_route_checks_the_role(env) -> None:
    _app, client, _store = env
    trainer_only = [
        "/trainer",
        "/trainer/calls/hard-good/report.html",
        "/trainer/calls/hard-good/report.pdf",
        "/trainer/scores.csv",
    ]
    reviewers = [
        "/trainer/calls/hard-good",
        "/trainer/calls/hard-good/replay.json",
        "/trainer/calls/hard-good/audio.wav",
        "/trainer/debriefs",
        "/trainer/agents/ann",
    ]
    for url in trainer_only + reviewers:
        assert client.as_(None).get(url).status_code == 401, url
        assert client.as_("al", "agent").get(url).status_code == 403, url
        assert client.as_("tina", "trainer").get(url).status_code == 200, url
        assert client.as_("root", "admin").get(url).status_code == 200, url
        expected = 200 if url in reviewers else 403
        assert client.as_("sue", "supervisor").get(url).status_code == expected, url
    http = client.as_("al", "agent")
    for url, form in [
        ("/trainer/calls/hard-good/overrides", {"criterion": "ownership", "score": "50"}),
        ("/trainer/calls/hard-good/notes", {"comment": "x"}),
        ("/trainer/calls/hard-good/debrief", {"team": "a"}),
    ]:
        assert http.post(url, data=form, follow_redirects=False).status_code == 403
    sup = client.as_("sue", "supervisor")
    assert sup.post("/trainer/calls/hard-good/notes", data={"comment": "x"}).status_code == 403
    assert (
        sup.post(
            "/trainer/calls/hard-good/debrief", data={"team": "a"}, follow_redirects=False
        ).status_code
        == 303
    )


def test_library_filters_and_sorts(env) -> None:
    _app, client, store = env
    http = client.as_("tina", "trainer")
    assert set(_ids(http.get("/trainer").text)) == {
        "hard-good",
        "hard-poor",
        "easy-good",
        "easy-poor",
    }
    assert _ids(http.get("/trainer?sort=difficulty&order=desc").text)[:2] in (
        ["hard-good", "hard-poor"],
        ["hard-poor", "hard-good"],
    )
    assert _ids(http.get("/trainer?sort=rubric&order=desc").text)[0] == "easy-good"
    assert set(_ids(http.get("/trainer?arrival=angry").text)) == {"hard-good", "hard-poor"}
    assert set(_ids(http.get("/trainer?heavy=no").text)) == {"easy-good", "easy-poor"}
    assert _ids(http.get("/trainer?cue=abuse").text) == ["hard-poor"]
    assert set(_ids(http.get("/trainer?stake=medication").text)) == {"hard-good", "hard-poor"}
    assert set(_ids(http.get("/trainer?agent=ann").text)) == {"hard-good", "hard-poor"}
    assert set(_ids(http.get("/trainer?dmin=50").text)) == {"hard-good", "hard-poor"}
    assert set(_ids(http.get("/trainer?rmin=80").text)) == {"hard-good", "easy-good"}
    # The filter the issue asks for: high difficulty and high rubric.
    assert _ids(http.get("/trainer?went_well=1").text) == ["hard-good"]
    old = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    assert "easy-poor" not in _ids(http.get(f"/trainer?from={old}").text)
    store.add_feedback("hard-good", "hard-good:own_it", "used", "ann")
    assert _ids(http.get("/trainer?feedback=used").text) == ["hard-good"]
    assert "hard-good" not in _ids(http.get("/trainer?feedback=none").text)
    assert http.get("/trainer?from=yesterday").status_code == 422


def test_override_is_kept_beside_the_automatic_score(env) -> None:
    _app, client, _store = env
    http = client.as_("tina", "trainer")
    before = http.get("/trainer/calls/hard-poor/replay.json").json()["call"]
    own = next(c for c in before["rubric"] if c["criterion"] == "ownership")
    assert own["auto"] == pytest.approx(0.2) and own["override"] is None
    r = http.post(
        "/trainer/calls/hard-poor/overrides",
        data={"criterion": "ownership", "score": "80", "comment": "owned it, engine missed"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].endswith("#rubric")
    after = http.get("/trainer/calls/hard-poor/replay.json").json()["call"]
    own = next(c for c in after["rubric"] if c["criterion"] == "ownership")
    assert own["auto"] == pytest.approx(0.2)  # the automatic score is untouched
    assert own["override"]["score"] == pytest.approx(0.8) and own["override"]["author"] == "tina"
    assert own["effective"] == pytest.approx(0.8)
    assert after["overall"] > before["overall"] and after["auto_overall"] == before["auto_overall"]
    page = http.get("/trainer/calls/hard-poor").text
    assert "override by tina" in page and "owned it, engine missed" in page
    bad = [
        {"criterion": "ownership", "score": "150"},
        {"criterion": "charm", "score": "50"},
        {"criterion": "ownership", "score": "lots"},
    ]
    for form in bad:
        assert http.post("/trainer/calls/hard-poor/overrides", data=form).status_code == 422
    assert (
        http.post(
            "/trainer/calls/nope/overrides", data={"criterion": "ownership", "score": "50"}
        ).status_code
        == 404
    )


def test_debrief_queue_per_team_and_went_well_notes(env) -> None:
    _app, client, _store = env
    sup = client.as_("sue", "supervisor")
    sup.post("/trainer/calls/hard-good/debrief", data={"team": "east", "reason": "model call"})
    sup.post("/trainer/calls/hard-good/debrief", data={"team": "east"})  # once per team
    sup.post("/trainer/calls/hard-poor/debrief", data={"team": "west", "reason": "rough one"})
    east = sup.get("/trainer/debriefs?team=east").text
    assert east.count("data-debrief=") == 1 and "model call" in east
    assert sup.get("/trainer/debriefs").text.count("data-debrief=") == 2
    import re

    n = re.search(r'data-debrief="(\d+)"', east).group(1)
    assert (
        sup.post(
            f"/trainer/debriefs/{n}/done", data={"team": "east"}, follow_redirects=False
        ).status_code
        == 303
    )
    assert "data-debrief=" not in sup.get("/trainer/debriefs?team=east").text
    assert sup.post(f"/trainer/debriefs/{n}/done").status_code == 404

    http = client.as_("tina", "trainer")
    http.post(
        "/trainer/calls/hard-good/notes", data={"comment": "Named the burden first", "at_s": "12.5"}
    )
    page = http.get("/trainer/calls/hard-good").text
    assert "Named the burden first" in page and 'data-seek="12.5"' in page
    assert http.post("/trainer/calls/hard-good/notes", data={"comment": "  "}).status_code == 422


def test_agent_page_heavy_calls_resets_and_adjusted_scores(env) -> None:
    _app, client, store = env
    hard = store.get_call("hard-good")
    store.add_reset("ann", "hard-good", at=(hard.ended_at + timedelta(minutes=4)).timestamp())
    page = client.as_("sue", "supervisor").get("/trainer/agents/ann").text
    assert "4 min after" in page  # the reset after hard-good
    assert "<strong>none</strong>" in page  # hard-poor got no reset
    assert "<svg" in page and "polyline" in page
    from app import library

    entries = library.load_entries(store)
    periods = library.scores_over_time(entries, "ann")
    assert len(periods) == 2
    for p in periods:  # hard calls: the adjusted score is above the raw one
        assert p.adjusted is not None and p.overall is not None and p.adjusted > p.overall
    easy = next(e for e in entries if e.id == "easy-good")
    hard_good = next(e for e in entries if e.id == "hard-good")
    # Raw: the routine call scored higher; adjusted for what each agent inherited, not by as much.
    assert easy.overall > hard_good.overall
    assert easy.adjusted - hard_good.adjusted < easy.overall - hard_good.overall
    assert client.as_("tina", "trainer").get("/trainer/agents/nobody").status_code == 404


def test_report_html_pdf_and_scores_csv(env) -> None:
    _app, client, _store = env
    http = client.as_("tina", "trainer")
    http.post(
        "/trainer/calls/hard-good/overrides", data={"criterion": "calibration", "score": "95"}
    )
    html = http.get("/trainer/calls/hard-good/report.html").text
    for needle in (
        "arrived angry",
        "3 departments involved",
        "repeat contact",
        "Ownership",
        "95 by tina",
        "own_it",
        "[PHONE]",
        "Transcript",
    ):
        assert needle in html, needle
    assert "five five five one two three four" not in html  # redacted, spoken form too
    pdf = http.get("/trainer/calls/hard-good/report.pdf")
    assert pdf.content.startswith(b"%PDF") and pdf.headers["content-type"] == "application/pdf"
    assert len(pdf.content) > 2000 and b"five five five" not in pdf.content

    start = (datetime.now(UTC) - timedelta(days=15)).date().isoformat()
    r = http.get(f"/trainer/scores.csv?from={start}")
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["call_id"] for row in rows} == {"hard-good", "hard-poor", "easy-good"}
    good = next(row for row in rows if row["call_id"] == "hard-good")
    assert good["calibration_auto"] == "0.800" and good["calibration_override"] == "0.950"
    assert good["calibration_override_by"] == "tina" and good["heavy"] == "true"
    assert float(good["adjusted"]) > float(good["overall"])
    everything = list(
        csv.DictReader(io.StringIO(http.get("/trainer/scores.csv?from=2000-01-01").text))
    )
    assert next(row for row in everything if row["call_id"] == "easy-poor")["agent"] == "'=bob"
    assert http.get("/trainer/scores.csv?from=2026-12-01&to=2026-11-01").status_code == 422


def test_stereo_recording_with_byte_ranges(env) -> None:
    _app, client, store = env
    http = client.as_("tina", "trainer")
    full = http.get("/trainer/calls/hard-good/audio.wav")
    assert full.status_code == 200 and full.headers["accept-ranges"] == "bytes"
    data, rate = sf.read(io.BytesIO(full.content), dtype="int16")
    assert rate == 16000 and data.shape == (120 * 16000, 2)
    caller, _ = sf.read(str(store.audio_file("hard-good", "caller")), dtype="int16")
    agent, _ = sf.read(str(store.audio_file("hard-good", "agent")), dtype="int16")
    assert np.array_equal(data[:, 0], caller) and np.array_equal(data[:, 1], agent)
    # A seek: the browser asks for bytes in the middle; they are the same bytes.
    part = http.get(
        "/trainer/calls/hard-good/audio.wav", headers={"Range": "bytes=1000001-1000400"}
    )
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000001-1000400/{len(full.content)}"
    assert part.content == full.content[1000001:1000401]
    head = http.get("/trainer/calls/hard-good/audio.wav", headers={"Range": "bytes=0-43"})
    assert head.content == full.content[:44] and struct.unpack("<H", head.content[22:24])[0] == 2
    assert (
        http.get(
            "/trainer/calls/hard-good/audio.wav", headers={"Range": "bytes=999999999-"}
        ).status_code
        == 416
    )
    assert (
        http.get("/trainer/calls/hard-good/audio.wav", headers={"Range": "lines=1-2"}).status_code
        == 416
    )
    assert http.get("/trainer/calls/easy-good/audio.wav").status_code == 404  # not recorded


def test_replay_json_sends_only_what_is_new(env) -> None:
    _app, client, store = env
    http = client.as_("sue", "supervisor")
    first = http.get("/trainer/calls/hard-good/replay.json").json()
    assert len(first["utterances"]) > 10 and first["cursor"] > 0
    assert (
        http.get(f"/trainer/calls/hard-good/replay.json?after={first['cursor']}").json()[
            "utterances"
        ]
        == []
    )
    store.add_utterance(utterance("hard-good", "agent", 500, "one more line", 118.0))
    new = http.get(f"/trainer/calls/hard-good/replay.json?after={first['cursor']}").json()
    assert [u[5] for u in new["utterances"]] == ["one more line"]
    row = first["utterances"][0]
    assert row[1] in ("caller", "agent") and len(row[6]) == len(row[5].split())
    # Redacted lines keep word times: the mask takes the time of the words it hides.
    redacted = [u for u in first["utterances"] if "[PHONE]" in u[5]]
    assert redacted
    for u in redacted:
        tokens = u[5].split()
        assert u[6] is not None and len(u[6]) == len(tokens)
        k = next(i for i, tok in enumerate(tokens) if "[PHONE]" in tok)
        assert u[6][k][1] - u[6][k][0] > 1.0  # seven spoken digits, not one word's time
    assert http.get("/trainer/calls/none/replay.json").status_code == 404
    assert http.get("/trainer/calls/hard-good/replay.json?after=-1").status_code == 422


def test_forms_work_with_a_real_session_and_need_the_csrf_token(tmp_path: Path) -> None:
    import re

    from tests.security_support import accounts, login
    from tests.security_support import make_app as secure_app

    app = secure_app(tmp_path)
    with TestClient(app) as client:
        creds = accounts(app)
        seed_call(app.state.store, "c1", context=HARD, audio=False)
        assert client.get("/trainer/calls/c1", follow_redirects=False).status_code in (303, 401)
        assert login(client, "trainer", creds["trainer"]).status_code == 303
        page = client.get("/trainer/calls/c1")
        assert page.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token and token.group(1)
        form = {"comment": "Named the burden", "at_s": "3.0"}
        assert client.post("/trainer/calls/c1/notes", data=form).status_code == 403
        ok = client.post(
            "/trainer/calls/c1/notes",
            data={**form, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert ok.status_code == 303
        assert "Named the burden" in client.get("/trainer/calls/c1").text


def test_a_listening_is_audited_once_not_per_byte_range(env) -> None:
    app, client, _store = env
    log = app.state.audit_log
    who = {"p": Principal("tina", frozenset({"trainer"}))}

    async def loader(conn):  # like the session loader: the audit reads who from the scope
        conn.scope["heard.principal"] = who["p"]
        return who["p"]

    app.state.principal_loader = loader
    http = client.http
    url = "/trainer/calls/hard-good/audio.wav"

    def logged() -> list[object]:
        return log.query(action="view_recording", target_id="hard-good", limit=None)

    assert http.get(url, headers={"Range": "bytes=0-"}).status_code == 206
    assert len(logged()) == 1
    for first in (1000, 50_000, 900_000, 2_000_000):  # the player seeks and buffers
        assert http.get(url, headers={"Range": f"bytes={first}-"}).status_code == 206
    assert len(logged()) == 1
    assert http.get(url).status_code == 200  # opening it again is a new access
    assert len(logged()) == 2
    # another person's listening is their own line, even by ranges alone
    who["p"] = Principal("sam", frozenset({"supervisor"}))
    assert http.get(url, headers={"Range": "bytes=5000-"}).status_code == 206
    assert [e.actor for e in logged()].count("sam") == 1
    # refusals are always logged
    who["p"] = Principal("tina", frozenset({"trainer"}))
    assert http.get(url, headers={"Range": "bytes=999999999-"}).status_code == 416
    assert len(logged()) == 4


def test_recording_accesses_window_and_bound() -> None:
    from app.security.access import RecordingAccesses

    now = [0.0]
    seen = RecordingAccesses(window_s=300, max_entries=2, clock=lambda: now[0])
    assert seen.should_log("tina", "c1", "bytes=100-")  # first access, even as a range
    assert not seen.should_log("tina", "c1", "bytes=200-")
    assert seen.should_log("tina", "c1", "bytes=0-")  # a new listening
    now[0] = 301.0
    assert seen.should_log("tina", "c1", "bytes=300-")  # the window has passed
    seen.should_log("tina", "c2", None)
    seen.should_log("tina", "c3", None)  # bounded: the oldest key is forgotten
    assert seen.should_log("tina", "c1", "bytes=400-")
