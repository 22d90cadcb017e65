"""The one recognizer interface every speech engine sits behind.

A recognizer serves one speaker channel of one call. Audio goes in with
:meth:`Recognizer.push`; partial and final :class:`Utterance` events come out by
``async for``. :meth:`flush` closes whatever utterance is open (end of call,
hold); :meth:`aclose` ends the stream, after which iteration stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from transcription.types import AudioChunk, Utterance


@runtime_checkable
class Recognizer(Protocol):
    def push(self, chunk: AudioChunk) -> None:
        """Queue audio; never blocks and never decodes on the caller's thread."""
        ...

    async def flush(self) -> None:
        """Finalise the open utterance, if any, and wait until it has been emitted and,
        while someone iterates the stream, taken by them (their loop body has run)."""
        ...

    def __aiter__(self) -> AsyncIterator[Utterance]: ...

    async def aclose(self) -> None:
        """Release the stream; iteration ends after the last pending final."""
        ...
