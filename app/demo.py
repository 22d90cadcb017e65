"""``heard demo``: a live call playing through the sidebar, on the embedded defaults.

What a newcomer's first command (``make demo``) shows: the server on
``127.0.0.1`` (bundled faster-whisper ``tiny.en``, SQLite under ``./data``), a demo
account to sign in with, and a synthesized call replayed over the Twilio endpoint at
real-time pace, again and again until Ctrl-C, so the transcript scrolls and cue
cards arrive. Nothing is downloaded: the voice, the speech model and htmx are all
installed with the package.

The call is ``../shared/calls/billing-claim-never-submitted.yaml`` when the shared
scripts sit beside the checkout (it raises several cards and an abuse alert for the
supervisor queue), else the small script shipped with the package
(``app/demo_call.yaml``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import secrets
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from app.replay import ReplayError, replay_audio
from cues.scripts import Script, ScriptError, load_script
from transcription.synth import SynthResult, synthesize_script

log = logging.getLogger("heard.demo")

PACKAGE_CALL = Path(__file__).resolve().parent / "demo_call.yaml"
SHARED_CALL = "billing-claim-never-submitted.yaml"
DEMO_USER = "demo"
#: Silence between two replays of the call, seconds.
BETWEEN_CALLS_S = 4.0


@dataclass(frozen=True, slots=True)
class DemoAccount:
    username: str
    password: str


def find_demo_script(explicit: Path | None = None) -> Path:
    """The demo call: ``--script``, else the shared one beside the checkout, else ours."""
    if explicit is not None:
        return explicit
    candidates = [
        Path.cwd().parent / "shared" / "calls" / SHARED_CALL,
        Path(__file__).resolve().parent.parent.parent / "shared" / "calls" / SHARED_CALL,
    ]
    for c in candidates:
        if c.is_file():
            return c
    return PACKAGE_CALL


def port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


def pick_port(host: str, wanted: int) -> int:
    """``wanted`` if free, else the next free one of the ten after it, else any."""
    for p in range(wanted, wanted + 10):
        if port_free(host, p):
            return p
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def ensure_demo_account(app: object) -> DemoAccount | None:
    """A demo agent (also supervisor, to see the queue) in the running server's store.

    Its password is set afresh on every start (``HEARD_DEMO_PASSWORD`` fixes it) so
    it can always be printed. None when the server has no local accounts.
    """
    try:
        from app.security.users import UserError, UserStore, random_password
    except ImportError:
        return None
    store = getattr(getattr(app, "state", None), "store", None)
    if store is None:
        return None
    users = UserStore(store)
    password = os.environ.get("HEARD_DEMO_PASSWORD") or random_password()
    try:
        if users.get(DEMO_USER) is None:
            users.add(DEMO_USER, ["agent", "supervisor"], password, display_name="Demo agent")
        else:
            users.reset(DEMO_USER, password)
    except UserError as exc:
        log.warning("demo account not set up: %s", exc)
        return None
    return DemoAccount(DEMO_USER, password)


def _banner(base: str, account: DemoAccount | None, call_url: str) -> str:
    lines = [
        "",
        "Heard demo is running.",
        f"  Open the agent sidebar:   {call_url}",
        f"  Agent home (live calls):  {base}/agent",
        f"  Supervisor queue:         {base}/supervisor",
    ]
    if account is not None:
        lines.append(f"  Sign in as:  {account.username}   password:  {account.password}")
    lines += ["  The call replays in a loop at real-time pace. Ctrl-C stops.", ""]
    return "\n".join(lines)


async def replay_forever(
    base: str,
    synth: SynthResult,
    stop: asyncio.Event,
    *,
    agent: str,
    first_call_id: str,
    speed: float = 1.0,
    twilio_auth_token: str | None = None,
) -> None:
    """Replay the call again and again (``demo-T-1``, ``demo-T-2``, ...) until ``stop``."""
    n = 1
    call_id = first_call_id
    while not stop.is_set():
        print(f"call {call_id}: {base}/agent/calls/{call_id}", flush=True)
        try:
            await replay_audio(
                synth.audio,
                synth.sample_rate,
                base,
                call_id=call_id,
                agent=agent,
                speed=speed,
                turn_ends=[t.end for t in synth.turns],
                twilio_auth_token=twilio_auth_token,
            )
        except ReplayError as exc:
            # A server shutting down (Ctrl-C) closes the stream first: not an error.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5)
            if stop.is_set():
                break
            print(f"heard demo: replay failed: {exc}", file=sys.stderr, flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=BETWEEN_CALLS_S)
        n += 1
        call_id = f"{first_call_id.rsplit('-', 1)[0]}-{n}"


async def run(args: argparse.Namespace, script: Script, synth: SynthResult) -> int:
    import uvicorn

    from app.main import create_app
    from app.server import uvicorn_config
    from app.settings import SettingsError, load_settings

    try:
        settings = load_settings(
            args.config,
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            secure_cookies=False,  # plain http on localhost
        )
        if settings.twilio_auth_token is None:
            # The replay signs like Twilio does, with a token made for this run: the
            # demo goes through the same door as a real phone system.
            settings.twilio_auth_token = SecretStr(secrets.token_urlsafe(32))
    except SettingsError as exc:
        print(f"heard demo: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)
    server = uvicorn.Server(uvicorn_config(app, settings, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            print("heard demo: the server did not start", file=sys.stderr)
            return 1
        await asyncio.sleep(0.1)
    base = f"http://{settings.host}:{settings.port}"
    account = await asyncio.to_thread(ensure_demo_account, app)
    # A new call id each run: reusing one would resume the previous run's call.
    first = f"demo-{time.strftime('%H%M%S')}-1"
    print(_banner(base, account, f"{base}/agent/calls/{first}"), flush=True)

    stop = asyncio.Event()
    player = asyncio.create_task(
        replay_forever(
            base, synth, stop, agent=DEMO_USER, first_call_id=first, speed=args.speed,
            twilio_auth_token=settings.twilio_auth_token.get_secret_value(),
        )
    )
    # uvicorn turns Ctrl-C into a graceful shutdown; the player stops with it.
    while not serving.done() and not server.should_exit:
        await asyncio.sleep(0.1)
    stop.set()
    await serving
    player.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await player
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="heard demo",
        description="Run the server on the embedded defaults and play a synthesized call "
        "through it in a loop.",
    )
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000, help="(the next free one if taken)")
    p.add_argument("--data-dir", type=Path, default=Path("data"), help="SQLite and recordings")
    p.add_argument("--config", type=Path, default=None, help="a settings file (TOML/YAML)")
    p.add_argument("--script", type=Path, default=None, help="another call script to play")
    p.add_argument("--speed", type=float, default=1.0, help="replay pace (1 = real time)")
    p.add_argument("--seed", type=int, default=0)
    return p


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.speed <= 0:
        print("heard demo: --speed must be > 0", file=sys.stderr)
        return 2
    path = find_demo_script(args.script)
    try:
        script = load_script(path)
    except ScriptError as exc:
        print(f"heard demo: {exc}", file=sys.stderr)
        return 2
    args.port = pick_port(args.host, args.port)
    print(f"synthesizing the demo call {script.id!r} (cached after the first run)...", flush=True)
    synth = synthesize_script(script, phone=True, seed=args.seed)
    print(f"  {synth.duration:.0f} s, {len(synth.turns)} turns", flush=True)
    try:
        return asyncio.run(run(args, script, synth))
    except KeyboardInterrupt:
        return 0
