"""The per-call cue engine: final utterances in, cue cards and call context out.

Pure and synchronous: no I/O, no clock, no state outside the instance, so one
engine per call, fed from any thread that owns it, evaluated on thousands of
scripted turns a second.

    engine = CueEngine("call-42")
    for utt in finals:
        for event in engine.feed(utt):      # CueRaised | CueRefreshed | ContextChanged
            publish(event)
    for event in engine.end_call():         # take_a_reset when the call was heavy
        publish(event)
    engine.cues, engine.context, engine.rubric()

Rules (``../shared/CUES.md``): a caller kind is raised only from the caller's words,
an agent kind only from the agent's; each kind is raised once per call
(:class:`CueRaised`) and later evidence refreshes the same card (:class:`CueRefreshed`,
same ``cue.id``); ``urgent_risk`` and ``abuse`` carry ``alert=True`` for the
supervisor. Partials are ignored (a final always follows and never changes).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import replace

from cues.context import ContextTracker
from cues.detectors import Match, detect, handoff_parts, heavy_matches
from cues.emotion import EmotionReader, default_reader, emotion_hits
from cues.learned import LearnedModel, default_model
from cues.playbook import KindSpec, Playbook, default_playbook
from cues.rubric import score_rubric
from cues.text import Analysed, analyse, looks_english, sentence_has
from cues.types import (
    ALERT_KINDS,
    CallContext,
    ContextChanged,
    Cue,
    CueRaised,
    CueRefreshed,
    EngineEvent,
    Evidence,
    Rubric,
)
from transcription.types import SPEAKERS, Utterance

#: Longer utterances are cut here before matching: a recognizer that never
#: segments (or a hostile client) must not make one call slow for everyone.
MAX_CHARS = 4_000
#: how many of a speaker's previous utterances a ``requires_in_call`` trigger looks back on
EARLIER = 12


class CueEngineError(ValueError):
    """An utterance the engine cannot take (wrong call, unknown speaker, call ended)."""


class CueEngine:
    """One call's cue state. Not thread-safe by design: one owner per call."""

    def __init__(
        self,
        call_id: str,
        playbook: Playbook | None = None,
        learned: LearnedModel | bool | None = True,
        emotion: EmotionReader | bool | None = True,
    ) -> None:
        """``learned``: True for the committed learned layer (:mod:`cues.learned`),
        False for patterns alone, or a model of one's own (cross-validation).
        ``emotion``: the same for the caller's emotion reader (:mod:`cues.emotion`)."""
        if not isinstance(call_id, str) or not call_id.strip():
            raise CueEngineError("call_id must be a non-empty string")
        self.call_id = call_id
        self._pb = playbook if playbook is not None else default_playbook()
        model = default_model() if learned is True else (learned or None)
        self._learned: LearnedModel | None = model
        self._emotion = default_reader() if emotion is True else (emotion or None)
        self._learned_kinds: dict[str, tuple[str, ...]] = {  # kinds it may raise
            s: tuple(spec.kind for spec in self._by_speaker_specs(s) if model is not None
                     and spec.kind in model.enabled)
            for s in SPEAKERS
        }  # fmt: skip
        self._by_speaker: dict[str, tuple[KindSpec, ...]] = {
            s: self._by_speaker_specs(s) for s in SPEAKERS
        }
        self._reset_spec = self._pb.kinds["take_a_reset"]
        self._tracker = ContextTracker()
        self._cues: dict[str, Cue] = {}
        self._utterances: list[Utterance] = []
        #: each speaker's recent utterances, for triggers whose ``requires`` may be met
        #: earlier in the call (bounded: a long call costs no more per utterance)
        self._earlier: dict[str, deque[Analysed]] = {s: deque(maxlen=EARLIER) for s in SPEAKERS}
        self._turn = 0
        self._clock = 0.0
        self._heavy: Evidence | None = None  # what made the call heavy, first seen
        self._heavy_hits: dict[str, int] = {}  # heavy trigger -> utterances matched
        self._distress_turns = 0  # caller turns that raised a distress kind
        self._heavy_first: dict[str, Evidence] = {}  # heavy trigger -> its first words
        self._last: Utterance | None = None
        self._ended = False

    def _by_speaker_specs(self, speaker: str) -> tuple[KindSpec, ...]:
        return tuple(spec for spec in self._pb.kinds.values() if spec.speaker == speaker)

    # ------------------------------------------------------------------ properties

    @property
    def context(self) -> CallContext:
        ctx = self._tracker.context
        if self._heavy is not None and not ctx.heavy:
            # The cue engine saw what makes a call heavy; keep take_a_reset and the
            # context's ``heavy`` telling the same story.
            ctx = replace(ctx, heavy=True)
        return ctx

    @property
    def cues(self) -> tuple[Cue, ...]:
        """Every card raised so far, latest evidence, in the order raised."""
        return tuple(self._cues.values())

    @property
    def turns(self) -> int:
        """Final utterances taken so far (the next one's ``turn``)."""
        return self._turn

    @property
    def ended(self) -> bool:
        return self._ended

    def rubric(self) -> Rubric:
        return score_rubric(self._utterances, self.context, frozenset(self._cues))

    # ------------------------------------------------------------------------ feed

    def _check(self, utt: Utterance) -> None:
        if not isinstance(utt, Utterance):
            raise CueEngineError(f"expected an Utterance, got {type(utt).__name__}")
        if utt.call_id != self.call_id:
            raise CueEngineError("utterance belongs to another call")
        if utt.speaker not in SPEAKERS:
            raise CueEngineError(f"unknown speaker {utt.speaker!r} (caller or agent)")
        if not isinstance(utt.text, str):
            raise CueEngineError("utterance text must be a string")
        if self._ended:
            raise CueEngineError("the call has ended")

    def feed(self, utt: Utterance) -> list[EngineEvent]:
        """Take one utterance; return the events it causes (possibly none).

        Partials and empty finals are ignored. Raises :class:`CueEngineError` for an
        utterance of another call, an unknown speaker, or after :meth:`end_call`.
        """
        self._check(utt)
        if not utt.final or not utt.text.strip():
            return []
        if len(utt.text) > MAX_CHARS:
            utt = replace(utt, text=utt.text[:MAX_CHARS], words=())
        turn = self._turn
        self._turn += 1
        self._utterances.append(utt)
        self._last = utt
        self._clock = max(self._clock, _finite(utt.end, self._clock), _finite(utt.start, 0.0))

        events: list[EngineEvent] = []
        if looks_english(utt.text):
            a = analyse(utt.text, self._pb.pleasantries, self._pb.doses, self._pb)
            found: dict[str, tuple[KindSpec, Match]] = {}
            earlier = self._earlier[utt.speaker]
            gates = self._pb.gates
            candidates = gates.candidates(a.present) if gates is not None else None
            for spec in self._by_speaker[utt.speaker]:
                hit = detect(spec, a, self._pb, earlier, candidates)
                if hit is not None:
                    found[spec.kind] = (spec, hit)
            if self._learned is not None:
                self._learned_hits(a, utt.speaker, found)
            if self._emotion is not None and utt.speaker == "caller":
                emotion_hits(self._emotion, a, found, self._cues.keys(), self._pb)
            before = frozenset(self._cues)
            for spec, hit in found.values():
                if spec.suppressed_by & found.keys() or spec.quiet_after & before:
                    continue
                events.append(self._raise(spec, hit, a, utt, turn))
            if utt.speaker == "caller" and self._heavy is None:
                self._update_heavy(a, utt, found.keys())
            if self._heavy is None and self._reset_spec.heavy is not None:
                for kind in self._reset_spec.heavy.kinds & self._cues.keys():
                    self._heavy = self._cues[kind].evidence
                    break
            earlier.append(a)

        changed = self._tracker.update(utt, turn, frozenset(self._cues))
        if changed is not None:
            events.append(ContextChanged(self.context))
        return events

    def end_call(self) -> list[EngineEvent]:
        """The call is over: raise ``take_a_reset`` if it was heavy. Idempotent.

        Heavy is the engine's own reading (urgent_risk or abuse raised, a death,
        distress in two or more caller turns: the playbook's ``heavy``) or the call
        context's (:mod:`cues.context`: grief, crying, bad news, and what the agent
        does about it: sending the caller to 911, a crisis line, setting a boundary),
        so that the card and the context's ``heavy`` tell the same story. The card's
        evidence is the first words that made the call heavy.
        """
        if self._ended:
            return []
        self._ended = True
        evidence = self._heavy
        if evidence is None and self._tracker.context.heavy:
            spans = self._tracker.evidence.get("heavy", ())
            evidence = spans[0] if spans else None
        if evidence is None or "take_a_reset" in self._cues:
            return []
        spec = self._reset_spec
        cue = Cue(
            id=self._cue_id("take_a_reset"),
            call_id=self.call_id,
            kind="take_a_reset",
            title=spec.title,
            line=spec.line,
            severity=spec.severity,
            evidence=evidence,
            raised_at=self._clock,
            turn=max(self._turn - 1, 0),
        )
        self._cues["take_a_reset"] = cue
        return [CueRaised(cue)]

    # --------------------------------------------------------------------- helpers

    def _learned_hits(
        self, a: Analysed, speaker: str, found: dict[str, tuple[KindSpec, Match]]
    ) -> None:
        """The learned layer (:mod:`cues.learned`) on this utterance, in place on ``found``.

        A pattern's match the model scores far below its kind (``vetoes``) is
        dropped: new wording the playbook misreads. A kind of the speaker the
        patterns did not find and the call has not raised yet is added when its
        score clears the threshold; its evidence is the sentence that scores highest,
        and the kind's own past/reported guards (urgent_risk) veto it as they veto
        a pattern's match.
        """
        model = self._learned
        assert model is not None
        vetoing = model.vetoing
        veto = [k for k, (s, m) in found.items() if k in vetoing and s.learned_veto(m.trigger)]
        todo = [k for k in self._learned_kinds[speaker] if k not in found and k not in self._cues]
        if not todo and not veto:
            return
        scores = model.scores(a.masked)
        for kind in veto:
            if model.vetoes_match(scores, kind):
                del found[kind]
        pb = self._pb
        for kind in todo:
            if not model.raises(scores, kind):
                continue
            spec = pb.kinds[kind]
            if spec.handoff is not None and handoff_parts(spec.handoff, a).complete:
                continue  # owner and a real time: a good handoff needs no card
            start, end = _best_sentence(model, a, kind)
            past = any(t.block_past for t in spec.triggers)
            reported = any(t.block_reported for t in spec.triggers)
            if (past or reported) and not sentence_has(a, start, pb.recent):
                if past and sentence_has(a, start, pb.past):
                    continue
                if reported and sentence_has(a, start, pb.reported):
                    continue
            found[kind] = (
                spec,
                Match(kind=kind, trigger="learned", start=start, end=end,
                      quote=a.quote(start, end)),
            )  # fmt: skip

    def _update_heavy(self, a: Analysed, utt: Utterance, kinds_here: Iterable[str]) -> None:
        """Bereavement and similar make a call heavy at once; distress words need
        ``turns`` caller turns, where a turn that raised a distress kind (exhausted,
        overwhelmed) also counts, so long as the words themselves were said once."""
        heavy = self._reset_spec.heavy
        if heavy is None:
            return
        matches = heavy_matches(self._reset_spec, a, self._pb)
        for trigger, hit in matches:
            self._heavy_hits[trigger.name] = self._heavy_hits.get(trigger.name, 0) + 1
            self._heavy_first.setdefault(trigger.name, self._evidence(hit, a, utt))
        if not matches and heavy.distress_kinds & set(kinds_here):
            self._distress_turns += 1
        for trigger in heavy.triggers:
            hits = self._heavy_hits.get(trigger.name, 0)
            if hits and hits + (self._distress_turns if trigger.turns > 1 else 0) >= trigger.turns:
                self._heavy = self._heavy_first[trigger.name]
                return

    def _cue_id(self, kind: str) -> str:
        return f"{self.call_id}:{kind}"

    def _evidence(self, m: Match, a: Analysed, utt: Utterance) -> Evidence:
        start, end = _span_times(utt, m.start, m.end, len(a.norm))
        return Evidence(
            utterance_id=utt.id, speaker=utt.speaker, quote=m.quote, start=start, end=end
        )

    def _raise(
        self, spec: KindSpec, m: Match, a: Analysed, utt: Utterance, turn: int
    ) -> EngineEvent:
        evidence = self._evidence(m, a, utt)
        raised_at = max(self._clock, evidence.end)
        old = self._cues.get(spec.kind)
        if old is not None:
            cue = replace(old, evidence=evidence, refreshed=old.refreshed + 1)
            self._cues[spec.kind] = cue
            return CueRefreshed(cue)
        cue = Cue(
            id=self._cue_id(spec.kind),
            call_id=self.call_id,
            kind=spec.kind,
            title=spec.title,
            line=spec.line,
            severity=spec.severity,
            evidence=evidence,
            raised_at=raised_at,
            turn=turn,
            alert=spec.kind in ALERT_KINDS,
        )
        self._cues[spec.kind] = cue
        return CueRaised(cue)

    def raised_kinds(self) -> dict[str, int]:
        """``{kind: turn first raised}`` (what the evaluation scores)."""
        return {c.kind: c.turn for c in self._cues.values()}


def _best_sentence(model: LearnedModel, a: Analysed, kind: str) -> tuple[int, int]:
    """The span of the sentence of ``a`` that scores highest for ``kind``."""
    spans = a.sentences
    if len(spans) == 1:
        return spans[0].start, spans[0].end
    best = max(spans, key=lambda sp: model.score(a.masked[sp.start : sp.end], kind))
    return best.start, best.end


def _finite(x: float, default: float) -> float:
    try:
        return x if math.isfinite(x) else default
    except TypeError:
        return default


def _span_times(utt: Utterance, start: int, end: int, length: int) -> tuple[float, float]:
    """Call-clock times of a character span: from the words if any, else by proportion."""
    u_start = _finite(utt.start, 0.0)
    u_end = max(_finite(utt.end, u_start), u_start)
    if length <= 0:
        return u_start, u_end
    dur = u_end - u_start
    return u_start + dur * start / length, u_start + dur * end / length
