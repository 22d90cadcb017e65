"""Second pass: a speaker's recent finals decoded again together, once the speaker pauses.

Why: a live recognizer must close an utterance at every pause of half a second
to answer within a second, and each cut costs accuracy: the decoder hears a
short stretch with no context, and a word at a cut loses its edges. On the
shared recorded speech through the phone path, first-pass finals score WER
0.164 where faster-whisper offline, hearing 30 s at a time, scores 0.122.
Decoding consecutive utterances together closes most of that gap (measured in
:mod:`transcription.whisper`: 8 consecutive utterances in one window, 0.101 vs
0.133 one by one).

So the first final stays what the live path acts on (cues within a second), and
once the speaker yields the floor (:data:`REVISE_GAP_S` of silence: no open
utterance, no final still decoding),
or their pending finals span :data:`REVISE_SPAN_S`, the continuous audio from
the first to the last of them (pauses included, as an offline decoder hears
it) is decoded once more as background work (:meth:`Decoder.submit`
``background=True``: only while the decoder is otherwise idle). Its words are
split back onto the utterances by time, and every utterance whose text changed
is emitted again as ``Utterance(revision=1)``, same ``id``.

Measured (`heard bench stt --manifest ../shared/data/speech/manifest.tsv`, 71
clips, 26.7 min, phone path): first pass WER 0.145, after revisions 0.124,
faster-whisper offline on the same audio 0.116 (ratio 1.07; 1.25 without). The
guards below each come from a failure seen per clip: without them revisions made
14 of 71 clips worse (a sentence skipped, "five five five...", the start of a
group lost), with them 0.154 -> 0.125 became 0.145 -> 0.124 with far fewer clips
worse. On the synthesized calls few turns hold two utterances: WER unchanged.

A lone utterance is never revised: with nothing around it the second decode
would hear exactly what the first heard.

This module is the policy and the bookkeeping, without I/O or asyncio: the
stream feeds it audio and finals and submits what it returns.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from transcription.textnorm import normalize
from transcription.types import SAMPLE_RATE, AudioChunk, Speaker, Utterance, Word
from transcription.whisper import Guards, suspicious_text

#: the speaker has not produced a final for this long: their turn is over, revise it
REVISE_GAP_S = 1.5
#: pending finals spanning this long are revised without waiting for a pause
REVISE_SPAN_S = 18.0
#: a revision window never exceeds this (Whisper's window is 30 s)
REVISE_MAX_S = 27.0
#: audio kept per stream for revisions, behind the endpointer (more while a pending
#: group or a final still decoding needs it, up to HARD_KEEP_S)
KEEP_S = 32.0
HARD_KEEP_S = 120.0
#: audio taken before the first and after the last utterance of a group
EDGE_S = 0.25
#: a revision with fewer words than this share of the first pass's is a truncated
#: decode, not a better one: dropped. Per utterance, a revision may not shrink it below
#: UTT_MIN_SHARE of its words nor grow it past UTT_MAX_SHARE (+ UTT_SLACK): Whisper
#: in a long window sometimes skips a sentence or loops, where the first pass, one
#: utterance at a time, did not; so the second pass may correct words, not drop them.
MIN_WORD_SHARE = 0.6
UTT_MIN_SHARE = 0.7
UTT_MAX_SHARE = 1.5
UTT_SLACK = 3
#: and its words must still reach this close to where the first pass's began and
#: ended (a long window's usual failure is a sentence dropped at its end)
COVER_S = 0.8
#: an utterance next to one kept as first heard may grow at most this much (+2 words)
NEIGHBOUR_GROWTH = 1.2


@dataclass(frozen=True, slots=True)
class Said:
    """A first-pass final waiting for its revision: its seq, the VAD segment's span, its
    text and, when it had words, the span of its words."""

    seq: int
    start: float
    end: float
    text: str
    words_start: float | None = None
    words_end: float | None = None


@dataclass(frozen=True, slots=True)
class RevisionJob:
    """Decode ``audio`` (call time ``offset`` is its first sample) and revise ``group``."""

    group: tuple[Said, ...]
    audio: npt.NDArray[np.float32]
    offset: float


class Reviser:
    """One stream's revision bookkeeping: recent audio, the finals not yet revised."""

    def __init__(self) -> None:
        self._ring: deque[AudioChunk] = deque()
        self._ring_s = 0.0
        self._pending: list[Said] = []
        #: groups not revised because their audio was no longer kept
        self.missed = 0

    @property
    def pending(self) -> tuple[Said, ...]:
        return tuple(self._pending)

    def audio(self, chunk: AudioChunk) -> None:
        """Keep the chunk (until :meth:`keep_from` lets it go; never over HARD_KEEP_S)."""
        self._ring.append(chunk)
        self._ring_s += chunk.duration
        while self._ring_s - self._ring[0].duration >= HARD_KEEP_S:
            self._ring_s -= self._ring.popleft().duration

    def keep_from(self, t: float) -> None:
        """Audio ending before call time ``t`` is no longer needed (pending finals keep
        theirs whatever ``t`` says)."""
        if self._pending:
            t = min(t, self._pending[0].start - EDGE_S)
        while self._ring and self._ring[0].end < t:
            self._ring_s -= self._ring.popleft().duration

    def silent_until(self, now: float) -> RevisionJob | None:
        """The speaker has said nothing (no open utterance, no final in flight) up to
        call time ``now``: the pending group's revision once that pause is long enough."""
        if self._pending and now - self._pending[-1].end >= REVISE_GAP_S:
            return self.take()
        return None

    def final(self, said: Said) -> list[RevisionJob]:
        """A first-pass final was emitted; zero, one or two revisions now due."""
        jobs: list[RevisionJob] = []
        if self._pending and said.end - self._pending[0].start > REVISE_MAX_S:
            jobs += self._job_list(self.take())
        self._pending.append(said)
        if said.end - self._pending[0].start >= REVISE_SPAN_S:
            jobs += self._job_list(self.take())
        return jobs

    def take(self) -> RevisionJob | None:
        """Close the pending group (flush, pause): its job, or None for fewer than two."""
        group, self._pending = tuple(self._pending), []
        if len(group) < 2:
            return None
        t0 = group[0].start - EDGE_S
        t1 = group[-1].end + EDGE_S
        if not self._ring or self._ring[0].start > group[0].start:
            self.missed += 1  # its beginning is gone: a revision would lose words
            return None
        audio, t0 = self._between(t0, t1)
        if len(audio) < SAMPLE_RATE // 2:
            return None
        return RevisionJob(group, audio, t0)

    @staticmethod
    def _job_list(job: RevisionJob | None) -> list[RevisionJob]:
        return [] if job is None else [job]

    def _between(self, t0: float, t1: float) -> tuple[npt.NDArray[np.float32], float]:
        """The kept audio from t0 to t1 on the call clock (gaps as silence), and its start."""
        if self._ring:
            t0 = max(t0, self._ring[0].start)
            t1 = min(t1, self._ring[-1].end)
        n = max(0, round((t1 - t0) * SAMPLE_RATE))
        out = np.zeros(n, np.float32)
        for c in self._ring:
            if c.end <= t0 or c.start >= t1:
                continue
            at = round((c.start - t0) * SAMPLE_RATE)
            src = c.pcm[max(0, -at):]
            at = max(0, at)
            take = min(len(src), n - at)
            if take > 0:
                out[at : at + take] = src[:take]
        return out, t0


def split_words(words: tuple[Word, ...], spans: list[tuple[float, float]]) -> list[list[Word]]:
    """Each word to the span holding its midpoint, else the nearest span (pure)."""
    buckets: list[list[Word]] = [[] for _ in spans]
    for w in words:
        mid = (w.start + w.end) / 2
        best = min(
            range(len(spans)),
            key=lambda k: 0.0 if spans[k][0] <= mid <= spans[k][1]
            else min(abs(mid - spans[k][0]), abs(mid - spans[k][1])),
        )
        buckets[best].append(w)
    return buckets


def _trusted(said: Said, ws: list[Word]) -> bool:
    n = len(said.text.split())
    if not ws or not UTT_MIN_SHARE * n <= len(ws) <= UTT_MAX_SHARE * n + UTT_SLACK:
        return False
    if said.words_start is not None and ws[0].start > said.words_start + COVER_S:
        return False
    return said.words_end is None or ws[-1].end >= said.words_end - COVER_S


def revised(
    call_id: str, speaker: Speaker, job: RevisionJob, words: tuple[Word, ...], revision: int = 1
) -> list[Utterance]:
    """The utterances of ``job`` whose text the second pass changed (pure).

    Nothing when the second pass heard clearly less than the first (a decode cut
    short) or looped. Then per utterance: it is kept as first heard when it got no
    words, its word count changed past UTT_MIN_SHARE..UTT_MAX_SHARE, or its words
    no longer cover the first pass's span. A neighbour of such an utterance is only
    revised when no revised word lies in the gap between the two (it could belong
    to either) and it grew by at most NEIGHBOUR_GROWTH: otherwise the revision
    could move words between lines, duplicating or losing them.
    """
    first = sum(len(s.text.split()) for s in job.group)
    if len(words) < MIN_WORD_SHARE * first:
        return []
    if suspicious_text(" ".join(w.text for w in words), len(job.audio) / SAMPLE_RATE, Guards()):
        return []
    out = []
    spans = [(s.start, s.end) for s in job.group]
    buckets = split_words(words, spans)
    trusted = [_trusted(said, ws) for said, ws in zip(job.group, buckets, strict=True)]
    accept = list(trusted)
    for i, ok in enumerate(trusted):
        if not ok:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(spans) and not trusted[j]:
                lo, hi = sorted((spans[i][1], spans[j][0]) if j > i else (spans[j][1], spans[i][0]))
                in_gap = any(lo < (w.start + w.end) / 2 < hi for w in words)
                n = len(job.group[i].text.split())
                grew = len(buckets[i]) > NEIGHBOUR_GROWTH * n + 2
                if in_gap or grew:
                    accept[i] = False
    for said, ws, ok in zip(job.group, buckets, accept, strict=True):
        if not ok:
            continue
        text = " ".join(w.text for w in ws)
        if normalize(text) == normalize(said.text):
            continue
        out.append(Utterance(call_id, speaker, said.seq, text, ws[0].start,
                             max(ws[-1].end, ws[0].start), True, tuple(ws), revision))
    return out
