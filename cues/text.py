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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class Searcher(Protocol):
    """The playbook's gated pattern (see ``cues.playbook.Rx``)."""

    @property
    def pattern(self) -> re.Pattern[str]: ...

    def open(self, text: str, present: frozenset[str] | None = ...) -> bool: ...

    def search(
        self,
        text: str,
        pos: int = ...,
        endpos: int | None = ...,
        present: frozenset[str] | None = ...,
    ) -> re.Match[str] | None: ...


class Scanner(Protocol):
    def scan(self, text: str) -> frozenset[str] | None: ...


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
#: A title's full stop ("Dr. Salas's office") ends no sentence.
_BOUNDARY = re.compile(
    r"(?<!\bdr)(?<!\bmr)(?<!\bmrs)(?<!\bms)(?<!\bst)[.?!;]+(?: |$)| but | though | - "
)
_WORD = re.compile(r"[a-z0-9']+")
_LATIN = re.compile(r"[a-zA-Z]")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int


class Analysed:
    """One utterance, ready for matching.

    ``norm`` is lower-cased, folded and single-spaced; ``unpleasant`` is ``norm``
    with pleasantries blanked; ``masked`` also has dose expressions ("three times a
    day") replaced by ``#`` (offsets kept, so a match in any of the three maps back
    to the original words); ``sentences`` are spans of ``norm``, computed on first use.
    """

    __slots__ = ("_sentences", "masked", "norm", "offsets", "original", "present", "unpleasant")

    def __init__(
        self,
        original: str,
        norm: str,
        masked: str,
        unpleasant: str,
        offsets: tuple[int, ...] | None,
        present: frozenset[str] | None = None,
    ) -> None:
        self.original = original
        self.norm = norm
        self.masked = masked
        self.unpleasant = unpleasant
        self.offsets = offsets  # norm index -> original index (None: identity)
        self.present = present  # gate literals found in ``norm``
        self._sentences: tuple[Span, ...] | None = None

    @property
    def sentences(self) -> tuple[Span, ...]:
        if self._sentences is None:
            self._sentences = split_sentences(self.norm)
        return self._sentences

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


#: Tokenised contractions some recognizers and corpora write ("do n't", "gon na"):
#: joined so that the playbook's "don't" matches them too.
_SPLIT_CONTRACTION = re.compile(r"(?<=[a-z]) (?=n't\b)|(?<=\bgon) (?=na\b)|(?<=\bwan) (?=na\b)")


def normalise(text: str) -> tuple[str, tuple[int, ...] | None]:
    """Lower-case, fold quotes/dashes, single spaces; return the text and an offset map.

    The map gives, for each character of the result, its index in ``text`` (None
    when they coincide), so evidence can quote the words as said.
    """
    folded = text.translate(_FOLD)
    lowered = folded.lower()
    if len(lowered) != len(folded):  # rare Unicode whose lower case changes length
        lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)
    stripped = lowered.strip()
    lead = len(lowered) - len(lowered.lstrip())
    drop: set[int] = set()
    if "  " in stripped:
        drop.update(
            m.start() + 1 + k
            for m in _MULTISPACE.finditer(stripped)
            for k in range(m.end() - m.start() - 1)
        )
    if " n't" in stripped or " na" in stripped:
        drop.update(m.start() for m in _SPLIT_CONTRACTION.finditer(stripped))
    if not drop:
        norm = stripped
        offsets = None if lead == 0 else tuple(range(lead, lead + len(stripped)))
    else:
        keep = [i for i in range(len(stripped)) if i not in drop]
        norm, offsets = "".join(stripped[i] for i in keep), tuple(i + lead for i in keep)
    if "nine" in norm:
        return _spoken_numbers(norm, offsets)
    return norm, offsets


#: Emergency numbers as a recognizer or a transcriber spells them out: the
#: playbook's "911" and "988" must read "nine one one" too.
_SPOKEN_NUMBER = re.compile(r"\bnine[- ](?:one[- ]one|eight[- ]eight)\b")


def _spoken_numbers(
    norm: str, offsets: tuple[int, ...] | None
) -> tuple[str, tuple[int, ...] | None]:
    """``norm`` with spelled-out 911/988 as digits, and its offset map to match.

    Each digit maps to a character of its word (the last digit to the last letter),
    so a quote of the digits gives back the words as said.
    """
    src: Sequence[int] = offsets if offsets is not None else range(len(norm))
    out: list[str] = []
    mapped: list[int] = []
    pos = 0
    for m in _SPOKEN_NUMBER.finditer(norm):
        out.append(norm[pos : m.start()])
        mapped.extend(src[pos : m.start()])
        out.append("911" if "one" in m.group(0) else "988")
        # the second word starts after "nine" and its one separator
        mapped.extend((src[m.start()], src[m.start() + 5], src[m.end() - 1]))
        pos = m.end()
    if pos == 0:
        return norm, offsets
    out.append(norm[pos:])
    mapped.extend(src[pos:])
    return "".join(out), tuple(mapped)


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


def analyse(
    text: str,
    pleasantries: Searcher | None = None,
    doses: Searcher | None = None,
    scanner: Scanner | None = None,
) -> Analysed:
    """Normalise one utterance and prepare the variants the detectors match on."""
    norm, offsets = normalise(text)
    present = scanner.scan(norm) if scanner is not None else None
    unpleasant = norm
    if pleasantries is not None and pleasantries.open(norm, present):
        unpleasant = blank(norm, pleasantries.pattern)
    masked = unpleasant
    if doses is not None and doses.open(norm, present):
        masked = blank(unpleasant, doses.pattern, "#")
    return Analysed(
        original=text,
        norm=norm,
        masked=masked,
        unpleasant=unpleasant,
        offsets=offsets,
        present=present,
    )


def words_before(text: str, start: int, span: Span, n: int) -> list[str]:
    """The last ``n`` words of ``text`` between the sentence start and ``start``."""
    return _WORD.findall(text[span.start : start])[-n:]


#: "... and I'm getting anxious": a coordinated clause with its own subject ends the
#: scope; "no chest pain and shortness of breath" (no new subject) does not.
_NEW_CLAUSE = re.compile(
    r" (?:and|so|because|cause|'cause) "
    r"(?=(?:i|i'm|i've|he|he's|she|she's|they|they're|it's|now|then|we)\b)"
)


def _last_clause_start(region: str) -> int:
    last = -1
    for m in _NEW_CLAUSE.finditer(region):
        last = m.end() - 1
    return last


#: "don't know how many he took" negates the knowing, not what follows.
_NOT_A_NEGATION_AFTER = frozenset({"know", "sure", "remember", "understand"})


def is_negated(a: Analysed, start: int, negators: frozenset[str], window: int = 4) -> bool:
    """A negator among the few words before the match, inside its sentence.

    "no chest pain or anything", "I'm not worried", "nothing like that": the
    negator precedes the trigger within a short window and the same sentence.
    Contractions ("don't", "isn't") count through their "n't"; a comma ends the
    scope. Not negations:
    an interjection ("oh no, he can't breathe", "no, I'm scared") and a negated
    verb of knowing ("I don't know how many he took").
    """
    span = a.sentence_of(start)
    region = a.norm[span.start : start]
    # look a few characters past the match start: the new clause's subject may be
    # the first word of the match itself ("... and I'm getting anxious")
    ahead = a.norm[span.start : min(start + 12, span.end)]
    clause = _last_clause_start(ahead)
    cut = max(region.rfind(","), clause if clause < len(region) else -1)
    if cut >= 0:  # "I can't stop crying, I'm so afraid": scope ends at the comma
        region = region[cut + 1 :]
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


def negated_inside(a: Analysed, start: int, end: int, negators: frozenset[str]) -> bool:
    """A negator inside the matched words themselves ("I'm not really scared")."""
    for tok in _WORD.finditer(a.norm, start, end):
        w = tok.group()
        if w in negators or w.endswith("n't"):
            return True
    return False


def sentence_has(a: Analysed, start: int, pattern: Searcher | None) -> bool:
    if pattern is None:
        return False
    span = a.sentence_of(start)
    return pattern.search(a.norm, span.start, span.end, a.present) is not None


def before_in_sentence(a: Analysed, start: int, pattern: Searcher | None) -> bool:
    """``pattern`` occurs between the start of the match's sentence and the match."""
    if pattern is None:
        return False
    span = a.sentence_of(start)
    return pattern.search(a.norm, span.start, start, a.present) is not None


def looks_english(text: str) -> bool:
    """Crude guard: most letters are Latin and common English words occur.

    Non-English speech (or a recognizer's garbage) would otherwise be matched
    against English lexicons and raise nonsense; better to raise nothing.
    """
    if text.isascii():  # every ASCII letter is Latin: no need to count (hot path)
        return _LATIN.search(text) is not None
    letters = sum(1 for c in text if c.isalpha())
    if letters == 0:
        return False
    latin = len(_LATIN.findall(text))
    return latin / letters >= 0.8
