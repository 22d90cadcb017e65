"""Detectors: pure functions from one analysed utterance to the match that raises a kind.

Every kind of the playbook is detected the same way (its triggers, each with its
guards), except ``close_the_loop`` (a handoff marker without a complete handoff) and
``take_a_reset`` (decided at the end of the call from what made it heavy). The
engine decides *whether* a match raises or refreshes a card; here we only find it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cues.playbook import Handoff, KindSpec, Playbook, Rx, Trigger
from cues.text import Analysed, before_in_sentence, is_negated, negated_inside, sentence_has


@dataclass(frozen=True, slots=True)
class Match:
    """Where in the utterance (offsets into ``Analysed.norm``) and by which trigger."""

    kind: str
    trigger: str
    start: int
    end: int
    quote: str


def match_trigger(
    trigger: Trigger,
    a: Analysed,
    playbook: Playbook,
    kind: str,
    earlier: Sequence[Analysed] = (),
    patterns: int | None = None,
) -> Match | None:
    """The first match of ``trigger`` in ``a`` that no guard vetoes, or None.

    ``earlier``: the speaker's previous utterances in the call, where a trigger with
    ``requires_in_call`` may find what it requires. ``patterns``: which of the
    trigger's patterns may match (bit ``j`` for ``patterns[j]``, from
    :meth:`cues.playbook.TriggerGates.masks`); None: each pattern's gate is tested."""
    present = a.present
    if present is not None:
        for need in trigger.needs:
            if need.isdisjoint(present):
                return None
    if patterns is None:
        union = trigger.gate_union
        if union is not None and present is not None and union.isdisjoint(present):
            return None
        patterns = _open_patterns(trigger.patterns, present)
    text = a.masked if trigger.mask_doses else a.unpleasant
    checked = False
    while patterns:
        low = patterns & -patterns  # lowest set bit first: pattern order decides
        patterns ^= low
        rx = trigger.patterns[low.bit_length() - 1]
        for m in rx.pattern.finditer(text):
            start, end = m.start(), m.end()
            if not checked:  # utterance-wide guards, once, only when something matched
                if trigger.requires is not None and not _required(trigger, a, earlier):
                    return None
                if trigger.unless_utterance is not None and trigger.unless_utterance.search(
                    a.norm, present=a.present
                ):
                    return None
                checked = True
            if trigger.negatable and is_negated(a, start, playbook.negators):
                continue
            if trigger.negation_inside and negated_inside(a, start, end, playbook.negators):
                continue
            if (trigger.block_past or trigger.block_reported) and not sentence_has(
                a, start, playbook.recent
            ):
                if trigger.block_past and sentence_has(a, start, playbook.past):
                    continue
                if trigger.block_reported and sentence_has(a, start, playbook.reported):
                    continue
            if trigger.block_hypothetical and before_in_sentence(a, start, playbook.hypothetical):
                continue
            if trigger.with_sentence is not None and not sentence_has(
                a, start, trigger.with_sentence
            ):
                continue
            if trigger.unless is not None and sentence_has(a, start, trigger.unless):
                continue
            return Match(
                kind=kind, trigger=trigger.name, start=start, end=end, quote=a.quote(start, end)
            )
    return None


def _open_patterns(patterns: Sequence[Rx], present: frozenset[str] | None) -> int:
    """Bit ``j`` set for each of ``patterns`` whose gate ``present`` does not close."""
    bits = 0
    for j, rx in enumerate(patterns):
        gate = rx.gate_set
        if gate is None or present is None or not gate.isdisjoint(present):
            bits |= 1 << j
    return bits


def _required(trigger: Trigger, a: Analysed, earlier: Sequence[Analysed]) -> bool:
    req = trigger.requires
    assert req is not None
    if req.search(a.norm, present=a.present) is not None:
        return True
    if not trigger.requires_in_call:
        return False
    return any(req.search(e.norm, present=e.present) is not None for e in earlier)


def match_triggers(
    triggers: tuple[Trigger, ...],
    a: Analysed,
    playbook: Playbook,
    kind: str,
    earlier: Sequence[Analysed] = (),
    masks: Sequence[int] | None = None,
) -> Match | None:
    """The first of ``triggers`` to match. ``masks``: per trigger, which of its patterns
    may match (from :meth:`cues.playbook.TriggerGates.masks`; 0: skip the trigger);
    None: try all, each pattern behind its own gate."""
    for i, trigger in enumerate(triggers):
        if masks is None:
            found = match_trigger(trigger, a, playbook, kind, earlier)
        elif masks[i]:
            found = match_trigger(trigger, a, playbook, kind, earlier, masks[i])
        else:
            continue
        if found is not None:
            return found
    return None


@dataclass(frozen=True, slots=True)
class HandoffParts:
    owner: bool
    time: bool
    patient_part: bool

    @property
    def complete(self) -> bool:
        # Owner and a real time are what a dropped handoff lacks; the patient's part
        # is often "nothing", so it is reported (rubric) but not required here.
        return self.owner and self.time


# A sentence reading the record back ("the referral is dated the 4th", "it went out on
# the 2nd"): its date is when something happened, not when the handoff will.
_RECORD_PAST = re.compile(
    r"\b(?:dated|sent|went|came|submitted|received|faxed|was|were|ago|yesterday"
    r"|last|got|placed|signed|filed|requested|ordered|opened|from (?:the )?(?:\d|monday"
    r"|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april"
    r"|may|june|july|august|september|october|november|december|this morning))\b"
)


def handoff_parts(h: Handoff, a: Analysed, since: int = 0) -> HandoffParts:
    """Which parts of a complete handoff the agent's turn gives. Its time counts from
    ``since`` (the handoff's sentence) on, or before it in a sentence that is not
    reading a past event off the record."""
    p = a.present
    owner = bool(
        (h.owner is not None and h.owner.search(a.unpleasant, present=p))
        or (h.owner_cased is not None and h.owner_cased.search(a.original))
    )
    time = _handoff_time(h, a, since)
    part = h.patient_part is not None and h.patient_part.search(a.unpleasant, present=p) is not None
    return HandoffParts(owner=owner, time=time, patient_part=part)


def _handoff_time(h: Handoff, a: Analysed, since: int) -> bool:
    if h.time is None:
        return False
    text, p = a.unpleasant, a.present
    if h.time.search(text, since, present=p) is not None:
        return True
    for sp in a.sentences:
        if sp.start >= since:
            break
        if (
            h.time.search(text, sp.start, sp.end, p) is not None
            and _RECORD_PAST.search(text, sp.start, sp.end) is None
        ):
            return True
    return False


def detect_handoff(
    h: Handoff, a: Analysed, playbook: Playbook, markers: int | None = None
) -> Match | None:
    """A handoff (transfer, escalation, "someone will call you") left incomplete.

    The card asks for owner, next step, patient's part and a real time; a turn
    that already says all of them needs no card (the shared scripts' contract).
    Nor does a handoff to a named party ("her nurse", "they", not "someone") that
    is dated in its own sentence or after it ("Ruth from the navigator team will
    call you tomorrow at 2:30", "I'm letting Dr. Park know right now, and she'll
    contact the ER"): the owner is said, if not in words the owner patterns know.
    A time said before the handoff ("I see the order went out on the 2nd. I'll
    forward it to the coordinator") is not its when.

    ``markers``: which of ``h.markers`` may match (bit ``j`` for ``markers[j]``, from
    :meth:`cues.playbook.TriggerGates.markers`); None: each behind its own gate.
    """
    if markers is None:
        markers = _open_patterns(h.markers, a.present)
    while markers:
        low = markers & -markers  # lowest set bit first: marker order decides
        markers ^= low
        for m in h.markers[low.bit_length() - 1].pattern.finditer(a.unpleasant):
            if is_negated(a, m.start(), playbook.negators):
                continue
            since = a.sentence_of(m.start()).start
            if handoff_parts(h, a, since).complete or _dated_named(h, a, m):
                return None
            return Match(
                kind="close_the_loop",
                trigger="incomplete_handoff",
                start=m.start(),
                end=m.end(),
                quote=a.quote(m.start(), m.end()),
            )
    return None


_ANONYMOUS = re.compile(r"\b(?:someone|somebody|anyone|anybody)\b")
_PRONOUN = re.compile(r"(?:they|she|he)\b")


def _dated_named(h: Handoff, a: Analysed, m: re.Match[str]) -> bool:
    """The handoff ``m`` names its party and a real time follows from its sentence on.

    A pronoun's party was named the sentence before, with its time ("Walgreens has
    them ready after 3 today. They'll text you."): the search starts there."""
    if h.time is None or _ANONYMOUS.search(m.group(0)):
        return False
    span = a.sentence_of(m.start())
    start = span.start
    if _PRONOUN.match(m.group(0)):
        before = [sp for sp in a.sentences if sp.end <= span.start]
        if before and _RECORD_PAST.search(a.unpleasant, before[-1].start, before[-1].end) is None:
            start = before[-1].start
    return h.time.search(a.unpleasant, start, len(a.unpleasant), a.present) is not None


def detect(
    spec: KindSpec,
    a: Analysed,
    playbook: Playbook,
    earlier: Sequence[Analysed] = (),
    candidates: int | None = None,
) -> Match | None:
    """The evidence for ``spec.kind`` in this utterance, if any (speaker checked by caller).

    ``earlier``: the same speaker's previous utterances in the call (see
    :func:`match_trigger`). ``candidates``: the playbook's patterns that may match this
    utterance (``playbook.gates.candidates(a.present)``, once per utterance); None:
    every pattern is tried behind its own gate."""
    markers: int | None = None
    masks: tuple[int, ...] | None = None  # None: ungated; (): no trigger may match
    gates = playbook.gates
    if gates is not None and candidates is not None:
        if spec.handoff is not None:
            markers = gates.markers(candidates, spec.kind)
        masks = gates.masks(candidates, spec.kind)
    if spec.handoff is not None:
        found = detect_handoff(spec.handoff, a, playbook, markers)
        if found is not None and not vetoed(spec, a, found.start):
            return found
    if not spec.triggers or masks == ():
        return None
    found = match_triggers(spec.triggers, a, playbook, spec.kind, earlier, masks)
    if found is None:
        return None
    if vetoed(spec, a, found.start):
        return None
    return found


def vetoed(guarded: KindSpec | Trigger, a: Analysed, start: int) -> bool:
    """A kind's or a trigger's vetoes hold for evidence at ``start``: its
    ``unless_utterance`` anywhere in the utterance, or its ``unless`` in that sentence."""
    if guarded.unless_utterance is not None and guarded.unless_utterance.search(
        a.norm, present=a.present
    ):
        return True
    return sentence_has(a, start, guarded.unless)


def detect_heavy(spec: KindSpec, a: Analysed, playbook: Playbook) -> Match | None:
    """The first caller words in ``a`` that make a call heavy (ignores ``turns``)."""
    found = heavy_matches(spec, a, playbook)
    return found[0][1] if found else None


def heavy_matches(spec: KindSpec, a: Analysed, playbook: Playbook) -> list[tuple[Trigger, Match]]:
    """Every heavy trigger that matches ``a`` (bereavement, distress), with its match.

    The engine counts the turns of each: a trigger with ``turns: 2`` (sustained
    distress) makes the call heavy only on its second distinct utterance.
    """
    if spec.heavy is None:
        return []
    out: list[tuple[Trigger, Match]] = []
    for trigger in spec.heavy.triggers:
        m = match_trigger(trigger, a, playbook, spec.kind)
        if m is not None:
            out.append((trigger, m))
    return out
