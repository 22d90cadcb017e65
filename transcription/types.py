"""The typed events of the transcription stage.

These shapes are the contract between the audio edge, the recognizers and
everything downstream (cue engine, server, storage). Engine-native types never
leave an adapter; only these do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Speaker = Literal["caller", "agent"]
SPEAKERS: tuple[Speaker, Speaker] = ("caller", "agent")

#: Every recognizer and VAD downstream of the audio edge sees this rate only.
SAMPLE_RATE = 16_000


@dataclass(frozen=True, slots=True)
class AudioChunk:
    """A run of one speaker's audio on the call's clock.

    ``pcm`` is mono float32 in [-1, 1] at :data:`SAMPLE_RATE`; ``start`` is the
    time of its first sample in seconds since the call began (the call's clock,
    not the wall clock), so gaps (hold, dropped frames) are visible downstream.
    """

    call_id: str
    speaker: Speaker
    pcm: npt.NDArray[np.float32]
    start: float

    @property
    def duration(self) -> float:
        return len(self.pcm) / SAMPLE_RATE

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word with its times on the call's clock and a 0..1 confidence."""

    text: str
    start: float
    end: float
    confidence: float


@dataclass(frozen=True, slots=True)
class Utterance:
    """What one speaker said: partial (a preview), final, or a revised final.

    ``seq`` numbers a speaker's utterances within a call; a partial and the final
    that replaces it share ``seq``, hence :attr:`id`.

    ``revision`` is 0 for the first final, which is what the live path acts on
    (cues are raised from it, within a second). A recognizer may later emit the
    same ``id`` again, final with ``revision`` 1, 2, ...: a second pass that
    decoded several of the speaker's utterances together once the speaker paused
    (see :mod:`transcription.stream`). A revision replaces the text and words of
    the stored and shown utterance; it never opens a new one and is never fed to
    the cue engine again.
    """

    call_id: str
    speaker: Speaker
    seq: int
    text: str
    start: float
    end: float
    final: bool
    words: tuple[Word, ...] = field(default=())
    revision: int = 0

    @property
    def id(self) -> str:
        return f"{self.call_id}:{self.speaker}:{self.seq}"

    @property
    def confidence(self) -> float:
        """Mean word confidence (1.0 when the engine gave no words)."""
        if not self.words:
            return 1.0
        return sum(w.confidence for w in self.words) / len(self.words)
