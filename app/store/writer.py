"""One background thread applying store writes in submission order.

The event loop never waits on the database: :meth:`Writer.submit` enqueues a
callable and returns at once. Writes are applied one by one, each in its own
short transaction, so a final utterance is on disk milliseconds after it was
produced. A failing write is logged (type and where, never the data) and
counted; later writes go on. :meth:`flush` awaits everything submitted so far.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger("heard.store")

_STOP = object()


class Writer:
    def __init__(self, name: str = "heard-writer") -> None:
        self.name = name
        self._q: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.errors = 0
        self.applied = 0
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._started = True
            self._thread.start()

    @property
    def depth(self) -> int:
        return self._q.qsize()

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue ``fn(*args, **kwargs)``; never blocks. The future holds its result."""
        fut: Future[Any] = Future()
        self._q.put((fn, args, kwargs, fut))
        return fut

    async def flush(self) -> None:
        """Wait until every write submitted before this call has been applied."""
        fut = self.submit(lambda: None)
        await asyncio.wrap_future(fut)

    def _run(self) -> None:
        while True:
            item = self._q.get()
            if item is _STOP:
                return
            fn, args, kwargs, fut = item
            try:
                fut.set_result(fn(*args, **kwargs))
                self.applied += 1
            except Exception as e:  # keep writing the other calls' data
                self.errors += 1
                log.error(
                    "store write failed",
                    extra={"op": getattr(fn, "__name__", "?"), "error": e.__class__.__name__},
                )
                fut.set_exception(e)

    def close(self, timeout: float = 10.0) -> None:
        """Apply what is queued, then stop the thread."""
        if self._started and self._thread.is_alive():
            self._q.put(_STOP)
            self._thread.join(timeout)
