"""Text analysis for the detectors: normalisation, sentences, negation, tense, doses.

Pure functions over one utterance's text. Normalisation keeps a map back to the
original characters so that a cue's evidence quotes the words as said.

The linguistic judgements are deliberately small and local (a window of words
before a match, markers inside the same sentence): they run thousands of times
a second and they fail in predictable ways that a trainer can read and fix in
``playbook.yaml`` (the marker lists live there, not here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol


class Searcher(Protocol):
    """A compiled pattern, or anything that searches like one (the playbook's gated Rx)."""

    def search(self, text: str, pos: int = ..., endpos: int = ...) -> re.Match[str] | None: ...

#: Characters folded to ASCII one for one (so offsets survive).
_FOLD = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "—": ",",
        "–": ",",
        "…": ".",
        "\u00a0": " ",
        "\t": " ",
        "\n": " ",
        "\r": " ",
    }
)
_MULTISPACE = re.compile(r"  +")
#: Sentence (and strong clause) boundaries: negation and tense do not cross them.
_BOUNDARY = re.compile(r"[.?!;]+(?:\s+|$)|,?\s+but\s+|,?\s+though\s+|\s-\s")
_WORD = re.compile(r"[a-z0-9']+")
_LATIN = re.compile(r"[a-zA-Z]")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Analysed:
    """One utterance, ready for matching.

    ``norm`` is lower-cased, folded and single-spaced; ``masked`` is ``norm`` with
    pleasantries blanked and dose expressions ("three times a day") replaced by
    the same number of ``#`` (offsets kept); ``sentences`` are spans of ``norm``.
    """

    original: str
    norm: str
    masked: str
    unpleasant: str  # norm with pleasantries blanked, doses kept
    sentences: tuple[Span, ...]
    offsets: tuple[int, ...] | None  # norm index -> original index (None: identity)

    def quote(self, start: int, end: int) -> str:
        """The original words behind ``norm[start:end]``."""
        if self.offsets is None:
            return self.original[start:end]
        if start >= len(self.offsets):
            return ""
        o_start = self.offsets[start]
        o_end = self.offsets[end - 1] + 1 if end - 1 < len(self.offsets) else len(self.original)
        return self.original[o_start:o_end]

    def sentence_of(self, pos: int) -> Span:
        for s in self.sentences:
            if s.start <= pos < s.end:
                return s
        return Span(0, len(self.norm))


def normalise(text: str) -> tuple[str, tuple[int, ...] | None]:
    """Lower-case, fold quotes/dashes, single spaces; return the text and an offset map."""
    folded = text.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) != len(folded):  # rare Unicode whose lower case changes length
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)
    stripped = lowered.strip()
    lead = len(lowered) - len(lowered.lstrip())
    if "  " not in stripped:
        if lead == 0:
            return stripped, None
        return stripped, tuple(range(lead, lead + len(stripped)))
    out: list[str] = []
    offsets: list[int] = []
    prev_space = False
    for i, ch in enumerate(stripped):
        if ch == " ":
            if prev_space:
                continue
            prev_space = True
        else:
            prev_space = False
        out.append(ch)
        offsets.append(i + lead)
    return "".join(out), tuple(offsets)


def split_sentences(norm: str) -> tuple[Span, ...]:
    spans: list[Span] = []
    pos = 0
    for m in _BOUNDARY.finditer(norm):
        if m.start() > pos:
            spans.append(Span(pos, m.start()))
        pos = m.end()
    if pos < len(norm):
        spans.append(Span(pos, len(norm)))
    return tuple(spans) or (Span(0, len(norm)),)


def blank(text: str, pattern: re.Pattern[str], fill: str = " ") -> str:
    """Replace every match of ``pattern`` by ``fill`` characters of the same length."""
    return pattern.sub(lambda m: fill * (m.end() - m.start()), text)


def analyse(text: str, pleasantries: re.Pattern[str] | None, doses: re.Pattern[str] | None) -> Analysed:
    norm, offsets = normalise(text)
    unpleasant = blank(norm, pleasantries) if pleasantries is not None else norm
    masked = blank(unpleasant, doses, "#") if doses is not None else unpleasant
    return Analysed(
        original=text,
        norm=norm,
        masked=masked,
        unpleasant=unpleasant,
        sentences=split_sentences(norm),
        offsets=offsets,
    )


def words_before(text: str, start: int, span: Span, n: int) -> list[str]:
    """The last ``n`` words of ``text`` between the sentence start and ``start``."""
    return _WORD.findall(text[span.start : start])[-n:]


#: "don't know how many he took" negates the knowing, not what follows.
_NOT_A_NEGATION_AFTER = frozenset({"know", "sure", "remember", "understand"})


def is_negated(a: Analysed, start: int, negators: frozenset[str], window: int = 4) -> bool:
    """A negator among the few words before the match, inside its sentence.

    "no chest pain or anything", "I'm not worried", "nothing like that": the
    negator precedes the trigger within a short window and the same sentence.
    Contractions ("don't", "isn't") count through their "n't". Not negations:
    an interjection ("oh no, he can't breathe", "no, I'm scared") and a negated
    verb of knowing ("I don't know how many he took").
    """
    span = a.sentence_of(start)
    region = a.norm[span.start : start]
    tokens = list(_WORD.finditer(region))[-window:]
    for i, tok in enumerate(tokens):
        w = tok.group()
        if not (w in negators or w.endswith("n't")):
            continue
        nxt = tokens[i + 1].group() if i + 1 < len(tokens) else ""
        if nxt in _NOT_A_NEGATION_AFTER:
            continue
        if w == "no":
            after = region[tok.end() : tok.end() + 1]
            prev = tokens[i - 1].group() if i > 0 else ""
            if after == "," or prev == "oh":
                continue
        return True
    return False


def sentence_has(a: Analysed, start: int, pattern: Searcher | None) -> bool:
    if pattern is None:
        return False
    span = a.sentence_of(start)
    return pattern.search(a.norm, span.start, span.end) is not None


def before_in_sentence(a: Analysed, start: int, pattern: Searcher | None) -> bool:
    """``pattern`` occurs between the start of the match's sentence and the match."""
    if pattern is None:
        return False
    span = a.sentence_of(start)
    return pattern.search(a.norm, span.start, start) is not None


def looks_english(text: str) -> bool:
    """Crude guard: most letters are Latin and common English words occur.

    Non-English speech (or a recognizer's garbage) would otherwise be matched
    against English lexicons and raise nonsense; better to raise nothing.
    """
    letters = sum(1 for c in text if c.isalpha())
    if letters == 0:
        return False
    latin = len(_LATIN.findall(text))
    return latin / letters >= 0.8
