"""The adapter contract between the shared decoder and a speech engine.

An :class:`Engine` is blocking and single-threaded from its own point of view:
the :class:`~transcription.decoder.Decoder` calls :meth:`Engine.decode` from its
one worker thread only, with a batch of requests it chose (finals first). Engine
native types never leave the adapter: results are plain text and
:class:`~transcription.types.Word`s already on the call clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from transcription.types import SAMPLE_RATE, Speaker, Word

StreamKey = tuple[str, Speaker]


@dataclass(frozen=True, slots=True)
class DecodeRequest:
    """Decode one utterance (so far) of one stream.

    ``audio`` is the utterance's 16 kHz mono audio from its first sample;
    ``offset`` is the call time of that first sample. A partial request carries
    the audio so far; its final carries the whole utterance with the same ``seq``.
    """

    key: StreamKey
    seq: int
    audio: npt.NDArray[np.float32]
    offset: float
    final: bool

    @property
    def duration(self) -> float:
        return len(self.audio) / SAMPLE_RATE


@dataclass(frozen=True, slots=True)
class DecodeResult:
    text: str
    words: tuple[Word, ...] = ()
    #: the engine had to take its slower, safer path (e.g. Whisper's padded window)
    fallback: bool = False


class Engine(Protocol):
    name: str
    #: how many requests one :meth:`decode` call may take
    max_batch: int
    #: set by the decoder before each call: how far behind it is, in finals: those
    #: still waiting behind this batch, plus ``SHED_BACKLOG`` while it has been busy
    #: over ``config.shed_busy`` of late (an engine may trade a little accuracy for
    #: speed while it is behind)
    backlog: int

    def decode(self, requests: Sequence[DecodeRequest]) -> list[DecodeResult]:
        """Blocking decode of a batch, one result per request, in order."""
        ...

    def release(self, key: StreamKey) -> None:
        """The stream is gone: drop any per-stream state."""
        ...
