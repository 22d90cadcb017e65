"""Literal gates: the substrings every match of a regular expression must contain.

Python's ``re`` tries every alternative at every position, so a pattern listing
twenty phrases costs tens of microseconds per utterance. Read off the parsed
pattern, a few literals of which every match contains one make a cheap
pre-check: when none occurs in the text, the pattern cannot match and is not run.
The gate is only ever a necessary condition, so results are those of the pattern
alone. The playbook's triggers and the call-context tracker both gate this way.
"""

from __future__ import annotations

import re
from typing import Any, Final

try:  # the stdlib's own pattern parser, to read the literals off patterns
    import re._parser as _sre
except ImportError:  # pragma: no cover - older layout
    import sre_parse as _sre

__all__ = ["LiteralIndex", "required_literals"]

#: ordinary call talk (normalised: lower case, straight quotes); a literal found in at
#: least half of these lines (" ", "th", "you") is in nearly every utterance and gates
#: nothing: a gate holding one is no gate. Such literals were also most of the scan's
#: hits (~78 an utterance on ../shared/calls), each built into the set it returns.
_ORDINARY: Final = (
    "good morning, riverside clinic, this is sam, how can i help you today?",
    "hi, i need to reschedule my follow-up, and i had a question about my bill.",
    "sure, can i get your name and date of birth please?",
    "it's jordan ellis, march 3rd, 1980.",
    "thanks, jordan. i see the visit from the 12th and a balance of 140 dollars.",
    "okay. is there anything else i can do for you?",
    "no, that's everything, thank you so much.",
    "let me check what the doctor has open next week.",
    "yeah, the pharmacy said they never got the prescription.",
    "all right, you're all set for tuesday at ten.",
)


def _everywhere(literal: str) -> bool:
    return sum(literal in line for line in _ORDINARY) * 2 >= len(_ORDINARY)


def required_literals(pattern: str) -> set[str] | None:
    """Literals one of which every match of ``pattern`` contains (None: no useful gate)."""
    try:
        return _literals_of(_sre.parse(pattern).data)
    except Exception:  # an unexpected parse tree: no gate, the pattern still works
        return None


class LiteralIndex:
    """A set of gate literals, all found in one pass over a text (Aho-Corasick).

    ``scan(text)`` returns the literals present in ``text``; a pattern whose gate
    shares none of them is skipped without running. Where pyahocorasick is missing
    it tests each literal on its own (the same set, slower). The playbook's triggers
    and the call-context tracker each keep one.
    """

    def __init__(self, literals: set[str]) -> None:
        self._literals = frozenset(literals)
        self._automaton: Any = None
        try:
            import ahocorasick
        except ImportError:  # pragma: no cover - the dependency is declared
            return
        if not literals:
            return
        automaton = ahocorasick.Automaton()
        for lit in literals:
            automaton.add_word(lit, lit)
        automaton.make_automaton()
        self._automaton = automaton

    def scan(self, text: str) -> frozenset[str]:
        if self._automaton is None:  # no pyahocorasick, or no literals
            return frozenset(lit for lit in self._literals if lit in text)
        return frozenset(lit for _, lit in self._automaton.iter(text))


# Words too common to make a useful gate ("call", "the"): a pattern gated on them
# would run on nearly every utterance.
_COMMON: Final = frozenset(
    [
        "a",
        "an",
        "the",
        "i",
        "i'm",
        "i've",
        "you",
        "you're",
        "your",
        "we",
        "it",
        "it's",
        "is",
        "was",
        "be",
        "been",
        "to",
        "of",
        "and",
        "or",
        "in",
        "on",
        "at",
        "for",
        "with",
        "not",
        "no",
        "my",
        "me",
        "he",
        "she",
        "they",
        "this",
        "that",
        "so",
        "do",
        "did",
        "does",
        "can",
        "can't",
        "have",
        "has",
        "had",
        "will",
        "would",
        "just",
        "like",
        "get",
        "got",
        "go",
        "going",
        "call",
        "called",
        "back",
        "said",
        "say",
        "time",
        "take",
        "took",
        "over",
        "up",
        "out",
        "all",
        "one",
        "two",
        "what",
        "when",
        "how",
        "who",
        "there",
        "here",
        "then",
        "now",
        "know",
        "need",
        "want",
        "'s",
        "their",
        "them",
        "his",
        "her",
        "our",
        "us",
    ]
)
_TOKEN = re.compile(r"[a-z0-9$']+")


def _informative(literal: str) -> int:
    """Characters of a literal outside very common words (a gate's selectivity)."""
    return sum(len(w) for w in _TOKEN.findall(literal) if w not in _COMMON)


def _literals_of(seq: Any) -> set[str] | None:
    """Literals one of which every match of the parsed sequence contains (None: unknown)."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, av in seq:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        prefix = "".join(run)
        if run:
            candidates.append({prefix})
            run = []
        found: set[str] | None = None
        if op is _sre.SUBPATTERN:
            found = _literals_of(av[-1].data)
        elif op is _sre.BRANCH:
            found = set()
            leads: set[str] | None = set()
            for branch in av[1]:
                sub = _literals_of(branch.data)
                if sub is None:
                    found = None
                else:
                    if found is not None:
                        found |= sub
                lead = "".join(chr(a) for _, a in _leading(branch.data))
                if leads is not None:
                    leads.add(lead)
            if prefix and leads is not None:
                # "call(?:ed|ing)": the parser factored the prefix out; put it back.
                candidates.append({prefix + lead for lead in leads})
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            found = _literals_of(av[2].data)
        elif op is _sre.IN and all(o is _sre.LITERAL for o, _ in av):
            found = {chr(a) for _, a in av}
            if prefix:
                candidates.append({prefix + c for c in found})
        if found:
            candidates.append(found)
    if run:
        candidates.append({"".join(run)})
    candidates = [c for c in candidates if not any(map(_everywhere, c))]
    if not candidates:
        return None
    return max(
        candidates,
        key=lambda c: (min(_informative(x) for x in c), min(len(x) for x in c), -len(c)),
    )


def _leading(seq: Any) -> list[tuple[Any, int]]:
    out = []
    for op, av in seq:
        if op is not _sre.LITERAL:
            break
        out.append((op, av))
    return out
