"""The playbook: each cue kind's card and triggers, loaded from ``playbook.yaml``.

Trainers edit the YAML. :func:`load_playbook` validates all of it (every kind of
``CUES.md`` present, severities and speakers known, every pattern compiles, every
lexicon exists) and raises :class:`PlaybookError` naming the file, the line and the
problem. :class:`PlaybookStore` reloads the file when it changes and keeps the last
good playbook when the new one does not validate, so a typo never takes a running
server down.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import yaml

from cues.gates import LiteralIndex, required_literals
from cues.types import AGENT_KINDS, CALLER_KINDS, CUE_KINDS, CueKind, Severity

DEFAULT_PATH = Path(__file__).with_name("playbook.yaml")
SEVERITIES = ("info", "warn", "urgent")
MAX_TITLE = 40
MAX_LINE = 160  # readable in about a second
_LEXICON_REF = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_FLAGS = re.IGNORECASE


class PlaybookError(ValueError):
    """A playbook that does not validate; ``str()`` reads ``file:line: problem``."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {problem}")


class Rx:
    """A compiled pattern behind a cheap literal gate.

    Python's ``re`` tries every alternative at every position, so a list of twenty
    phrases costs tens of microseconds per utterance. Every match of a pattern
    contains one of a few literal substrings (read off the parsed pattern); when
    none of them is in the text, the pattern cannot match and is not run. The gate
    is only ever a necessary condition, so results are those of the pattern alone.

    ``present`` (from :class:`LiteralIndex`, one scan of the utterance for every
    literal of the playbook) makes the gate a set intersection; without it each
    literal is looked for in the text.
    """

    __slots__ = ("gate", "gate_set", "pattern")

    def __init__(self, pattern: re.Pattern[str], gated: bool = True) -> None:
        self.pattern = pattern
        lits = required_literals(pattern.pattern) if gated else None
        self.gate: tuple[str, ...] | None = (
            tuple(sorted({x.lower() for x in lits}, key=len)) if lits else None
        )
        self.gate_set: frozenset[str] | None = frozenset(self.gate) if self.gate else None

    def open(self, text: str, present: frozenset[str] | None = None) -> bool:
        """False when the pattern cannot match ``text`` (a literal it needs is absent)."""
        if self.gate_set is None:
            return True
        if present is not None:
            return not self.gate_set.isdisjoint(present)
        return any(lit in text for lit in self.gate or ())

    def search(
        self,
        text: str,
        pos: int = 0,
        endpos: int | None = None,
        present: frozenset[str] | None = None,
    ) -> re.Match[str] | None:
        if not self.open(text, present):
            return None
        if endpos is None:
            return self.pattern.search(text, pos)
        return self.pattern.search(text, pos, endpos)

    def finditer(self, text: str, present: frozenset[str] | None = None) -> Iterator[re.Match[str]]:
        if not self.open(text, present):
            return iter(())
        return self.pattern.finditer(text)


class TriggerGates:
    """Which triggers' patterns can match an utterance, from the gate literals in it.

    Most patterns (about nineteen in twenty in call talk) share no literal with a
    given utterance; one pass over the literals found, rather than a set test per
    pattern, leaves only those that may match. ``candidates(present)`` is a bit set
    over every pattern of the playbook (each kind's triggers, then its handoff
    markers); ``masks(candidates, kind)`` cuts it per trigger: bit ``j`` of the
    ``i``-th mask for ``triggers[i].patterns[j]``, 0 where the trigger cannot match
    (so pattern order, and with it which match wins, is kept);
    ``markers(candidates, kind)`` is the same for the kind's handoff markers.
    """

    __slots__ = ("_by_literal", "_markers", "_span", "_triggers", "_ungated")

    def __init__(self, kinds: Mapping[str, KindSpec]) -> None:
        self._by_literal: dict[str, int] = {}
        self._ungated = 0
        self._span: dict[str, tuple[int, int]] = {}  # kind -> (offset, mask of its triggers)
        self._triggers: dict[str, tuple[tuple[int, int], ...]] = {}  # per trigger, in the kind
        self._markers: dict[str, tuple[int, int]] = {}
        offset = 0

        def add(patterns: tuple[Rx, ...]) -> tuple[int, int]:
            nonlocal offset
            start = offset
            for rx in patterns:
                bit = 1 << offset
                offset += 1
                if rx.gate_set is None:
                    self._ungated |= bit
                    continue
                for lit in rx.gate_set:
                    self._by_literal[lit] = self._by_literal.get(lit, 0) | bit
            return start, (1 << (offset - start)) - 1

        for name, spec in kinds.items():
            start = offset
            spans = tuple(add(t.patterns) for t in spec.triggers)
            self._span[name] = (start, (1 << (offset - start)) - 1)
            self._triggers[name] = tuple((o - start, full) for o, full in spans)
            if spec.handoff is not None:
                self._markers[name] = add(spec.handoff.markers)

    def candidates(self, present: frozenset[str] | None) -> int | None:
        """Every pattern that may match given the literals ``present`` (None: unknown)."""
        if present is None:
            return None
        mask = self._ungated
        get = self._by_literal.get
        for lit in present:
            mask |= get(lit, 0)
        return mask

    def masks(self, candidates: int, kind: str) -> tuple[int, ...]:
        """Per trigger of ``kind``, which of its patterns may match; () if none may."""
        offset, full = self._span[kind]
        bits = (candidates >> offset) & full
        if not bits:
            return ()
        return tuple((bits >> o) & f for o, f in self._triggers[kind])

    def markers(self, candidates: int, kind: str) -> int:
        """Which of ``kind``'s handoff markers may match (bit ``j`` for ``markers[j]``)."""
        offset, full = self._markers[kind]
        return (candidates >> offset) & full


@dataclass(frozen=True, slots=True)
class Trigger:
    """One way a kind is raised: patterns plus the guards that veto a match."""

    name: str
    patterns: tuple[Rx, ...]
    negatable: bool = True
    #: also a negator among the matched words ("I'm not really scared"), for patterns
    #: that skip a few words; off where the pattern itself says "can't"/"won't"
    negation_inside: bool = False
    block_past: bool = False
    block_reported: bool = False
    block_hypothetical: bool = False
    requires: Rx | None = None
    with_sentence: Rx | None = None
    unless: Rx | None = None
    unless_utterance: Rx | None = None
    mask_doses: bool = True
    #: distinct utterances that must match before it counts (take_a_reset's
    #: "sustained" distress); 1 for ordinary triggers
    turns: int = 1
    #: union of the patterns' gates (None if one is ungated): one set test skips
    #: the whole trigger when none of its literals is in the utterance
    gate_union: frozenset[str] | None = None
    #: the gates of what every match also needs in the utterance (``requires``, unless
    #: an earlier utterance may meet it; ``with_sentence``): when one of them meets
    #: none of the utterance's literals, no pattern is run
    needs: tuple[frozenset[str], ...] = ()
    #: False: the learned layer's veto (:mod:`cues.learned`) does not apply to this
    #: trigger's match (an emotion named outright, "I'm really angry", is not new
    #: wording the playbook misreads, whatever else the utterance says)
    learned_veto: bool = True
    #: ``requires`` may be met by an earlier utterance of the same speaker in the call
    #: ("she's on chemo" in one turn, "a fever of 101" in the next)
    requires_in_call: bool = False


@dataclass(frozen=True, slots=True)
class Handoff:
    """close_the_loop: a handoff marker without owner + real time + patient's part."""

    markers: tuple[Rx, ...]
    owner: Rx | None
    owner_cased: Rx | None  # matched against the original capitalisation
    time: Rx | None
    patient_part: Rx | None


@dataclass(frozen=True, slots=True)
class Heavy:
    """take_a_reset: the kinds and caller words that make a call heavy."""

    kinds: frozenset[str]
    triggers: tuple[Trigger, ...]
    distress_kinds: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class KindSpec:
    kind: CueKind
    title: str
    line: str
    severity: Severity
    speaker: str  # caller | agent | call
    triggers: tuple[Trigger, ...] = ()
    handoff: Handoff | None = None
    heavy: Heavy | None = None
    #: kinds that, found in the same utterance, mean this one does not apply
    #: (anger *at the agent* is abuse, not validate_first)
    suppressed_by: frozenset[str] = frozenset()
    #: kinds that, once raised earlier in the call, keep this one quiet for the rest of
    #: it (after abuse, the caller's anger is at the agent: the boundary card is the move)
    quiet_after: frozenset[str] = frozenset()
    #: vetoes for every trigger of the kind: in the match's sentence, in the utterance
    unless: Rx | None = None
    unless_utterance: Rx | None = None

    def learned_veto(self, trigger: str) -> bool:
        """Whether the learned layer may veto a match of the trigger named ``trigger``."""
        return all(t.learned_veto for t in self.triggers if t.name == trigger)


@dataclass(frozen=True, slots=True)
class Playbook:
    kinds: dict[str, KindSpec]
    negators: frozenset[str]
    past: Rx | None
    recent: Rx | None  # overrides past/reported: "this morning", "minutes ago"
    reported: Rx | None
    hypothetical: Rx | None
    pleasantries: Rx | None
    doses: Rx | None
    path: str = ""
    lexicons: dict[str, tuple[str, ...]] = field(default_factory=dict)
    index: LiteralIndex | None = None
    gates: TriggerGates | None = None

    def scan(self, text: str) -> frozenset[str] | None:
        """The gate literals present in ``text`` (None: check gates one by one)."""
        return self.index.scan(text) if self.index is not None else None

    def spec(self, kind: str) -> KindSpec:
        return self.kinds[kind]


# --- loading ------------------------------------------------------------------------


def _line(node: yaml.Node | None) -> int | None:
    return node.start_mark.line + 1 if node is not None else None


class _Reader:
    """Walks the YAML node tree so that every error can name its line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.loader = yaml.SafeLoader(text)
        self.lexicons: dict[str, str] = {}
        self.lexicon_words: dict[str, tuple[str, ...]] = {}
        self.rxs: list[Rx] = []

    def rx(self, pattern: re.Pattern[str], gated: bool = True) -> Rx:
        made = Rx(pattern, gated)
        self.rxs.append(made)
        return made

    def fail(self, node: yaml.Node | None, problem: str) -> PlaybookError:
        return PlaybookError(self.path, _line(node), problem)

    def root(self) -> yaml.MappingNode:
        try:
            node = self.loader.get_single_node()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc)
            raise PlaybookError(self.path, line, f"not valid YAML: {problem}") from exc
        finally:
            self.loader.dispose()
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, "the playbook is a mapping with lexicons and kinds")
        return node

    def mapping(
        self, node: yaml.Node, allowed: set[str], what: str
    ) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping")
        out: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for knode, vnode in node.value:
            key = str(knode.value)
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                raise self.fail(knode, f"unknown field {key!r} in {what} (known: {known})")
            if key in out:
                raise self.fail(knode, f"{key!r} given twice in {what}")
            out[key] = (knode, vnode)
        return out

    def value(self, node: yaml.Node) -> Any:
        return self.loader.construct_object(node, deep=True)

    def string(self, node: yaml.Node, what: str, max_len: int | None = None) -> str:
        v = self.value(node)
        if not isinstance(v, str) or not v.strip():
            raise self.fail(node, f"{what} must be a non-empty string")
        if max_len is not None and len(v) > max_len:
            raise self.fail(node, f"{what} is {len(v)} characters; keep it under {max_len}")
        return v

    def boolean(self, node: yaml.Node, what: str) -> bool:
        v = self.value(node)
        if not isinstance(v, bool):
            raise self.fail(node, f"{what} must be true or false")
        return v

    def expand(self, node: yaml.Node, pattern: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in self.lexicons:
                raise self.fail(node, f"unknown lexicon {{{name}}} in pattern")
            return self.lexicons[name]

        return _LEXICON_REF.sub(sub, pattern)

    def patterns(self, node: yaml.Node, what: str, allow_empty: bool = False) -> Rx | None:
        """A list of patterns compiled into one gated alternation (errors name the item)."""
        items = self.items(node, what, allow_empty)
        if not items:
            return None
        return self.rx(re.compile("|".join(f"(?:{p.pattern})" for p in items), _FLAGS))

    def items(self, node: yaml.Node, what: str, allow_empty: bool = False) -> list[re.Pattern[str]]:
        """A list of patterns, each compiled on its own (errors name the item)."""
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, f"{what} must be a list of patterns")
        if not node.value:
            if allow_empty:
                return []
            raise self.fail(node, f"{what} needs at least one pattern")
        parts: list[re.Pattern[str]] = []
        for item in node.value:
            if isinstance(item, yaml.MappingNode):
                raise self.fail(
                    item,
                    f"{what}: YAML read this pattern as a mapping (a ': ' inside it); "
                    "quote it, or write (?:\\s...) instead of (?: ...)",
                )
            raw = self.value(item)
            if not isinstance(raw, str) or not raw.strip():
                raise self.fail(item, f"{what}: a pattern must be a non-empty string")
            expanded = self.expand(item, raw)
            try:
                compiled = re.compile(expanded, _FLAGS)
            except re.error as exc:
                raise self.fail(item, f"{what}: pattern does not compile: {exc}") from exc
            if compiled.search("") is not None:
                raise self.fail(item, f"{what}: pattern matches the empty string")
            parts.append(compiled)
        return parts

    def words(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        v = self.value(node)
        if not isinstance(v, list) or not v or not all(isinstance(w, str) and w for w in v):
            raise self.fail(node, f"{what} must be a non-empty list of strings")
        return tuple(cast(list[str], v))


_TRIGGER_FIELDS = {
    "name",
    "patterns",
    "negatable",
    "negation_inside",
    "block_past",
    "block_reported",
    "block_hypothetical",
    "requires",
    "with_sentence",
    "unless",
    "unless_utterance",
    "mask_doses",
    "turns",
    "learned_veto",
    "requires_in_call",
}


def _trigger(r: _Reader, node: yaml.Node, kind: str) -> Trigger:
    f = r.mapping(node, _TRIGGER_FIELDS, f"a trigger of {kind}")
    if "patterns" not in f:
        raise r.fail(node, f"a trigger of {kind} needs patterns")
    name = r.string(f["name"][1], "trigger name") if "name" in f else "trigger"
    patterns = tuple(r.rx(p) for p in r.items(f["patterns"][1], f"{kind}.{name}.patterns"))

    def flag(key: str, default: bool) -> bool:
        return r.boolean(f[key][1], f"{kind}.{name}.{key}") if key in f else default

    def guard(key: str) -> Rx | None:
        return r.patterns(f[key][1], f"{kind}.{name}.{key}", allow_empty=True) if key in f else None

    gates = [p.gate_set for p in patterns if p.gate_set is not None]
    union = frozenset[str]().union(*gates) if len(gates) == len(patterns) else None
    requires, with_sentence = guard("requires"), guard("with_sentence")
    in_call = flag("requires_in_call", False)
    needs = tuple(
        rx.gate_set
        for rx in (None if in_call else requires, with_sentence)
        if rx is not None and rx.gate_set is not None
    )
    return Trigger(
        name=name,
        patterns=patterns,
        gate_union=union,
        needs=needs,
        negatable=flag("negatable", True),
        negation_inside=flag("negation_inside", False),
        block_past=flag("block_past", False),
        block_reported=flag("block_reported", False),
        block_hypothetical=flag("block_hypothetical", False),
        requires=requires,
        with_sentence=with_sentence,
        unless=guard("unless"),
        unless_utterance=guard("unless_utterance"),
        mask_doses=flag("mask_doses", True),
        turns=_turns(r, f, kind, name),
        learned_veto=flag("learned_veto", True),
        requires_in_call=in_call,
    )


def _turns(r: _Reader, f: dict[str, tuple[yaml.Node, yaml.Node]], kind: str, name: str) -> int:
    if "turns" not in f:
        return 1
    v = r.value(f["turns"][1])
    if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 20:
        raise r.fail(f["turns"][1], f"{kind}.{name}.turns must be a whole number from 1 to 20")
    return v


def _triggers(r: _Reader, node: yaml.Node, kind: str) -> tuple[Trigger, ...]:
    if not isinstance(node, yaml.SequenceNode) or not node.value:
        raise r.fail(node, f"{kind}.triggers must be a non-empty list")
    return tuple(_trigger(r, item, kind) for item in node.value)


def _handoff(r: _Reader, node: yaml.Node) -> Handoff:
    allowed = {"markers", "owner", "owner_cased", "time", "patient_part"}
    f = r.mapping(node, allowed, "close_the_loop.handoff")
    if "markers" not in f:
        raise r.fail(node, "close_the_loop.handoff needs markers")
    markers = tuple(r.rx(p) for p in r.items(f["markers"][1], "handoff.markers"))

    def opt(key: str) -> Rx | None:
        return r.patterns(f[key][1], f"handoff.{key}", allow_empty=True) if key in f else None

    owner_cased = None
    if "owner_cased" in f:  # case-sensitive: names are capitalised
        items = r.items(f["owner_cased"][1], "handoff.owner_cased", allow_empty=True)
        if items:
            joined = "|".join(f"(?:{p.pattern})" for p in items)
            owner_cased = r.rx(re.compile(joined), gated=False)
    return Handoff(
        markers=markers,
        owner=opt("owner"),
        owner_cased=owner_cased,
        time=opt("time"),
        patient_part=opt("patient_part"),
    )


def _heavy(r: _Reader, node: yaml.Node) -> Heavy:
    f = r.mapping(node, {"kinds", "distress_kinds", "triggers"}, "take_a_reset.heavy")

    def kind_list(key: str) -> frozenset[str]:
        if key not in f:
            return frozenset()
        names = r.words(f[key][1], f"heavy.{key}")
        for n in names:
            if n not in CUE_KINDS:
                raise r.fail(f[key][1], f"heavy.{key}: unknown cue kind {n!r}")
        return frozenset(names)

    triggers = _triggers(r, f["triggers"][1], "take_a_reset.heavy") if "triggers" in f else ()
    return Heavy(
        kinds=kind_list("kinds"), triggers=triggers, distress_kinds=kind_list("distress_kinds")
    )


def _expected_speaker(kind: str) -> str:
    if kind in CALLER_KINDS:
        return "caller"
    if kind in AGENT_KINDS:
        return "agent"
    return "call"


def _other_kinds(
    r: _Reader, f: dict[str, tuple[yaml.Node, yaml.Node]], kind: str, key: str
) -> frozenset[str]:
    """A kind's list of other cue kinds (``suppressed_by``, ``quiet_after``)."""
    if key not in f:
        return frozenset()
    names = r.words(f[key][1], f"{kind}.{key}")
    for n in names:
        if n not in CUE_KINDS or n == kind:
            raise r.fail(f[key][1], f"{kind}.{key}: bad cue kind {n!r}")
    return frozenset(names)


def _kind(r: _Reader, knode: yaml.Node, node: yaml.Node, kind: str) -> KindSpec:
    allowed = {
        "title",
        "line",
        "severity",
        "speaker",
        "triggers",
        "handoff",
        "heavy",
        "suppressed_by",
        "quiet_after",
        "unless",
        "unless_utterance",
    }
    f = r.mapping(node, allowed, f"kind {kind}")
    for required in ("title", "line", "severity", "speaker"):
        if required not in f:
            raise r.fail(knode, f"kind {kind} needs {required!r}")
    title = r.string(f["title"][1], f"{kind}.title", MAX_TITLE)
    line = r.string(f["line"][1], f"{kind}.line", MAX_LINE)
    severity = r.value(f["severity"][1])
    if severity not in SEVERITIES:
        raise r.fail(f["severity"][1], f"{kind}.severity must be one of {', '.join(SEVERITIES)}")
    speaker = r.value(f["speaker"][1])
    expected = _expected_speaker(kind)
    if speaker != expected:
        raise r.fail(f["speaker"][1], f"{kind}.speaker must be {expected!r} (CUES.md)")
    triggers = _triggers(r, f["triggers"][1], kind) if "triggers" in f else ()
    handoff = None
    if "handoff" in f:
        if kind != "close_the_loop":
            raise r.fail(f["handoff"][0], "handoff: is for close_the_loop only")
        handoff = _handoff(r, f["handoff"][1])
    heavy = None
    if "heavy" in f:
        if kind != "take_a_reset":
            raise r.fail(f["heavy"][0], "heavy: is for take_a_reset only")
        heavy = _heavy(r, f["heavy"][1])
    suppressed_by = _other_kinds(r, f, kind, "suppressed_by")
    quiet_after = _other_kinds(r, f, kind, "quiet_after")
    if not triggers and handoff is None and heavy is None:
        raise r.fail(knode, f"kind {kind} has nothing that raises it (triggers, handoff or heavy)")
    return KindSpec(
        kind=cast(CueKind, kind),
        title=title,
        line=line,
        severity=cast(Severity, severity),
        speaker=speaker,
        triggers=triggers,
        handoff=handoff,
        heavy=heavy,
        suppressed_by=suppressed_by,
        quiet_after=quiet_after,
        unless=r.patterns(f["unless"][1], f"{kind}.unless", True) if "unless" in f else None,
        unless_utterance=(
            r.patterns(f["unless_utterance"][1], f"{kind}.unless_utterance", True)
            if "unless_utterance" in f
            else None
        ),
    )


def parse_playbook(text: str, path: str = "<playbook>") -> Playbook:
    """Validate playbook YAML text; raises :class:`PlaybookError`."""
    r = _Reader(path, text)
    root = r.root()
    top = r.mapping(
        root,
        {
            "version",
            "lexicons",
            "negators",
            "past_markers",
            "recent_markers",
            "reported_markers",
            "hypothetical_markers",
            "pleasantries",
            "doses",
            "kinds",
        },
        "the playbook",
    )
    if "version" in top and r.value(top["version"][1]) != 1:
        raise r.fail(top["version"][1], "unsupported version (this engine reads version 1)")
    if "lexicons" in top:
        lex = r.mapping(top["lexicons"][1], set(_lexicon_names(top["lexicons"][1])), "lexicons")
        for name, (knode, vnode) in lex.items():
            if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
                raise r.fail(knode, f"lexicon name {name!r}: use lower case letters and _")
            words = r.words(vnode, f"lexicon {name}")
            for w, item in zip(words, cast(yaml.SequenceNode, vnode).value, strict=False):
                if _LEXICON_REF.search(w):
                    raise r.fail(item, f"lexicon {name}: lexicons cannot refer to lexicons")
                try:
                    re.compile(w)
                except re.error as exc:
                    raise r.fail(item, f"lexicon {name}: {w!r} does not compile: {exc}") from exc
            r.lexicons[name] = "(?:" + "|".join(words) + ")"
            r.lexicon_words[name] = words
    negators = (
        frozenset(r.words(top["negators"][1], "negators")) if "negators" in top else frozenset()
    )

    def opt(key: str) -> Rx | None:
        return r.patterns(top[key][1], key, allow_empty=True) if key in top else None

    past, recent = opt("past_markers"), opt("recent_markers")
    reported, hypothetical = opt("reported_markers"), opt("hypothetical_markers")
    pleasantries, doses = opt("pleasantries"), opt("doses")

    if "kinds" not in top:
        raise r.fail(root, "the playbook needs kinds")
    kinds_node = top["kinds"][1]
    kinds_map = r.mapping(kinds_node, set(CUE_KINDS), "kinds")
    missing = [k for k in CUE_KINDS if k not in kinds_map]
    if missing:
        raise r.fail(kinds_node, f"kinds missing from the playbook: {', '.join(missing)}")
    kinds = {name: _kind(r, knode, vnode, name) for name, (knode, vnode) in kinds_map.items()}
    return Playbook(
        kinds=kinds,
        negators=negators,
        past=past,
        recent=recent,
        reported=reported,
        hypothetical=hypothetical,
        pleasantries=pleasantries,
        doses=doses,
        path=path,
        lexicons=dict(r.lexicon_words),
        index=LiteralIndex({lit for x in r.rxs for lit in x.gate or ()}),
        gates=TriggerGates(kinds),
    )


def _lexicon_names(node: yaml.Node) -> list[str]:
    if not isinstance(node, yaml.MappingNode):
        return []
    return [str(k.value) for k, _ in node.value]


def load_playbook(path: str | Path = DEFAULT_PATH) -> Playbook:
    """Read and validate a playbook file. Raises :class:`PlaybookError`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(str(p), None, f"cannot read: {exc}") from exc
    return parse_playbook(text, str(p))


_default: Playbook | None = None
_default_lock = threading.Lock()


def default_playbook() -> Playbook:
    """The packaged playbook, parsed once per process (immutable, safe to share)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load_playbook(DEFAULT_PATH)
        return _default


class PlaybookStore:
    """The playbook file as the server sees it: reloaded on change, last good kept.

    ``current()`` is cheap (one ``stat``); when the file's mtime or size changed it
    re-reads it. A file that does not validate leaves the previous playbook in
    place and its error in :attr:`last_error` (for the trainer's page and logs).
    If the very first load fails, the packaged default playbook is used.
    """

    def __init__(self, path: str | Path = DEFAULT_PATH) -> None:
        self.path = Path(path)
        self.last_error: PlaybookError | None = None
        self._stamp: tuple[float, int] | None = None
        self._lock = threading.Lock()
        self._playbook: Playbook = self._first_load()

    def _first_load(self) -> Playbook:
        try:
            self._stamp = self._stat()
            return load_playbook(self.path)
        except PlaybookError as exc:
            self.last_error = exc
            return default_playbook()

    def _stat(self) -> tuple[float, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime, st.st_size)

    def current(self) -> Playbook:
        stamp = self._stat()
        if stamp == self._stamp:
            return self._playbook
        with self._lock:
            if stamp == self._stamp:
                return self._playbook
            self._stamp = stamp
            try:
                self._playbook = load_playbook(self.path)
                self.last_error = None
            except PlaybookError as exc:
                self.last_error = exc  # keep the last good one
            return self._playbook

    def reload(self) -> Playbook:
        """Force a re-read (e.g. after an edit within the same mtime tick)."""
        with self._lock:
            self._stamp = None
        return self.current()
