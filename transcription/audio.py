"""The one audio edge: every wire format becomes :class:`AudioChunk`s here and nowhere else.

Supported: PCM16 little-endian at 8, 16, 44.1 and 48 kHz; G.711 µ-law and A-law at
8 kHz; mono, or stereo interleaved with one speaker per channel. Output is 16 kHz
mono float32 per speaker, stamped on the call's clock (seconds since the call
began, sample-accurate: the clock is the count of samples produced, never the
wall clock).

One :class:`AudioEdge` per call (per ingest connection). It keeps, per call:

* the bytes of an incomplete sample frame, carried to the next payload (a
  websocket frame may split a sample or a stereo frame);
* one streaming resampler for all its channels, so resampling has no seams at
  payload boundaries (:class:`SlidingResampler` for 8 kHz phone audio, which keeps
  the endpointer's view of the line 12 ms behind it instead of up to 104 ms;
  ``soxr.ResampleStream`` for the other rates);
* the clock of each speaker, advanced by :meth:`AudioEdge.advance` over known gaps
  (hold, a reconnect) so that later audio keeps its true call time.

G.711 is decoded and encoded with 256-entry lookup tables (numpy, no audioop:
it is gone from Python 3.13). :func:`encode_mulaw` / :func:`encode_alaw` exist
for the synthesizer, replay and the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Literal

import numpy as np
import numpy.typing as npt
import soxr

from transcription.errors import AudioFormatError
from transcription.types import SAMPLE_RATE, SPEAKERS, AudioChunk, Speaker

Encoding = Literal["pcm16", "mulaw", "alaw"]
ENCODINGS: tuple[Encoding, ...] = ("pcm16", "mulaw", "alaw")
PCM16_RATES = (8000, 16000, 44100, 48000)
G711_RATES = (8000,)

F32 = npt.NDArray[np.float32]


# --- G.711 -----------------------------------------------------------------------------------
@cache
def mulaw_table() -> npt.NDArray[np.int16]:
    """µ-law byte -> linear int16 (ITU-T G.711; 0xFF and 0x7F are the two zeros)."""
    u = (~np.arange(256, dtype=np.int32)) & 0xFF
    sign = u & 0x80
    exponent = (u >> 4) & 0x07
    mantissa = u & 0x0F
    magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


@cache
def alaw_table() -> npt.NDArray[np.int16]:
    """A-law byte -> linear int16 (ITU-T G.711, even bits inverted with 0x55)."""
    a = np.arange(256, dtype=np.int32) ^ 0x55
    sign = a & 0x80
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    magnitude = np.where(
        exponent == 0,
        (mantissa << 4) + 8,
        ((mantissa << 4) + 0x108) << np.maximum(exponent - 1, 0),
    )
    return np.where(sign != 0, magnitude, -magnitude).astype(np.int16)


def _encoder(table: npt.NDArray[np.int16]) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.uint8]]:
    order = np.argsort(table, kind="stable")
    return table[order].astype(np.int32), order.astype(np.uint8)


def _encode(pcm: npt.NDArray[np.int16], table: npt.NDArray[np.int16]) -> bytes:
    """Nearest G.711 code for each sample (a tie picks the lower level)."""
    values, codes = _encoder(table)
    x = np.asarray(pcm, dtype=np.int32)
    idx = np.clip(np.searchsorted(values, x), 1, len(values) - 1)
    lower_closer = (x - values[idx - 1]) <= (values[idx] - x)
    best = np.where(lower_closer, idx - 1, idx)
    return codes[best].tobytes()


def encode_mulaw(pcm: npt.NDArray[np.int16]) -> bytes:
    """Linear int16 samples -> µ-law bytes."""
    return _encode(pcm, mulaw_table())


def encode_alaw(pcm: npt.NDArray[np.int16]) -> bytes:
    """Linear int16 samples -> A-law bytes."""
    return _encode(pcm, alaw_table())


def decode_mulaw(data: bytes) -> npt.NDArray[np.int16]:
    return mulaw_table()[np.frombuffer(data, dtype=np.uint8)]


@cache
def _float_table(encoding: Encoding) -> F32:
    """G.711 byte -> float32 sample in [-1, 1): one lookup instead of lookup, cast, scale."""
    table = mulaw_table() if encoding == "mulaw" else alaw_table()
    return (table.astype(np.float32) / 32768.0).astype(np.float32)


@cache
def _quiet_codes(encoding: Encoding) -> bytes:
    """The G.711 codes under :data:`QUIET_PEAK`: a payload of only these bytes is quiet.

    ``payload.translate(None, codes)`` tells it without decoding (a fraction of a
    microsecond for a 20 ms frame, against several numpy calls).
    """
    levels = np.abs(_float_table(encoding))
    return bytes(np.flatnonzero(levels < QUIET_PEAK).tolist())


def decode_alaw(data: bytes) -> npt.NDArray[np.int16]:
    return alaw_table()[np.frombuffer(data, dtype=np.uint8)]


def float_to_pcm16(x: npt.ArrayLike) -> npt.NDArray[np.int16]:
    """Float samples in [-1, 1] -> int16 (NaN -> 0, clipped)."""
    arr = np.nan_to_num(np.asarray(x, dtype=np.float32), nan=0.0, posinf=1.0, neginf=-1.0)
    return np.round(np.clip(arr, -1.0, 32767 / 32768) * 32768).astype(np.int16)


def to_phone_band(pcm: npt.NDArray[np.float32], rate: int = SAMPLE_RATE) -> F32:
    """Pass mono float audio through an 8 kHz µ-law line and back to ``rate`` (phone path)."""
    if rate != 8000:
        pcm = soxr.resample(pcm, rate, 8000, quality="HQ")
    ulaw = encode_mulaw(float_to_pcm16(pcm))
    edge = AudioEdge("phone-path", AudioFormat("mulaw", 8000, 1, ("caller",)))
    chunks = edge.decode(ulaw) + edge.flush()
    out = np.concatenate([c.pcm for c in chunks]) if chunks else np.zeros(0, np.float32)
    if rate != SAMPLE_RATE:
        out = soxr.resample(out, SAMPLE_RATE, rate, quality="HQ").astype(np.float32)
    return out


# --- format ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class AudioFormat:
    """A wire format. ``speakers`` names each channel in order (stereo: caller, agent).

    Raises :class:`AudioFormatError` on construction when the combination is not
    supported (e.g. µ-law at 16 kHz, 3 channels, a speaker named twice).
    """

    encoding: Encoding = "pcm16"
    sample_rate: int = SAMPLE_RATE
    channels: int = 1
    speakers: tuple[Speaker, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.encoding not in ENCODINGS:
            raise AudioFormatError(
                f"unsupported encoding {self.encoding!r}; expected one of {', '.join(ENCODINGS)}"
            )
        rates = PCM16_RATES if self.encoding == "pcm16" else G711_RATES
        if self.sample_rate not in rates:
            raise AudioFormatError(
                f"unsupported sample rate {self.sample_rate} Hz for {self.encoding}; "
                f"expected one of {', '.join(map(str, rates))}"
            )
        if self.channels not in (1, 2):
            raise AudioFormatError(f"unsupported channel count {self.channels}; expected 1 or 2")
        speakers = self.speakers or SPEAKERS[: self.channels]
        if len(speakers) != self.channels:
            raise AudioFormatError(
                f"{self.channels} channel(s) but {len(speakers)} speaker name(s) {speakers}"
            )
        if any(s not in SPEAKERS for s in speakers) or len(set(speakers)) != len(speakers):
            raise AudioFormatError(f"speakers must be distinct names from {SPEAKERS}: {speakers}")
        object.__setattr__(self, "speakers", tuple(speakers))

    @property
    def sample_bytes(self) -> int:
        return 2 if self.encoding == "pcm16" else 1

    @property
    def frame_bytes(self) -> int:
        """Bytes of one sample frame (every channel once)."""
        return self.sample_bytes * self.channels

    def bytes_per_second(self) -> int:
        return self.frame_bytes * self.sample_rate


#: a line whose every sample is under -45 dBFS is quiet: hold, comfort noise, the gaps
#: between turns (the endpointer's gate is -55 dBFS RMS)
QUIET_PEAK = 10 ** (-45 / 20)
#: quiet for this long, the edge releases audio in QUIET_BLOCK_S blocks
QUIET_HOLD_AFTER_S = 1.0
QUIET_BLOCK_S = 0.1


# --- resampling ------------------------------------------------------------------------------
class SlidingResampler:
    """Integer-ratio upsampling (8 kHz -> 16 kHz), payload by payload, 12 ms behind the line.

    Why not ``soxr.ResampleStream``: from 8 kHz its HQ filter releases output in
    ~104 ms blocks (one every fifth 20 ms phone frame), so the endpointer heard the
    end of speech up to 0.1 s late on every phone call. Here each payload is
    resampled by soxr's one-shot HQ resampler together with ``LEFT`` input samples
    before it, and output is released up to ``DELAY`` input samples before the
    payload's end: far enough from both edges that the one-shot's boundary handling
    does not reach it, so the output is that of one soxr HQ resampling of the whole
    call (tests check it sample for sample), with a constant 12 ms delay. Costs one
    soxr call per payload (~70-100 µs for a stereo 20 ms frame, ten times the stream's),
    so a quiet line (every sample of the window under :data:`QUIET_PEAK`: hold,
    comfort noise, the gaps between turns) is interpolated linearly instead: nothing
    there is speech the recognizers could use (the endpointer's gate is -55 dBFS), and
    ten silent calls would otherwise cost 5 % of a core in resampling alone.
    Same interface as ``ResampleStream.resample_chunk``.
    """

    LEFT = 256  # input samples of history before the released region (>= 160 measured)
    DELAY = 96  # input samples held back for the filter's look-ahead (>= 96 measured)

    def __init__(self, in_rate: int, out_rate: int, channels: int) -> None:
        if out_rate % in_rate:
            raise ValueError(f"{in_rate} -> {out_rate} Hz is not an integer upsampling")
        self._in, self._out = in_rate, out_rate
        self._factor = out_rate // in_rate
        self._tail = np.zeros((self.LEFT + self.DELAY, channels), np.float32)
        self._tail_quiet = True
        # The first release starts DELAY samples into the zero history: not call audio.
        self._skip = self.DELAY * self._factor

    def resample_chunk(self, x: F32, last: bool = False, *, quiet: bool = False) -> F32:
        """Resample ``x`` (frames x channels); ``last`` also releases the held-back tail.

        ``quiet``: the caller knows every sample of ``x`` is under :data:`QUIET_PEAK`
        (the edge tells it from the wire bytes), which spares a scan of the window
        when the history is known quiet too.
        """
        x = np.asarray(x, np.float32).reshape(-1, self._tail.shape[1])
        seg = np.concatenate([self._tail, x])
        n, keep = len(seg) - len(self._tail), len(self._tail)
        if n == 0 and not last:
            return seg[:0]
        if last:
            seg = np.concatenate([seg, np.zeros_like(seg[: self.DELAY])])
        f = self._factor
        # Released region, in input samples of seg: [keep - DELAY, keep + n - DELAY), or on
        # ``last`` through the end of the real audio (the zeros above only feed the filter).
        lo, hi = keep - self.DELAY, keep + n - (0 if last else self.DELAY)
        quiet_seg = (quiet and self._tail_quiet) or float(np.max(np.abs(seg))) < QUIET_PEAK
        if quiet_seg:
            # seg[hi] exists: DELAY (or the zeros on ``last``) lie beyond the region
            out = _interpolate(seg[lo : hi + 1], f)
        else:
            y = np.asarray(soxr.resample(seg, self._in, self._out, quality="HQ"), np.float32)
            out = y.reshape(-1, seg.shape[1])[lo * f : hi * f]
        if self._skip:
            dropped = min(self._skip, len(out))
            out, self._skip = out[dropped:], self._skip - dropped
        self._tail = seg[len(seg) - keep - (self.DELAY if last else 0) :][:keep]
        self._tail_quiet = quiet_seg  # a loud window's tail may be quiet: scanned next time
        return out


def _interpolate(x: F32, f: int) -> F32:
    """Linear interpolation by ``f`` of frames x channels: ``(len(x) - 1) * f`` frames out.

    For ``f == 2`` (8 -> 16 kHz, the only integer ratio the edge sees) by contiguous
    array operations only: strided writes into every other row cost ~3x as much.
    """
    if f == 2:
        r = np.repeat(x, 2, axis=0)  # r[2i] = r[2i+1] = x[i]
        return np.asarray((r[:-2] + r[1:-1]) * np.float32(0.5), np.float32)
    a, b = x[:-1], x[1:]
    out = np.empty((len(a) * f, x.shape[1]), np.float32)
    for j in range(f):
        out[j::f] = a + (b - a) * np.float32(j / f)
    return out


# --- the edge --------------------------------------------------------------------------------
class AudioEdge:
    """Decodes one call's wire audio into per-speaker 16 kHz chunks on the call clock.

    Not thread-safe; one per ingest connection. Errors are raised before any state
    changes, so a rejected payload leaves the edge usable for the next one.
    """

    def __init__(self, call_id: str, fmt: AudioFormat, *, start: float = 0.0) -> None:
        self.call_id = call_id
        self.format = fmt
        self._carry = b""
        # One resampler for all channels: soxr resamples them independently (same
        # output as one stream per channel) at half the per-call cost for stereo.
        self._resampler: soxr.ResampleStream | SlidingResampler | None = self._new_resampler()
        #: per channel: call time of sample 0 of the current resampler run, samples out since
        self._base = [float(start)] * fmt.channels
        self._produced = [0] * fmt.channels
        self._held: list[bytes] = []  # quiet wire payloads not yet decoded (see _hold)
        self._held_samples = 0
        self._quiet_samples = 0
        self.bytes_in = 0
        self.clipped_samples = 0
        self.nan_samples = 0

    # clock ------------------------------------------------------------------------------------
    def clock(self, speaker: Speaker | None = None) -> float:
        """The call time just after the last sample produced for ``speaker`` (default: first)."""
        ch = 0 if speaker is None else self.format.speakers.index(speaker)
        return self._base[ch] + self._produced[ch] / SAMPLE_RATE

    def require_format(self, fmt: AudioFormat) -> None:
        """Raise :class:`AudioFormatError` if a (re)announced format differs mid-call."""
        if fmt != self.format:
            raise AudioFormatError(
                f"call {self.call_id}: format changed mid-call from {self._describe(self.format)} "
                f"to {self._describe(fmt)}; open a new stream instead"
            )

    # decoding ---------------------------------------------------------------------------------
    def decode(self, payload: bytes) -> list[AudioChunk]:
        """Decode one wire payload; returns 0..channels chunks (one per speaker with audio)."""
        if not isinstance(payload, bytes | bytearray | memoryview):
            raise AudioFormatError(
                f"call {self.call_id}: audio payload must be bytes, not {type(payload).__name__}"
            )
        data = self._carry + bytes(payload)
        usable = len(data) - len(data) % self.format.frame_bytes
        self._carry = data[usable:]
        self.bytes_in += len(payload)
        if usable == 0:
            return []
        raw = data[:usable]
        frames: F32 | None = None
        if self.format.encoding == "pcm16":
            frames = self._floats(raw)
            quiet = float(np.max(np.abs(frames))) < QUIET_PEAK
        else:
            quiet = not raw.translate(None, _quiet_codes(self.format.encoding))
        if self._hold(raw, usable // self.format.frame_bytes, quiet):
            if self._held_samples < QUIET_BLOCK_S * self.format.sample_rate:
                return []
            block = self._floats(self._take_held())
            return self._release(self._resample(block, quiet=True), quiet=True)
        if self._held:  # the line woke up: what was held goes out first, at once
            frames = self._floats(self._take_held(raw))
        elif frames is None:
            frames = self._floats(raw)
        return self._release(self._resample(frames))

    def decode_float(self, samples: npt.ArrayLike) -> list[AudioChunk]:
        """Decode float samples at the format's rate (browser capture), frames x channels.

        NaN and infinities become silence/full scale and values are clipped to
        [-1, 1]; the counts are kept in ``nan_samples`` and ``clipped_samples``.
        """
        arr = np.asarray(samples, dtype=np.float32)
        if arr.ndim == 1:
            arr = arr.reshape(-1, self.format.channels)
        if arr.ndim != 2 or arr.shape[1] != self.format.channels:
            raise AudioFormatError(
                f"call {self.call_id}: expected frames x {self.format.channels} samples, "
                f"got shape {arr.shape}"
            )
        bad = ~np.isfinite(arr)
        self.nan_samples += int(bad.sum())
        arr = np.where(bad, 0.0, arr).astype(np.float32)
        if len(arr) == 0:
            return []
        return self._release(self._resample(arr))

    def advance(self, seconds: float) -> list[AudioChunk]:
        """Skip a known gap (hold, reconnect) of ``seconds`` on every speaker's clock.

        The resamplers are drained first (their tail is returned), so no sample is
        lost or misplaced; audio decoded afterwards starts ``seconds`` later.
        """
        if not np.isfinite(seconds) or seconds < 0:
            raise AudioFormatError(f"call {self.call_id}: cannot advance the clock by {seconds}")
        chunks = self.flush()
        for ch in range(self.format.channels):
            self._base[ch] = self._base[ch] + self._produced[ch] / SAMPLE_RATE + seconds
            self._produced[ch] = 0
        self._resampler = self._new_resampler()
        return chunks

    def flush(self) -> list[AudioChunk]:
        """End of stream: drain the resamplers (an incomplete trailing frame is dropped)."""
        chunks: list[AudioChunk] = []
        self._carry = b""
        if self._held:
            chunks = self._release(self._resample(self._floats(self._take_held())))
        self._quiet_samples = 0
        rs = self._resampler
        if rs is None:
            return chunks
        empty = np.zeros((0, self.format.channels), np.float32)
        tails = np.asarray(rs.resample_chunk(empty, last=True), np.float32)
        tails = tails.reshape(-1, self.format.channels)
        self._resampler = self._new_resampler()
        for ch in range(self.format.channels):
            tail = np.ascontiguousarray(tails[:, ch])
            # The next resampler run starts where this one ended on the clock.
            start = self._base[ch] + self._produced[ch] / SAMPLE_RATE
            self._base[ch] = start + len(tail) / SAMPLE_RATE
            self._produced[ch] = 0
            if len(tail):
                chunks.append(self._chunk(ch, np.clip(tail, -1.0, 1.0), start))
        return chunks

    # internals --------------------------------------------------------------------------------
    def _new_resampler(self) -> soxr.ResampleStream | SlidingResampler | None:
        rate = self.format.sample_rate
        if rate == SAMPLE_RATE:
            return None
        if SAMPLE_RATE % rate == 0:
            return SlidingResampler(rate, SAMPLE_RATE, self.format.channels)
        return soxr.ResampleStream(
            self.format.sample_rate, SAMPLE_RATE, self.format.channels, dtype="float32",
            quality="HQ",
        )

    def _floats(self, raw: bytes) -> F32:
        """Whole sample frames of wire bytes -> float32, frames x channels."""
        if self.format.encoding == "pcm16":
            samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
        else:
            samples = _float_table(self.format.encoding)[np.frombuffer(raw, dtype=np.uint8)]
        return samples.reshape(-1, self.format.channels)

    def _hold(self, raw: bytes, n: int, quiet: bool) -> bool:
        """Hold ``raw`` back if the line has been quiet for a while; True if held.

        A line quiet for a while (hold, an idle call) is decoded, resampled and goes
        out in 0.1 s blocks, not 20 ms frames: 5x fewer resampler calls and pushes
        through the recognizers for audio nobody needs soon, and the wire bytes are
        kept as they came (no decode per frame). Never speech, never the first second
        of quiet (the endpointer counts that silence to close an utterance), never
        later than one block.
        """
        self._quiet_samples = self._quiet_samples + n if quiet else 0
        if self._quiet_samples <= QUIET_HOLD_AFTER_S * self.format.sample_rate:
            return False
        self._held.append(raw)
        self._held_samples += n
        return True

    def _take_held(self, then: bytes = b"") -> bytes:
        """The held payloads (followed by ``then``) as one, and nothing held any more."""
        block = b"".join([*self._held, then])
        self._held, self._held_samples = [], 0
        return block

    def _resample(self, frames: F32, *, quiet: bool = False) -> F32:
        rs = self._resampler
        if rs is None:
            return frames
        if isinstance(rs, SlidingResampler):
            out = rs.resample_chunk(np.ascontiguousarray(frames), quiet=quiet)
        else:
            out = np.asarray(rs.resample_chunk(np.ascontiguousarray(frames)), np.float32)
        return out.reshape(-1, self.format.channels)

    def _release(self, frames: F32, *, quiet: bool = False) -> list[AudioChunk]:
        chunks: list[AudioChunk] = []
        if len(frames) == 0:
            return chunks
        for ch in range(self.format.channels):
            x = np.ascontiguousarray(frames[:, ch], dtype=np.float32)
            # Resampling overshoots near full scale; the recognizers expect [-1, 1]
            # (a quiet line is nowhere near it).
            if not quiet:
                over = np.abs(x) > 1.0
                if over.any():
                    self.clipped_samples += int(over.sum())
                    x = np.clip(x, -1.0, 1.0)
            start = self._base[ch] + self._produced[ch] / SAMPLE_RATE
            self._produced[ch] += len(x)
            chunks.append(self._chunk(ch, x, start))
        return chunks

    def _chunk(self, ch: int, pcm: F32, start: float) -> AudioChunk:
        return AudioChunk(self.call_id, self.format.speakers[ch], pcm, start)

    @staticmethod
    def _describe(fmt: AudioFormat) -> str:
        return f"{fmt.encoding}/{fmt.sample_rate}Hz/{fmt.channels}ch"
