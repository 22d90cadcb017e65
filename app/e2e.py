"""End-to-end evaluation: synthesized calls, streamed live, scored from the sidebar.

``heard eval e2e DIR --json [--calls N] [--url URL]``:

1. synthesizes every call script in DIR through the phone band (``transcription.synth``);
2. starts a server (``heard serve`` on a free port, its own data directory) unless
   ``--url`` names a running one;
3. for each call, opens the sidebar websocket ``/ws/calls/{call_id}`` like a browser,
   then streams the call through ``/ingest/twilio`` at real-time pace (``app.replay``),
   with ``--calls N`` calls at once;
4. reads the cue cards out of the pushed HTML fragments (``data-cue-kind``,
   ``data-evidence-end``) and assigns each kind, at its first arrival, to the script
   turn whose audio holds the end of its evidence (synth timings);
5. scores those exactly as ``heard eval cues`` does (its own functions, from
   :mod:`cues.evaluate`), and adds ``cue_latency_p50_s``/``cue_latency_p95_s``: from
   the end of the triggering turn's audio to the card's arrival at the sidebar.

Credentials for a server that requires sign-in: ``--user``/``--password`` (or
``HEARD_E2E_USER``/``HEARD_E2E_PASSWORD``) sign in at ``/login`` and the session
cookie is sent on the websockets; ``--cookie`` passes a session cookie directly;
ingest tokens go with ``--ingest-token``. The server this command starts itself
gets a throw-away account created in its data directory.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from app.replay import ReplayClock, ReplayError, http_base, replay_audio
from cues.scripts import Script, ScriptError, load_scripts
from cues.types import CallContext
from transcription.synth import SynthResult, TurnTiming, synthesize_script

#: After the replay ends, keep listening until the sidebar has been quiet this long
#: (a loaded server may still be decoding the call's last turns; take_a_reset comes
#: after them), but no longer than MAX_SETTLE_S.
SETTLE_S = 4.0
MAX_SETTLE_S = 120.0
#: Kinds the engine raises when the call ends (scripts list them on the last turn).
END_OF_CALL_KINDS = frozenset({"take_a_reset"})


class E2EError(Exception):
    """The evaluation could not run (no server, refused sign-in, bad scripts)."""


# --- reading the sidebar ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardSeen:
    """A cue card as a browser receives it (attributes of ``<article class="cue">``)."""

    kind: str
    cue_id: str
    evidence_end: float
    turn: int | None  # the engine's utterance index (not the script's turn)
    speaker: str | None  # whose words raised it, from the card's evidence line


@dataclass(frozen=True, slots=True)
class LineSeen:
    """A transcript line (``<li id="utt-...">``)."""

    speaker: str
    seq: int
    final: bool
    start: float
    end: float


class _FragmentParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cards: list[CardSeen] = []
        self.lines: list[LineSeen] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "article" and "data-cue-kind" in a:
            self.cards.append(_card(a))
        elif tag == "li" and a.get("id", "").startswith("utt-") and "data-final" in a:
            with contextlib.suppress(ValueError):
                self.lines.append(
                    LineSeen(
                        speaker=a.get("data-speaker", ""),
                        seq=int(a.get("data-seq") or a["id"].rsplit("-", 1)[-1]),
                        final=a.get("data-final") == "1",
                        start=float(a.get("data-start") or "nan"),
                        end=float(a.get("data-end") or "nan"),
                    )
                )


def _card(a: dict[str, str]) -> CardSeen:
    """A cue card from its element's attributes (the machine-readable contract)."""
    try:
        end = float(a.get("data-evidence-end", "nan"))
    except ValueError:
        end = math.nan
    turn_raw = a.get("data-turn", "")
    who = a.get("data-evidence-speaker", "")
    return CardSeen(
        kind=a.get("data-cue-kind", ""),
        cue_id=a.get("data-cue-id", ""),
        evidence_end=end,
        turn=int(turn_raw) if turn_raw.lstrip("-").isdigit() else None,
        speaker=who if who in ("caller", "agent") else None,
    )


def parse_fragment(html: str) -> tuple[list[CardSeen], list[LineSeen]]:
    """The cue cards and transcript lines in one websocket message."""
    p = _FragmentParser()
    p.feed(html)
    p.close()
    return p.cards, p.lines


def turn_of(evidence_end: float, turns: Sequence[TurnTiming], speaker: str | None = None) -> int:
    """The script turn whose audio holds ``evidence_end`` (call clock, seconds).

    Recognizer word times drift a little past the audio, and the evidence may end in
    the pause after a turn: then the nearest turn wins, the earlier one on a tie.
    When the evidence's speaker is known, only that speaker's turns are candidates
    (each party has its own channel).
    """
    candidates = [t for t in turns if speaker is None or t.speaker == speaker] or list(turns)
    if not candidates:
        raise ValueError("no turns")
    if math.isnan(evidence_end):
        return candidates[-1].index

    def distance(t: TurnTiming) -> tuple[float, float]:
        if t.start <= evidence_end <= t.end:
            return (0.0, t.start)
        return (min(abs(evidence_end - t.start), abs(evidence_end - t.end)), t.start)

    return min(candidates, key=distance).index


# --- one call ---------------------------------------------------------------------------


@dataclass
class CallOutcome:
    """What the sidebar showed for one streamed call."""

    script: Script
    synth: SynthResult
    call_id: str
    first_seen: dict[str, tuple[float, CardSeen]] = field(default_factory=dict)  # kind ->
    finals: set[tuple[str, int]] = field(default_factory=set)
    #: per final transcript line, its arrival minus the end of its audio (s): how much
    #: of a cue's latency the transcript took before the cue engine saw the words
    final_lags: list[float] = field(default_factory=list)
    #: the most this call's audio was sent behind its schedule (harness lag)
    replay_lag_s: float = 0.0
    clock: ReplayClock = field(default_factory=ReplayClock)
    context: CallContext = field(default_factory=CallContext)
    last_message: float = 0.0  # monotonic time of the sidebar's latest message
    error: str | None = None

    def turn_for(self, kind: str, card: CardSeen) -> int:
        """The script turn a card belongs to: where its evidence ends, except for the
        kinds raised when the call ends, which belong to the last turn (as scripts
        list them) whatever earlier words made the call heavy."""
        if kind in END_OF_CALL_KINDS:
            return self.synth.turns[-1].index
        return turn_of(card.evidence_end, self.synth.turns, card.speaker)

    def raised_turns(self) -> dict[str, int]:
        """``{kind: script turn}`` of each kind's first raising."""
        return {kind: self.turn_for(kind, card) for kind, (_, card) in self.first_seen.items()}

    def latencies(self) -> dict[str, float]:
        """Per raised kind: arrival at the sidebar minus the end of what triggered it:
        its turn's audio, or the end of the call's audio for end-of-call kinds."""
        out: dict[str, float] = {}
        if self.clock.t0 is None:
            return out
        turns = self.synth.turns
        for kind, (arrived, card) in self.first_seen.items():
            if kind in END_OF_CALL_KINDS:
                trigger = self.synth.duration  # the stream stops after the last frame
            else:
                trigger = turns[self.turn_for(kind, card)].end
            out[kind] = arrived - self.clock.wall(trigger)
        return out

    def evidence_latencies(self) -> dict[str, float]:
        """Per raised kind: arrival minus the end of the words that raised it (the
        recognizer's word time). A card raised by the first sentence of a long turn
        arrives before the turn ends: this is its latency from the words themselves."""
        out: dict[str, float] = {}
        if self.clock.t0 is None:
            return out
        for kind, (arrived, card) in self.first_seen.items():
            if kind in END_OF_CALL_KINDS:
                trigger = self.synth.duration
            elif math.isnan(card.evidence_end):
                continue
            else:
                trigger = card.evidence_end
            out[kind] = arrived - self.clock.wall(trigger)
        return out


@dataclass(frozen=True)
class Credentials:
    """How to get past sign-in: headers for the sidebar and for ingest."""

    sidebar_headers: dict[str, str] = field(default_factory=dict)
    ingest_headers: dict[str, str] = field(default_factory=dict)
    twilio_auth_token: str | None = None


def ws_url(base: str, path: str) -> str:
    b = http_base(base) if "://" in base else base
    if b.startswith("https://"):
        return "wss://" + b[len("https://") :] + path
    if b.startswith("http://"):
        return "ws://" + b[len("http://") :] + path
    raise E2EError(f"not an http(s) or ws(s) URL: {base!r}")


#: Reconnects of a sidebar websocket the server closed mid-call (e.g. 1013 lagged),
#: as the htmx ws extension would; the snapshot on reconnect carries missed cards.
MAX_RECONNECTS = 5


async def listen_sidebar(
    base: str,
    outcome: CallOutcome,
    headers: dict[str, str],
    ready: asyncio.Event,
    stop: asyncio.Event,
) -> None:
    """Read the call's sidebar websocket until ``stop``; record each kind's first card."""
    url = ws_url(base, f"/ws/calls/{outcome.call_id}")
    stopper = asyncio.create_task(stop.wait())
    try:
        for attempt in range(MAX_RECONNECTS + 1):
            try:
                ws = await websockets.connect(url, additional_headers=headers, max_size=8 << 20)
            except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
                raise E2EError(f"cannot open the sidebar {url}: {exc}") from exc
            try:
                async with ws:
                    await _read_sidebar(ws, outcome, ready, stopper)
                return  # stopped
            except ConnectionClosed as exc:
                if stop.is_set():
                    return
                if attempt == MAX_RECONNECTS:
                    raise E2EError(f"sidebar websocket closed early: {exc}") from exc
                await asyncio.sleep(0.2)
    finally:
        stopper.cancel()
        ready.set()


async def _read_sidebar(
    ws: websockets.ClientConnection,
    outcome: CallOutcome,
    ready: asyncio.Event,
    stopper: asyncio.Task[Any],
) -> None:
    """Read messages until ``stopper`` completes (ConnectionClosed if the server closes)."""
    while True:
        recv = asyncio.create_task(ws.recv())
        done, _ = await asyncio.wait({recv, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if recv not in done:
            recv.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                await recv
            return
        message = recv.result()
        now = time.monotonic()
        outcome.last_message = now
        ready.set()  # the snapshot came: subscribed, the call may start
        text = message if isinstance(message, str) else message.decode("utf-8", "replace")
        cards, lines = parse_fragment(text)
        for card in cards:
            if card.kind and card.kind not in outcome.first_seen:
                outcome.first_seen[card.kind] = (now, card)
        for line in lines:
            if line.final and (line.speaker, line.seq) not in outcome.finals:
                outcome.finals.add((line.speaker, line.seq))
                if outcome.clock.t0 is not None and math.isfinite(line.end):
                    outcome.final_lags.append(now - outcome.clock.wall(line.end))


async def fetch_context(base: str, call_id: str, headers: dict[str, str]) -> CallContext:
    """The call's context as the server holds it at the end (``GET /api/calls/{id}``)."""
    from app.store.records import context_from_json

    url = f"{http_base(base)}/api/calls/{call_id}"
    try:
        async with httpx.AsyncClient(timeout=15, headers=headers) as client:
            r = await client.get(url)
    except httpx.HTTPError as exc:
        raise E2EError(f"cannot read the call's context: {exc}") from exc
    if r.status_code != 200:
        raise E2EError(f"GET /api/calls/{call_id}: HTTP {r.status_code}")
    return context_from_json(r.json().get("context"))


async def settle(outcome: CallOutcome, quiet_s: float, max_s: float) -> None:
    """Wait until the sidebar has been quiet ``quiet_s`` (or ``max_s`` have passed)."""
    began = time.monotonic()
    outcome.last_message = max(outcome.last_message, began)
    while True:
        now = time.monotonic()
        if now - outcome.last_message >= quiet_s or now - began >= max_s:
            return
        await asyncio.sleep(min(0.25, quiet_s))


async def run_call(
    base: str,
    script: Script,
    synth: SynthResult,
    creds: Credentials,
    *,
    speed: float = 1.0,
    settle_s: float = SETTLE_S,
    max_settle_s: float = MAX_SETTLE_S,
    agent: str = "",
) -> CallOutcome:
    """Stream one synthesized call and record what its sidebar shows."""
    outcome = CallOutcome(
        script=script, synth=synth, call_id=f"e2e-{script.id}-{uuid.uuid4().hex[:8]}"
    )
    ready, stop = asyncio.Event(), asyncio.Event()
    listener = asyncio.create_task(
        listen_sidebar(base, outcome, creds.sidebar_headers, ready, stop)
    )
    try:
        await asyncio.wait_for(ready.wait(), timeout=30)
        if listener.done():
            listener.result()  # raises the listener's error
        stats = await replay_audio(
            synth.audio,
            synth.sample_rate,
            base,
            call_id=outcome.call_id,
            agent=agent,
            speed=speed,
            protocol="twilio",
            headers=creds.ingest_headers,
            clock=outcome.clock,
            turn_ends=[t.end for t in synth.turns],
            twilio_auth_token=creds.twilio_auth_token,
        )
        outcome.replay_lag_s = stats.max_lag_s
        await settle(outcome, settle_s, max_settle_s)
        outcome.context = await fetch_context(base, outcome.call_id, creds.sidebar_headers)
    except (ReplayError, E2EError, TimeoutError) as exc:
        outcome.error = str(exc) or type(exc).__name__
    finally:
        stop.set()
        try:
            await listener
        except E2EError as exc:
            outcome.error = outcome.error or str(exc)
    return outcome


async def run_calls(
    base: str,
    items: Sequence[tuple[Script, SynthResult]],
    creds: Credentials,
    *,
    concurrency: int = 1,
    speed: float = 1.0,
    settle_s: float = SETTLE_S,
    max_settle_s: float = MAX_SETTLE_S,
    agent: str = "",
) -> list[CallOutcome]:
    """Every call, ``concurrency`` at a time (a new one starts as one ends)."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(script: Script, synth: SynthResult) -> CallOutcome:
        async with gate:
            return await run_call(
                base,
                script,
                synth,
                creds,
                speed=speed,
                settle_s=settle_s,
                max_settle_s=max_settle_s,
                agent=agent,
            )

    return list(await asyncio.gather(*(one(s, r) for s, r in items)))


# --- scoring ----------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (``q`` in 0..100); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def score(outcomes: Sequence[CallOutcome]) -> dict[str, Any]:
    """The ``heard eval cues --json`` report for what the sidebars showed, plus latency.

    Scored by :func:`cues.evaluate.score` itself, on runs whose ``raised`` comes from
    the cards (mapped to script turns) and whose context is the server's at the end.
    """
    from cues import evaluate

    runs = [
        evaluate.CallRun(script=o.script, raised=o.raised_turns(), context=o.context, seconds=0.0)
        for o in outcomes
    ]
    report: dict[str, Any] = evaluate.score(runs).as_json()
    # Same fields as ``heard eval cues``; the text-only engine speed is not measured here.
    report["utterances_per_s"] = None
    lat = [v for o in outcomes for v in o.latencies().values()]
    p50, p95 = percentile(lat, 50), percentile(lat, 95)
    report["cue_latency_p50_s"] = None if p50 is None else round(p50, 3)
    report["cue_latency_p95_s"] = None if p95 is None else round(p95, 3)
    report["cue_latency_max_s"] = round(max(lat), 3) if lat else None
    ev = [v for o in outcomes for v in o.evidence_latencies().values()]
    e50, e95 = percentile(ev, 50), percentile(ev, 95)
    report["cue_latency_from_evidence_p50_s"] = None if e50 is None else round(e50, 3)
    report["cue_latency_from_evidence_p95_s"] = None if e95 is None else round(e95, 3)
    report["e2e"] = {
        "cues": {
            o.script.id: [
                {"kind": k, "turn": o.raised_turns()[k], "latency_s": round(v, 3)}
                for k, v in sorted(o.latencies().items(), key=lambda kv: o.raised_turns()[kv[0]])
            ]
            for o in outcomes
        },
        "calls": len(outcomes),
        "errors": {o.script.id: o.error for o in outcomes if o.error},
        "final_utterances": sum(len(o.finals) for o in outcomes),
        **_final_latency(outcomes),
        "replay_max_lag_s": round(max((o.replay_lag_s for o in outcomes), default=0.0), 3),
        "audio_s": round(sum(o.synth.duration for o in outcomes), 1),
        "latency_samples": len(lat),
    }
    return report


#: niceness of this harness once its server runs (the server keeps its own priority)
HARNESS_NICE = 5


def _yield_cpu_to_server() -> None:
    """Lower this process's CPU priority below the server's it started.

    The harness stands in for ten phone lines and ten browsers, which in a call
    center run on other machines; here they share the server's two cores, and at
    equal priority they take CPU from its decoder when the cores are saturated.
    Lowered, the harness still paces in real time (``max_lag`` per call would show
    otherwise), and any lag it takes counts against the server's latency, never for
    it: latency is measured from when a turn's audio was due, not when it was sent.
    """
    with contextlib.suppress(OSError, AttributeError):
        os.nice(HARNESS_NICE)


def _final_latency(outcomes: Sequence[CallOutcome]) -> dict[str, float | None]:
    """Final transcript lines: arrival at the sidebar minus the end of their audio."""
    lags = [v for o in outcomes for v in o.final_lags]
    p50, p95 = percentile(lags, 50), percentile(lags, 95)
    return {
        "final_latency_p50_s": None if p50 is None else round(p50, 3),
        "final_latency_p95_s": None if p95 is None else round(p95, 3),
    }


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class ServerProcess:
    """``heard serve`` in a subprocess on a free port with its own data directory."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    account: tuple[str, str] | None = None  # (user, password) provisioned before start

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir / "server.log"
        env = {**os.environ, **self.extra_env}
        cmd = [
            sys.executable, "-m", "app.cli", "serve",
            "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir),
        ]  # fmt: skip
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise E2EError(f"server exited ({self.proc.returncode}):\n{self.log_tail()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.25)
        self.stop()
        raise E2EError(f"server not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)


def provision_account(data_dir: Path) -> tuple[str, str]:
    """A throw-away supervisor account in a server's data directory (before it starts)."""
    try:
        from app.security.users import UserError, UserStore
        from app.settings import load_settings
        from app.store import Store
    except ImportError as exc:  # a server without local accounts needs none
        raise E2EError(f"no local accounts in this server ({exc.name})") from exc
    username, password = "e2e-eval", secrets.token_urlsafe(18)
    settings = load_settings(None, data_dir=data_dir)
    store = Store(settings.db_url, settings.data_dir)
    try:
        store.migrate()
        users = UserStore(store)
        if users.get(username) is None:
            users.add(username, ["supervisor"], password, display_name="e2e evaluation")
        else:
            users.reset(username, password)
    except UserError as exc:
        raise E2EError(f"cannot create the evaluation account: {exc}") from exc
    finally:
        store.close()
    return username, password


def login(base: str, username: str, password: str) -> dict[str, str]:
    """Sign in at ``/login`` as a browser does; the headers (session cookie) to reuse.

    The form's CSRF token (hidden ``csrf_token`` field, or the ``heard_csrf`` cookie,
    double-submitted) is picked up from ``GET /login`` first.
    """
    try:
        with httpx.Client(base_url=http_base(base), follow_redirects=False, timeout=15) as c:
            page = c.get("/login")
            token = _hidden_field(page.text, "csrf_token") or c.cookies.get("heard_csrf") or ""
            form = {"username": username, "password": password}
            if token:
                form["csrf_token"] = token
            r = c.post("/login", data=form, headers={"x-csrf-token": token} if token else {})
            cookies = dict(c.cookies.items())
    except httpx.HTTPError as exc:
        raise E2EError(f"cannot reach {base}/login: {exc}") from exc
    if r.status_code >= 400 or not any(k != "heard_csrf" for k in cookies):
        raise E2EError(f"sign-in as {username!r} refused (HTTP {r.status_code})")
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}


def _hidden_field(html: str, name: str) -> str | None:
    """The value of ``<input name=NAME value=...>`` in a page, if any."""

    class Finder(HTMLParser):
        value: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            if tag == "input" and a.get("name") == name and self.value is None:
                self.value = a.get("value") or ""

    f = Finder()
    f.feed(html)
    return f.value


def needs_login(base: str) -> bool:
    """Does the sidebar demand sign-in? (Asks a page that every role may see.)"""
    try:
        r = httpx.get(http_base(base) + "/agent", timeout=10, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise E2EError(f"cannot reach {base}: {exc}") from exc
    return r.status_code in (401, 403) or r.status_code in (302, 303, 307)


# --- CLI --------------------------------------------------------------------------------


def synthesize_all(
    scripts: Sequence[Script], *, seed: int = 0, progress: bool = True
) -> Iterator[tuple[Script, SynthResult]]:
    for i, s in enumerate(scripts):
        if progress:
            print(f"synth {i + 1}/{len(scripts)} {s.id}", file=sys.stderr, flush=True)
        yield s, synthesize_script(s, phone=True, seed=seed + i)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="heard eval e2e",
        description="Synthesize call scripts, stream them live through the Twilio endpoint "
        "and score the cues the sidebar shows (plus cue latency).",
    )
    p.add_argument("directory", type=Path, help="directory of call scripts (*.yaml)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--calls", type=int, default=1, help="calls streamed at once")
    p.add_argument("--limit", type=int, default=None, help="only the first N scripts")
    p.add_argument("--url", default=None, help="use this running server instead of starting one")
    p.add_argument("--speed", type=float, default=1.0, help="pace (1 = real time)")
    p.add_argument("--seed", type=int, default=0, help="seed of the pauses between turns")
    p.add_argument(
        "--settle",
        type=float,
        default=SETTLE_S,
        help="after a call, listen until the sidebar is quiet this long",
    )
    p.add_argument(
        "--max-settle",
        type=float,
        default=MAX_SETTLE_S,
        help="...but no longer than this after the call's audio ends",
    )
    p.add_argument("--agent", default="", help="agent name the calls belong to")
    p.add_argument("--user", default=os.environ.get("HEARD_E2E_USER"), help="sign in as")
    p.add_argument("--password", default=os.environ.get("HEARD_E2E_PASSWORD"))
    p.add_argument("--cookie", default=os.environ.get("HEARD_E2E_COOKIE"),
                   help="session cookie (name=value) instead of --user/--password")  # fmt: skip
    p.add_argument("--ingest-token", default=os.environ.get("HEARD_INGEST_TOKEN"))
    p.add_argument("--twilio-auth-token", default=os.environ.get("HEARD_TWILIO_AUTH_TOKEN"))
    p.add_argument("--keep", action="store_true", help="keep the started server's data dir")
    return p


def _credentials(args: argparse.Namespace, base: str, own: ServerProcess | None) -> Credentials:
    ingest = {"Authorization": f"Bearer {args.ingest_token}"} if args.ingest_token else {}
    if args.cookie:
        sidebar = {"Cookie": args.cookie}
    elif args.user and args.password:
        sidebar = login(base, args.user, args.password)
    elif needs_login(base):
        if own is None or own.account is None:
            raise E2EError("the server requires sign-in: pass --user and --password")
        sidebar = login(base, *own.account)
    else:
        sidebar = {}
    return Credentials(sidebar, ingest, args.twilio_auth_token)


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.calls < 1 or args.speed <= 0:
        print("heard eval e2e: --calls must be >= 1 and --speed > 0", file=sys.stderr)
        return 2
    try:
        scripts = load_scripts(args.directory)
    except ScriptError as exc:
        print(f"heard eval e2e: {exc}", file=sys.stderr)
        return 2
    if args.limit:
        scripts = scripts[: args.limit]
    if not scripts:
        print(f"heard eval e2e: no scripts in {args.directory}", file=sys.stderr)
        return 2
    items = list(synthesize_all(scripts, seed=args.seed))

    own: ServerProcess | None = None
    scratch: Path | None = None
    try:
        if args.url:
            base = args.url
        else:
            # mkdtemp, not TemporaryDirectory: its finalizer would delete a --keep'd dir
            scratch = Path(tempfile.mkdtemp(prefix="heard-e2e-"))
            own = ServerProcess(scratch / "data")
            # Our server gets a Twilio auth token made for this run and the replay signs
            # with it: the calls come in through the door a real phone system uses.
            args.twilio_auth_token = args.twilio_auth_token or secrets.token_urlsafe(32)
            own.extra_env["HEARD_TWILIO_AUTH_TOKEN"] = args.twilio_auth_token
            # Servers without accounts yet (no users command) simply need none.
            with contextlib.suppress(E2EError):
                own.account = provision_account(own.data_dir)
            print(f"starting server on {own.url}", file=sys.stderr, flush=True)
            own.start()
            base = own.url
            _yield_cpu_to_server()
        creds = _credentials(args, base, own)
        started = time.monotonic()
        outcomes = asyncio.run(
            run_calls(
                base, items, creds, concurrency=args.calls, speed=args.speed,
                settle_s=args.settle, max_settle_s=args.max_settle, agent=args.agent,
            )
        )  # fmt: skip
        report = score(outcomes)
        report["e2e"]["concurrency"] = args.calls
        report["e2e"]["wall_s"] = round(time.monotonic() - started, 1)
    except E2EError as exc:
        print(f"heard eval e2e: {exc}", file=sys.stderr)
        return 1
    finally:
        if own is not None:
            own.stop()
        if scratch is not None:
            if args.keep:
                print(f"server data kept in {scratch}", file=sys.stderr)
            else:
                shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        print(_summary(report))
    return 0


def _summary(report: dict[str, Any]) -> str:
    keys = ("precision", "recall", "placement", "cue_latency_p50_s", "cue_latency_p95_s")
    parts = [f"{k}={report.get(k)}" for k in keys if k in report]
    errors = report.get("e2e", {}).get("errors") or {}
    if errors:
        parts.append(f"errors={len(errors)}")
    return " ".join(parts)
