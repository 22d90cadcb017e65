"""A recognizer's output: the queue ``async for`` reads, and knowing what the reader took.

Both recognizers (the real stream and the scripted fake) keep their promise that
``flush`` returns only once the reader has taken every emitted utterance (its
loop body has run) through this one piece.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from transcription.types import Utterance

#: flush waits this long for the reader to take what was emitted (a reader that
#: stopped reading must not hang the call's end)
DELIVERY_WAIT_S = 5.0


class Outbox:
    """Utterances out to one reader; :meth:`close` ends its iteration."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Utterance | None] = asyncio.Queue()
        self._reading = False

    def put(self, utt: Utterance) -> None:
        self._queue.put_nowait(utt)

    def close(self) -> None:
        self._queue.put_nowait(None)

    async def __aiter__(self) -> AsyncIterator[Utterance]:
        self._reading = True
        try:
            while True:
                utt = await self._queue.get()
                if utt is None:
                    self._queue.task_done()
                    return
                yield utt
                self._queue.task_done()  # the consumer's loop body has run
        finally:
            self._reading = False

    async def delivered(self) -> None:
        """Wait until the reader has taken everything put so far (if one reads)."""
        if self._reading:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._queue.join(), DELIVERY_WAIT_S)
