"""The cue playbook a server builds each new call's engine with, reloaded on change.

Trainers point ``playbook_path`` at their own file and edit it while the server runs.
:class:`cues.playbook.PlaybookStore` re-reads the file when it changes and keeps the
last good playbook when an edit does not validate. Parsing a playbook takes a few
hundred milliseconds, so it is never done on the event loop: :meth:`LivePlaybook.watch`
refreshes it in a worker thread, and a new call only takes the playbook already loaded
(calls in progress keep the one they started with).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from app.calls import CueEngineLike
from cues.playbook import Playbook, PlaybookStore

log = logging.getLogger("heard.playbook")

#: How often the file is looked at (one ``stat``; a parse only when it changed).
WATCH_INTERVAL_S = 1.0


class LivePlaybook:
    """A :class:`PlaybookStore` watched off the loop, and the engine factory built on it.

    Build it in a worker thread (the first load parses the file).
    """

    def __init__(self, path: str | Path) -> None:
        self.store = PlaybookStore(path)
        self.playbook: Playbook = self.store.current()
        self._reported: str | None = None
        self._report()

    @property
    def path(self) -> Path:
        return self.store.path

    def refresh(self) -> Playbook:
        """Re-read the file if it changed (blocking: call from a worker thread)."""
        self.playbook = self.store.current()
        self._report()
        return self.playbook

    def _report(self) -> None:
        err = self.store.last_error
        if err is None:
            if self._reported is not None:
                log.info("playbook loaded again after a fix", extra={"file": str(self.path)})
            self._reported = None
            return
        if str(err) == self._reported:
            return  # said once per distinct error, not once a second
        self._reported = str(err)
        log.error(
            "playbook %s not loaded, new calls keep the last good playbook: %s",
            err.path,
            err,
            extra={"file": err.path, "file_line": err.line},
        )

    def engine(self, call_id: str) -> CueEngineLike:
        """A cue engine for a new call, on the playbook loaded now."""
        from cues.engine import CueEngine  # lazily: the app imports without the engine

        engine: CueEngineLike = CueEngine(call_id, self.playbook)
        return engine

    async def watch(self, interval_s: float = WATCH_INTERVAL_S) -> None:
        """Refresh forever (cancel to stop); an unexpected error is logged, not fatal."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception as e:  # the server outlives a bad file, whatever it is
                log.error("playbook refresh failed", extra={"error": e.__class__.__name__})
