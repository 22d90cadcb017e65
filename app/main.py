"""The app factory: ``create_app(settings) -> FastAPI``.

Shared state is built in the lifespan and kept on ``app.state``:

- ``settings`` (:class:`app.settings.Settings`), ``bus`` (:class:`app.bus.Bus`) and
  ``metrics`` — set by ``create_app`` itself, so routers' own lifespans find them;
- ``store`` (:class:`app.store.Store`), ``writer`` (ordered writes off the loop),
  ``recorder`` (per-speaker WAV), ``transcriber`` (speech-to-text service),
  ``calls`` (:class:`app.calls.CallRegistry`), ``sidebar_source`` (live picture of a
  call for the agent screens), ``playbook`` (:class:`app.playbooks.LivePlaybook`,
  None when a test passes its own engine factory) — set by the lifespan.

Routers: ``/healthz``/``/metrics``, the call data API, the ingest websockets,
and — when importable — the agent and supervisor screens and the sign-in routes.
Missing optional routers are skipped with a log line, so the server starts while
they are being written.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.bus import Bus
from app.calls import CallRegistry, CallServices, EngineFactory
from app.metrics import Metrics
from app.playbooks import LivePlaybook
from app.settings import Settings
from app.store import Recorder, Store, Writer
from transcription.service import Transcriber

log = logging.getLogger("heard.app")

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

#: Routers written by other owners, included when their module imports.
OPTIONAL_ROUTERS = (
    "app.routers.agent",
    "app.routers.supervisor",
    "app.routers.trainer",
    "app.security.routes",
)


def build_transcriber(settings: Settings) -> Transcriber:
    if settings.transcription.engine == "fake":
        from transcription.fake import FakeTranscriptionService

        return FakeTranscriptionService()
    from transcription.service import TranscriptionService

    return TranscriptionService(settings.transcription.to_config())


def create_app(
    settings: Settings | None = None,
    *,
    transcriber: Transcriber | None = None,
    engine_factory: EngineFactory | None = None,
) -> FastAPI:
    """The Heard server. ``transcriber`` and ``engine_factory`` are for tests (fakes)."""
    settings = settings or Settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with _running(app, settings, transcriber, engine_factory):
            yield

    app = FastAPI(title="Heard", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.bus = Bus(maxsize=settings.subscriber_queue_size)
    app.state.metrics = Metrics()

    from app.routers import api, health, ingest

    app.include_router(health.router)
    app.include_router(api.router)
    app.include_router(ingest.router)
    for name in OPTIONAL_ROUTERS:
        _include_optional(app, name)
    if STATIC_DIR.is_dir():
        app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app


def _include_optional(app: FastAPI, module_name: str) -> None:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as e:
        if e.name and module_name.startswith(e.name):
            log.info("optional router not present", extra={"router": module_name})
            return
        raise
    router = getattr(module, "router", None)
    if router is not None:
        app.include_router(router)
    install = getattr(module, "install", None)
    if callable(install):  # e.g. the security module installs its principal loader
        install(app)


@contextlib.asynccontextmanager
async def _running(
    app: FastAPI,
    settings: Settings,
    transcriber: Transcriber | None,
    engine_factory: EngineFactory | None,
) -> AsyncIterator[None]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(settings.db_url, settings.data_dir)
    await asyncio.to_thread(store.migrate)
    interrupted = await asyncio.to_thread(store.mark_interrupted)
    if interrupted:
        log.warning(
            "calls left live by a previous run marked interrupted",
            extra={"calls": len(interrupted)},
        )
    writer = Writer()
    writer.start()
    recorder = Recorder(store, writer, settings.recordings_dir, enabled=settings.record_audio)
    recorder.start()
    stt = transcriber or build_transcriber(settings)
    await stt.start()
    playbook: LivePlaybook | None = None
    watcher: asyncio.Task[None] | None = None
    factory: EngineFactory
    if engine_factory is None:
        # Each new call gets the playbook current at its start (trainers edit the file
        # while the server runs); a broken edit keeps the last good one.
        playbook = await asyncio.to_thread(LivePlaybook, settings.playbook_path)
        watcher = asyncio.create_task(playbook.watch())
        factory = playbook.engine
    else:
        factory = engine_factory
    app.state.playbook = playbook
    await asyncio.to_thread(_warm_up, factory)
    metrics: Metrics = app.state.metrics
    metrics.bind(
        decode_depth=lambda: float(stt.stats().queue_depth),
        store_depth=lambda: float(writer.depth + recorder.depth),
    )
    services = CallServices(
        settings=settings,
        bus=app.state.bus,
        store=store,
        writer=writer,
        recorder=recorder,
        transcriber=stt,
        metrics=metrics,
        engine_factory=factory,
    )
    calls = CallRegistry(services)
    calls.start()
    app.state.store = store
    app.state.writer = writer
    app.state.recorder = recorder
    app.state.transcriber = stt
    app.state.calls = calls
    app.state.services = services
    if getattr(app.state, "sidebar_source", None) is None:
        from app.snapshots import sidebar_source

        app.state.sidebar_source = sidebar_source
    log.info("server ready", extra={"data_dir": str(settings.data_dir)})
    try:
        yield
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        await calls.shutdown()
        await recorder.flush()
        await writer.flush()
        await stt.aclose()
        recorder.close()
        writer.close()
        store.close()
        app.state.bus.close()
        log.info("server stopped")


def _warm_up(factory: EngineFactory) -> None:
    """Build one cue engine now: its playbook compiles once, not on the first call's audio."""
    try:
        factory("warm-up")
    except Exception as e:  # reported again, per call, if it really cannot be built
        log.error("cue engine cannot be built", extra={"error": e.__class__.__name__})


def state_of(app: Any) -> CallServices:
    """The shared services of a running app (for routers)."""
    services: CallServices = app.state.services
    return services
