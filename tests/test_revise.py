"""The second pass's bookkeeping (pure): when a speaker's finals are revised, and how."""

from __future__ import annotations

import numpy as np

from transcription.revise import (
    EDGE_S,
    REVISE_GAP_S,
    REVISE_MAX_S,
    Reviser,
    RevisionJob,
    Said,
    revised,
    split_words,
)
from transcription.types import SAMPLE_RATE, AudioChunk, Word


def chunk(start: float, seconds: float, level: float = 0.1) -> AudioChunk:
    n = round(seconds * SAMPLE_RATE)
    return AudioChunk("c", "caller", np.full(n, level, np.float32), start)


def feed(rv: Reviser, start: float, end: float, step: float = 0.5) -> list[RevisionJob]:
    """Audio from start to end, the speaker silent all along (as the stream reports it)."""
    jobs = []
    t = start
    while t < end - 1e-9:
        rv.audio(chunk(t, step, level=t / 100))
        t += step
        job = rv.silent_until(t)
        if job is not None:
            jobs.append(job)
    return jobs


def test_a_pause_after_two_finals_revises_them_together_with_the_audio_between() -> None:
    rv = Reviser()
    for k in range(8):  # audio up to 4 s while the speaker talks: no silence reported
        rv.audio(chunk(k * 0.5, 0.5, level=k * 0.5 / 100))
    assert rv.final(Said(0, 0.5, 1.5, "hello there")) == []
    assert rv.silent_until(2.0) is None  # a short pause: not yet
    assert rv.final(Said(1, 2.0, 3.5, "how are you")) == []
    jobs = feed(rv, 4.0, 3.5 + REVISE_GAP_S + 0.5)
    assert len(jobs) == 1
    job = jobs[0]
    assert [s.seq for s in job.group] == [0, 1]
    assert job.offset == 0.5 - EDGE_S
    assert len(job.audio) == round((3.5 + 2 * EDGE_S - 0.5) * SAMPLE_RATE)
    # the audio is the call's own, sample-aligned: at 1.0 s the chunk starting at 1.0 s
    at = round((1.0 - job.offset) * SAMPLE_RATE)
    assert job.audio[at] == np.float32(1.0 / 100)
    assert rv.pending == ()


def test_a_lone_final_is_never_revised() -> None:
    rv = Reviser()
    feed(rv, 0.0, 3.0)
    rv.final(Said(0, 0.5, 2.0, "just one thing"))
    assert feed(rv, 3.0, 8.0) == []
    assert rv.take() is None


def test_a_group_never_outgrows_the_window() -> None:
    rv = Reviser()
    for k in range(62):
        rv.audio(chunk(k * 0.5, 0.5))
    jobs = []
    t = 0.0
    seq = 0
    while t + 4 < 31:
        jobs += rv.final(Said(seq, t, t + 3.5, f"part {seq}"))
        seq += 1
        t += 4.0
    jobs += [j for j in [rv.take()] if j is not None]
    assert len(jobs) >= 2
    for job in jobs:
        assert job.group[-1].end - job.group[0].start <= REVISE_MAX_S
    seqs = [s.seq for job in jobs for s in job.group]
    assert seqs == sorted(set(seqs))  # each final revised at most once, in order


def test_gaps_in_the_kept_audio_are_silence() -> None:
    rv = Reviser()
    rv.audio(chunk(0.0, 1.0, 0.5))
    rv.audio(chunk(2.0, 1.0, 0.5))  # one second missing (a dropped stretch)
    rv.final(Said(0, 0.2, 0.8, "a"))
    rv.final(Said(1, 2.2, 2.8, "b"))
    job = rv.take()
    assert job is not None
    mid = round((1.5 - job.offset) * SAMPLE_RATE)
    assert job.audio[mid] == 0.0
    assert job.audio[0] == np.float32(0.5)


def test_split_words_by_midpoint_then_nearest() -> None:
    words = (
        Word("a", 0.1, 0.3, 1.0),
        Word("b", 1.0, 1.2, 1.0),  # in the gap, nearer the first span's end
        Word("c", 1.9, 2.1, 1.0),
    )
    assert [[w.text for w in b] for b in split_words(words, [(0.0, 0.8), (2.0, 3.0)])] == [
        ["a", "b"],
        ["c"],
    ]


def _job() -> RevisionJob:
    group = (Said(3, 0.0, 1.0, "I need to reschedule"), Said(4, 1.5, 3.0, "my MRI please"))
    return RevisionJob(group, np.zeros(SAMPLE_RATE * 3, np.float32), 0.0)


def test_revised_emits_only_changed_utterances_with_their_seq() -> None:
    words = tuple(
        Word(t, s, s + 0.2, 0.9)
        for t, s in [("I", 0.0), ("need", 0.2), ("to", 0.4), ("reschedule.", 0.6),
                     ("My", 1.6), ("M.R.I.", 1.9), ("please.", 2.3)]
    )
    out = revised("c", "caller", _job(), words)
    assert len(out) == 1  # the first one reads the same once normalised
    u = out[0]
    assert (u.seq, u.revision, u.final) == (4, 1, True)
    assert u.text == "My M.R.I. please."
    assert u.start == 1.6 and u.end == 2.5


def test_a_cut_short_second_pass_is_dropped() -> None:
    words = (Word("I", 0.0, 0.2, 0.9), Word("need", 0.2, 0.4, 0.9))
    assert revised("c", "caller", _job(), words) == []


def test_audio_a_pending_group_needs_is_kept_and_a_group_without_its_start_is_skipped() -> None:
    rv = Reviser()
    for k in range(20):
        rv.audio(chunk(k * 0.5, 0.5))
    rv.final(Said(0, 1.0, 2.0, "one two"))
    rv.final(Said(1, 2.5, 3.5, "three four"))
    rv.keep_from(9.0)  # the stream says: only the last second is needed ... but the group
    job = rv.take()
    assert job is not None and job.offset == 1.0 - EDGE_S
    rv.keep_from(9.0)  # nothing pending now: the old audio goes
    rv.final(Said(2, 1.0, 2.0, "five six"))
    rv.final(Said(3, 9.2, 9.8, "seven"))
    assert rv.take() is None and rv.missed == 1


def test_a_second_pass_may_correct_words_but_not_drop_or_loop_them() -> None:
    group = (Said(0, 0.0, 2.0, "a gold ring will please most any girl"),
             Said(1, 2.5, 4.0, "the long journey home"))
    job = RevisionJob(group, np.zeros(SAMPLE_RATE * 4, np.float32), 0.0)

    def w(text: str, start: float, end: float) -> tuple[Word, ...]:
        toks = text.split()
        step = (end - start) / len(toks)
        return tuple(Word(t, start + i * step, start + (i + 1) * step, 0.9)
                     for i, t in enumerate(toks))

    fixed = w("the long journey hom", 2.6, 4.0)
    assert [(u.seq, u.text) for u in revised("c", "caller", job, w(group[0].text, 0.0, 2.0) + fixed)
            ] == [(1, "the long journey hom")]
    # the first utterance lost most of its words: it keeps its first-pass text, and
    # the second is still revised, since no word sits between the two lines...
    lost = w("and a girl will", 1.0, 2.0)
    assert [u.seq for u in revised("c", "caller", job, lost + fixed)] == [1]
    # ... unless one does: it could be either line's, so neither is touched
    assert revised("c", "caller", job, lost + w("um", 2.1, 2.3) + fixed) == []
    # a loop is never taken, even if it has enough words
    loop = w("five " * 30, 0.0, 2.0) + w("the long journey home", 2.6, 4.0)
    assert revised("c", "caller", job, loop) == []


def test_a_revision_that_no_longer_reaches_the_end_of_what_was_said_is_refused() -> None:
    group = (Said(0, 0.0, 2.0, "alright they had an old fax number", 0.1, 1.9),
             Said(1, 2.5, 6.0, "if you don't hear call me directly extension three ten", 2.6, 5.9))
    job = RevisionJob(group, np.zeros(SAMPLE_RATE * 6, np.float32), 0.0)
    first = tuple(Word(t, 0.1 + 0.25 * i, 0.3 + 0.25 * i, 0.9)
                  for i, t in enumerate(["alright,", "they", "had", "an", "old", "fax", "number."]))
    cut = tuple(Word(t, 2.6 + 0.3 * i, 2.8 + 0.3 * i, 0.9)  # ends at 4.6, not 5.9
                for i, t in enumerate(["if", "you", "don't", "hear,", "call", "me", "directly."]))
    assert revised("c", "caller", job, first + cut) == []
