"""Per-speaker streaming endpointing with the Silero VAD ONNX model faster-whisper ships.

The model (``faster_whisper/assets/silero_vad_v6.onnx``) is stateful: it scores
512-sample windows at 16 kHz, each preceded by the 64 samples before it, and
carries an LSTM state ``(h, c)`` from window to window. One ONNX session is shared
by every stream (``InferenceSession.run`` is thread-safe); each
:class:`Endpointer` keeps its own state, context and utterance buffer.

Endpointing: an utterance opens at the first window scoring ``>= threshold``
(with ``pad_s`` of audio before it), and closes once the speaker has been below
``neg_threshold`` for ``end_silence_s``; the final audio ends ``pad_s`` after the
last speech window. An utterance reaching ``max_utterance_s`` is cut at its
quietest window in the second half, and the remainder carries on as the next
utterance. Utterances with less than ``min_speech_s`` of speech are dropped
(clicks, breaths).

Energy assist: Silero scores some real voices (hoarse, a cold, through the
phone band) far below threshold. A window ``energy_assist_db`` above the
speaker's running noise floor (minimum statistics: the quietest window of the
last ~5 s; speech has gaps between words, steady noise has none) also counts as
speech; steady background noise raises the floor and stops counting within 5 s.

Idle calls cost (almost) nothing: a window whose RMS is under ``energy_gate_dbfs``
counts as silence without running the model, and :meth:`Endpointer.needs_model`
tells the caller whether a chunk can be processed inline (no thread hop) at all.
It checks the RMS of exactly the windows the chunk completes, so the comfort
noise of a real phone line (-60..-70 dBFS, whose peaks cross the gate although no
window's RMS does) stays inline like digital silence. While nobody speaks, gated windows
skip the per-window state machine (:meth:`Endpointer._quiet`).
"""

from __future__ import annotations

import os
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from transcription.config import VadConfig
from transcription.errors import ModelLoadError
from transcription.types import SAMPLE_RATE

WINDOW = 512
CONTEXT = 64
WINDOW_S = WINDOW / SAMPLE_RATE
#: noise floor = the quietest window of the last FLOOR_BLOCKS blocks of FLOOR_BLOCK windows
FLOOR_BLOCK = 16  # ~0.5 s
FLOOR_BLOCKS = 10  # ~5 s

F32 = npt.NDArray[np.float32]


def silero_model_path() -> Path:
    import faster_whisper

    assets = Path(os.path.dirname(faster_whisper.__file__)) / "assets"
    found = sorted(assets.glob("silero_vad*.onnx"))
    if not found:
        raise ModelLoadError(f"no silero_vad*.onnx in {assets} (faster-whisper install broken?)")
    return found[-1]


class SileroVad:
    """The shared ONNX session; :meth:`score` runs a sequence of windows for one stream."""

    def __init__(self, path: Path | None = None) -> None:
        import onnxruntime

        self.path = path or silero_model_path()
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = 1
        opts.enable_cpu_mem_arena = False
        opts.log_severity_level = 4
        try:
            self.session = onnxruntime.InferenceSession(
                str(self.path), providers=["CPUExecutionProvider"], sess_options=opts
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise ModelLoadError(f"cannot load Silero VAD {self.path}: {exc}") from exc
        self.windows_scored = 0
        self._lock = threading.Lock()

    def score(
        self, windows: F32, h: F32, c: F32
    ) -> tuple[npt.NDArray[np.float32], F32, F32]:
        """Speech probabilities of ``windows`` (n x (64 + 512)), in order, and the new state."""
        probs, hn, cn = self.session.run(None, {"input": windows, "h": h, "c": c})
        with self._lock:
            self.windows_scored += len(windows)
        return np.asarray(probs, np.float32).reshape(-1), hn, cn


@dataclass(frozen=True, slots=True)
class Segment:
    """Audio of one utterance (so far), ``start`` on the call clock.

    ``index`` numbers the speaker's utterances; a partial and its final share it.

    Speculative finals (only from an :class:`Endpointer` given ``speculate_after_s``):
    ``speculative`` (``final`` false) carries exactly the audio the final of
    ``index`` will carry if no speech follows; ``retract`` (no audio) says speech
    did follow (or the utterance was cut), so the last speculative segment of
    ``index`` is void.
    """

    index: int
    audio: F32
    start: float
    final: bool
    speculative: bool = False
    retract: bool = False

    @property
    def end(self) -> float:
        return self.start + len(self.audio) / SAMPLE_RATE


def _dbfs_to_rms(dbfs: float) -> float:
    return float(10 ** (dbfs / 20))


def _window_rms(windows: F32) -> npt.NDArray[np.float64]:
    """RMS of each row (n x WINDOW), in float64 so the gate decision is the same everywhere."""
    return np.sqrt(np.mean(np.square(windows, dtype=np.float64), axis=1))


class Endpointer:
    """Streaming endpointing for one speaker: audio in, partial/final :class:`Segment`s out.

    Not thread-safe: the owner feeds it from one place at a time (inline when
    :meth:`needs_model` is false, else in the VAD worker).

    ``speculate_after_s``: after this much silence (raised to ``pad_s`` if shorter)
    emit a speculative segment. Why its audio is the final's: a close keeps the
    utterance up to ``pad_s`` after its last speech window, and once the silence is
    ``pad_s`` long more silence only adds windows that the close cuts off again.
    """

    def __init__(
        self,
        vad: SileroVad,
        config: VadConfig | None = None,
        *,
        partial_interval_s: float | None = None,
        speculate_after_s: float | None = None,
    ) -> None:
        self.vad = vad
        self.cfg = config or VadConfig()
        self.partial_interval_s = partial_interval_s
        #: silent windows after which a speculative final is emitted (0: never)
        self._spec_windows = 0
        if speculate_after_s is not None:
            n = max(int(np.ceil(speculate_after_s / WINDOW_S - 1e-9)), self._pad_windows())
            end = int(np.ceil(self.cfg.end_silence_s / WINDOW_S - 1e-9))
            self._spec_windows = n if n < end else 0
        self._spec_open = False  # a speculative segment of the open utterance stands
        self._gate = _dbfs_to_rms(self.cfg.energy_gate_dbfs)
        self._gate_db = 20.0 * float(np.log10(self._gate))  # what _loud computes at the gate
        self._quiet_energy = self._gate * self._gate * WINDOW * 0.99
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._context = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)  # < WINDOW samples not yet scored
        self._clock: float | None = None  # call time of _pending[0]
        # history: recent windows (for pre-roll) and the open utterance
        self._pre: list[F32] = []
        self._utt: list[F32] = []
        self._utt_probs: list[float] = []
        self._utt_rms: list[float] = []
        self._utt_start = 0.0
        self._speaking = False
        self._silent_windows = 0
        self._speech_windows = 0
        self._last_partial = 0
        self._index = 0
        self._floor_blocks: deque[float] = deque(maxlen=FLOOR_BLOCKS)
        self._block_min = np.inf
        self._block_n = 0
        self.windows = 0
        self.gated_windows = 0

    # -- public -----------------------------------------------------------------------------
    @property
    def speaking(self) -> bool:
        return self._speaking

    @property
    def clock(self) -> float:
        """Call time just after the last sample fed."""
        if self._clock is None:
            return 0.0
        return self._clock + len(self._pending) / SAMPLE_RATE

    def needs_model(self, pcm: F32) -> bool:
        """False when feeding ``pcm`` next will not run the model: feeding is then pure numpy.

        Checks exactly the windows that feeding would complete (the pending samples
        plus ``pcm``) against the gate, as :meth:`feed` does; so digital silence and
        line noise whose windows stay under the gate are both "no model", however
        high their single peaks. (After a clock gap :meth:`feed` realigns its windows
        to ``pcm``; the answer may then be wrong once, which only costs one inline
        model call.)
        """
        n = (len(self._pending) + len(pcm)) // WINDOW
        if n == 0:
            return False
        buf = np.concatenate([self._pending, np.asarray(pcm, np.float32)])
        if self._surely_gated(buf):  # the common idle case, 4x cheaper than per window
            return False
        return bool((_window_rms(buf[: n * WINDOW].reshape(n, WINDOW)) >= self._gate).any())

    def feed(self, pcm: F32, start: float) -> list[Segment]:
        """Feed audio that starts at call time ``start``; returns segments closed or due.

        A jump forward in ``start`` (hold, lost frames) counts as silence: an open
        utterance is closed, nothing is stitched across the gap.
        """
        out: list[Segment] = []
        if self._clock is None:
            self._clock = start
        expected = self.clock
        if start > expected + 0.05:
            out += self._close(final=True)
            self._pending = np.zeros(0, np.float32)
            self._pre.clear()
            self._clock = start
        buf = np.concatenate([self._pending, np.asarray(pcm, np.float32)])
        n = len(buf) // WINDOW
        self._pending = buf[n * WINDOW :]
        if n == 0:
            return out
        windows = buf[: n * WINDOW].reshape(n, WINDOW)
        if not self._speaking and self._surely_gated(buf[: n * WINDOW]):
            # Idle line: all of it together has less energy than one window at the gate.
            self._h[:] = 0.0
            self._c[:] = 0.0
            self._context = windows[-1, -CONTEXT:].copy()
            self.windows += n
            self.gated_windows += n
            self._quiet(windows)
            return out
        rms = _window_rms(windows)
        live = rms >= self._gate
        probs = np.zeros(n, np.float32)
        if live.any():
            ctx = np.concatenate([self._context[None, :], windows[:-1, -CONTEXT:]], axis=0)
            batch = np.ascontiguousarray(np.concatenate([ctx, windows], axis=1), np.float32)
            probs, self._h, self._c = self.vad.score(batch, self._h, self._c)
            probs = np.where(live, probs, 0.0).astype(np.float32)
        else:
            # Long silence: forget the LSTM state so the next speech starts fresh.
            self._h[:] = 0.0
            self._c[:] = 0.0
        self._context = windows[-1, -CONTEXT:].copy()
        self.windows += n
        self.gated_windows += int((~live).sum())
        if not self._speaking and not live.any():
            self._quiet(windows)
            return out
        for i in range(n):
            out += self._step(windows[i], float(probs[i]), float(rms[i]))
            self._clock += WINDOW_S
        # No partial once the speaker has gone quiet: the final is due within
        # end_silence_s, and a partial decode then would only delay it.
        if self._speaking and self.partial_interval_s and self._silent_windows == 0:
            spoken = len(self._utt) - self._last_partial
            if spoken * WINDOW_S >= self.partial_interval_s:
                self._last_partial = len(self._utt)
                out.append(Segment(self._index, np.concatenate(self._utt), self._utt_start, False))
        return out

    def flush(self) -> list[Segment]:
        """End of stream / hold: close the open utterance now."""
        return self._close(final=True)

    # -- internals --------------------------------------------------------------------------
    def _surely_gated(self, samples: F32) -> bool:
        """True when no window within ``samples`` can reach the gate: their total energy
        is under one window's worth at the gate (with a margin for float32 sums)."""
        return float(np.dot(samples, samples)) < self._quiet_energy

    def _quiet(self, windows: F32) -> None:
        """What :meth:`_step` does for gated windows while nobody speaks, without the loop.

        Such a window scores 0, is never loud, and enters the noise floor at the gate
        level; it only joins the pre-roll. Idle calls take this path for every chunk.
        """
        keep = self._pad_windows() + 1
        self._pre.extend(windows[-keep:])
        del self._pre[:-keep]
        if self.cfg.energy_assist_db > 0:
            for _ in range(len(windows)):
                self._block_min = min(self._block_min, self._gate_db)
                self._block_n += 1
                if self._block_n == FLOOR_BLOCK:
                    self._floor_blocks.append(self._block_min)
                    self._block_min, self._block_n = np.inf, 0
        assert self._clock is not None
        for _ in range(len(windows)):  # the same float sums as one window at a time
            self._clock += WINDOW_S

    def _pad_windows(self) -> int:
        return max(1, round(self.cfg.pad_s / WINDOW_S))

    def _loud(self, rms: float) -> bool:
        """Energy assist: is this window well above the running noise floor?"""
        if self.cfg.energy_assist_db <= 0:
            return False
        db = 20.0 * float(np.log10(max(rms, self._gate)))
        self._block_min = min(self._block_min, db)
        self._block_n += 1
        floor = min(self._block_min, *self._floor_blocks) if self._floor_blocks else db
        if self._block_n == FLOOR_BLOCK:
            self._floor_blocks.append(self._block_min)
            self._block_min, self._block_n = np.inf, 0
        return rms >= self._gate and db >= floor + self.cfg.energy_assist_db

    def _step(self, window: F32, prob: float, rms: float) -> list[Segment]:
        cfg = self.cfg
        if self._loud(rms):
            prob = max(prob, cfg.threshold)
        if not self._speaking:
            self._pre.append(window)
            if len(self._pre) > self._pad_windows() + 1:
                self._pre.pop(0)
            if prob >= cfg.threshold:
                self._speaking = True
                pre = self._pre[:-1]
                self._utt = [*pre, window]
                self._utt_probs = [0.0] * len(pre) + [prob]
                self._utt_rms = [0.0] * len(pre) + [rms]
                # _clock is the time of this window's first sample
                assert self._clock is not None
                self._utt_start = self._clock - len(pre) * WINDOW_S
                self._silent_windows = 0
                self._speech_windows = 1
                self._last_partial = 0
                self._spec_open = False
                self._pre.clear()
            return []
        out: list[Segment] = []
        self._utt.append(window)
        self._utt_probs.append(prob)
        self._utt_rms.append(rms)
        if prob < cfg.neg_threshold:
            self._silent_windows += 1
        else:
            self._silent_windows = 0
            self._speech_windows += 1
            if self._spec_open:
                out.append(self._retract())
        silence = self._silent_windows * WINDOW_S
        if silence >= cfg.end_silence_s or (
            silence >= cfg.long_end_silence_s and len(self._utt) * WINDOW_S >= cfg.long_utterance_s
        ):
            return out + self._close(final=True)
        if len(self._utt) * WINDOW_S >= cfg.max_utterance_s:
            if self._spec_open:
                out.append(self._retract())
            return out + self._split()
        if self._spec_windows and self._silent_windows == self._spec_windows:
            spec = self._cut(final=False, speculative=True)
            self._spec_open = bool(spec)
            out += spec
        return out

    def _retract(self) -> Segment:
        self._spec_open = False
        return Segment(self._index, np.zeros(0, np.float32), self._utt_start, False, retract=True)

    def _split(self) -> list[Segment]:
        """Cut an over-long utterance at its quietest window in the second half."""
        n = len(self._utt)
        lo, hi = n // 2, max(n // 2 + 1, n - 4)
        probs = np.asarray(self._utt_probs[lo:hi])
        rms = np.asarray(self._utt_rms[lo:hi])
        cut = lo + int(np.lexsort((rms, probs))[0]) + 1
        head = np.concatenate(self._utt[:cut])
        seg = Segment(self._index, head, self._utt_start, True)
        self._index += 1
        self._utt_start += cut * WINDOW_S
        self._utt = self._utt[cut:]
        self._utt_probs = self._utt_probs[cut:]
        self._utt_rms = self._utt_rms[cut:]
        self._last_partial = 0
        self._speech_windows = sum(p >= self.cfg.neg_threshold for p in self._utt_probs)
        return [seg]

    def _cut(self, *, final: bool, speculative: bool = False) -> list[Segment]:
        """The utterance as a close would emit it now (``[]`` if too little speech)."""
        # Keep pad_s of the trailing silence, drop the rest.
        keep = len(self._utt) - max(0, self._silent_windows - self._pad_windows())
        utt = self._utt[:keep]
        enough = self._speech_windows * WINDOW_S >= self.cfg.min_speech_s
        if not enough or not utt:
            return []
        return [Segment(self._index, np.concatenate(utt), self._utt_start, final, speculative)]

    def _close(self, final: bool) -> list[Segment]:
        if not self._speaking:
            return []
        self._speaking = False
        self._spec_open = False
        out = self._cut(final=final)
        self._pre = self._utt[-self._pad_windows() :]
        self._utt, self._utt_probs, self._utt_rms = [], [], []
        self._silent_windows = 0
        if out:
            self._index += 1
        return out
