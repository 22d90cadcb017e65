"""Call-level context (the difficulty the agent inherited), inferred as the call goes.

One :class:`ContextTracker` per call; it is pure (no I/O, no clock) and cheap: every
final utterance of either speaker is matched against a few precompiled patterns, so
the whole engine keeps its budget of thousands of utterances per second.

    tracker = ContextTracker()
    for turn, utt in enumerate(final_utterances):
        changed = tracker.update(utt, turn, raised=frozenset(kinds_raised_so_far))
        if changed is not None:
            ...  # publish ContextChanged(changed)
    tracker.context    # the CallContext now
    tracker.evidence   # {field: (Evidence, ...)}: the words behind each field

The fields follow ``../shared/CUES.md``:

- ``arrival``: the caller's state in their first turns (the first two caller turns,
  a turn being a run of one speaker's utterances; calm unless the words, or the cues
  raised meanwhile, say otherwise). Frozen after that.
- ``departments``: departments, vendors and institutions involved in the issue, as
  said (lower-cased), one entry per department even if it is named two ways (the first
  way it was said wins: "prior auth" and "prior authorization" are one). Mentions that
  are routine rather than part of the issue ("bring your insurance card", "is your
  insurance still the same") do not count; the practice named in the agent's greeting
  counts only when it names a department ("... Cardiology, this is Maria") and not when
  a department follows it ("... Cardiology scheduling" counts scheduling only).
  Offered ("if you need us tonight, our nurse line is open"), negated ("nothing goes
  to collections"), another organisation's part ("their front desk") or a place ("meet
  her at the front desk") is not a department involved. Insurers by name and public
  payers count when they act in the issue ("Medicaid says they never got it").
- ``repeat_contact``: the caller contacted someone before and it failed or bounced.
- ``stakes``: care_access, medication, money, legal_rights, urgent_timing. Medication
  from the caller's words only (agents name medicines in instructions); a hint of
  care access (an authorization, "get him in today") is explained away by a
  medication stake or an emergency.
- ``resolvable``: ``None`` until the agent speaks, then ``True`` unless the agent can
  only explain a blockage owned by someone else (an insurer's pending review or denial,
  a separate company, a clinic that is full, a result only another office can discuss).
  Once false it stays false.
- ``heavy``: urgent risk or abuse raised (or the agent sending the caller to 911,
  asking about self-harm, pointing to a crisis line, setting a boundary or offering
  condolences), grief, a recent death, crying or bad news, or sustained distress
  (distress in two caller utterances; one distressed moment is not enough). The
  engine raises ``take_a_reset`` at the end of a call heavy here.

Evidence (``tracker.evidence``) maps a field to the spans that set it: keys
``arrival``, ``repeat_contact``, ``departments``, ``resolvable``, ``heavy`` and one
``stakes.<stake>`` per stake (``stakes.money``, ...), each a tuple of
:class:`~cues.types.Evidence` (utterance id, speaker, the matched words, times).
Cue kinds that set a field leave no span here: their own card carries the evidence.

The engine passes the cue kinds raised so far; they are used as corroborating signals
(``own_it`` means a repeat contact, ``urgent_risk`` means urgent timing and a heavy
call, ``validate_first`` in the first turns means an angry arrival, ...), but every
field is also inferred from the words alone, so the tracker works without an engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Final

from cues.gates import LiteralIndex, required_literals
from cues.types import Arrival, CallContext, Evidence, Stake
from transcription.types import Utterance

__all__ = [
    "ARRIVAL_WINDOW",
    "ContextEvidence",
    "ContextTracker",
    "Gated",
    "caller_state",
    "infer_context",
    "normalise",
]

#: Caller utterances that make up the "arrival" (the first turns).
ARRIVAL_WINDOW: Final = 2

ContextEvidence = Mapping[str, tuple[Evidence, ...]]
"""Field name -> the spans (utterance id, speaker, quote) that set it."""

_STAKE_ORDER: Final[tuple[Stake, ...]] = (
    "care_access",
    "medication",
    "money",
    "legal_rights",
    "urgent_timing",
)
_MAX_EVIDENCE: Final = 4  # per field: enough for the trainer UI, bounded memory


def normalise(text: str) -> str:
    """Lower-case, straight apostrophes, single spaces: what every pattern sees."""
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").lower().split())


class Gated:
    """A compiled pattern behind a cheap literal pre-check.

    Python's ``re`` tries every alternative at every position, so a pattern of twenty
    phrases costs tens of microseconds per utterance. Each alternative of a pattern
    needs at least one literal substring to match; those literals, read from the
    parsed pattern, gate it: the pattern runs only if one of them occurs. Same
    results as the pattern alone (the gate is only ever a necessary condition).

    Two ways to gate: ``search(text)`` uses this pattern's own literal regex;
    ``search(text, present)`` uses the literals found by one :func:`scan` of the text
    for every pattern at once (what the tracker does per utterance).
    """

    __slots__ = ("gate", "literals", "pattern")

    def __init__(self, pattern: str | re.Pattern[str], *, shared: bool = True) -> None:
        """``shared``: add the literals to the per-utterance :func:`scan` (the tracker's)."""
        self.pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        literals = required_literals(self.pattern.pattern)
        self.literals = frozenset(literals) if literals else None
        self.gate = (
            re.compile("|".join(re.escape(x) for x in sorted(literals, key=len, reverse=True)))
            if literals
            else None
        )
        if self.literals and shared:
            _LEXICON.add(self.literals)

    def _closed(self, text: str, present: frozenset[str] | None) -> bool:
        if self.literals is None:
            return False
        if present is None:
            return self.gate is not None and self.gate.search(text) is None
        return self.literals.isdisjoint(present)

    def search(self, text: str, present: frozenset[str] | None = None) -> re.Match[str] | None:
        if self._closed(text, present):
            return None
        return self.pattern.search(text)

    def finditer(self, text: str, present: frozenset[str] | None = None) -> Iterator[re.Match[str]]:
        if self._closed(text, present):
            return iter(())
        return self.pattern.finditer(text)


class _Lexicon:
    """Every gate literal of the tracker's patterns, found in one pass per utterance."""

    def __init__(self) -> None:
        self._literals: set[str] = set()
        self._index: LiteralIndex | None = None

    def add(self, literals: Iterable[str]) -> None:
        new = set(literals) - self._literals
        if new:
            self._literals |= new
            self._index = None  # rebuilt on next use

    def scan(self, text: str) -> frozenset[str]:
        """The gate literals that occur in ``text``."""
        if self._index is None:
            self._index = LiteralIndex(self._literals)
        return self._index.scan(text)


_LEXICON: Final = _Lexicon()


def scan(text: str) -> frozenset[str]:
    """The literals present in (normalised) ``text``, for ``Gated.search(text, present)``."""
    return _LEXICON.scan(text)


def _rx(*alternatives: str) -> Gated:
    return Gated("|".join(f"(?:{a})" for a in alternatives))


# A match is negated when a negator sits shortly before it in the same clause:
# "I'm not worried or anything", "no chest pain", "nothing like that".
_NEGATOR = re.compile(r"\b(?:not|no|never|nothing|without|nor)\b|n't\b")
_BREAKS = (".", ";", "!", "?", " but ", ", and ", ", so ")


def _negated(text: str, start: int, window: int = 28) -> bool:
    before = text[max(0, start - window) : start]
    cut = 0
    for b in _BREAKS:
        i = before.rfind(b)
        if i >= 0 and i + len(b) > cut:
            cut = i + len(b)
    if cut:
        before = before[cut:]
    return _NEGATOR.search(before) is not None


def _sentence_start(text: str, start: int) -> int:
    """Where the sentence holding ``text[start]`` begins."""
    return max(text.rfind(b, 0, start) for b in (".", "!", "?", ";")) + 1


def _in_if_clause(text: str, start: int) -> bool:
    """The match lies in a sentence that starts with "if" (a conditional offer)."""
    return text[_sentence_start(text, start) : start].lstrip().startswith("if ")


def _after_if(text: str, start: int) -> bool:
    """An "if" comes before the match in its sentence (advice for a case, not this one)."""
    return _IF.search(text, _sentence_start(text, start), start) is not None


_IF = re.compile(r"\b(?:if|in case|whenever)\b")


def _find(
    pattern: Gated,
    text: str,
    present: frozenset[str] | None = None,
    *,
    negatable: bool = True,
) -> re.Match[str] | None:
    """First match of ``pattern`` in ``text`` that is not negated."""
    for m in pattern.finditer(text, present):
        if not negatable or not _negated(text, m.start()):
            return m
    return None


# --------------------------------------------------------------------------- arrival

# a pregnancy loss, not one on the chart ("a miscarriage back in 2015", "I had a
# miscarriage last year around this time, so I'm scared")
_PREGNANCY_LOSS: Final = (
    r"\b(?:stillborn|miscarri(?:age|ed))\b"
    r"(?![^.?!]{0,25}\b(?:(?:19|20)\d\d|years ago|a long time ago|years back|last year"
    r"|last (?:spring|summer|fall|autumn|winter|time)|the year before|before (?:this|that|him|her)"
    r"|in the past|previously))"
)
_GRIEF: Final = (
    r"\bpassed (?:away|on)\b",
    r"\blost my (?:husband|wife|mom|mother|dad|father|son|daughter|child|baby|partner"
    r"|brother|sister)\b",
    r"\b(?:his|her|their) (?:death|funeral)\b",
    r"\bwidow(?:ed)?\b",
    r"\bbereave",
    r"\blost (?:the|my|our) (?:baby|pregnancy)\b",
    _PREGNANCY_LOSS,
)
# "He died" sets a grieving arrival in the first turns but does not make a call heavy
# later on: mid-call it is as often family history ("he died in his 40s"), and on the
# scripts it made no heavy call the rest did not (ACI-Bench: one ASR disagreement).
_DIED = (
    r"\b(?:he|she|they|husband|wife|mom|mother|dad|father|son|daughter) (?:just )?died\b"
    r"(?! (?:of|from|at|young|when|in (?:his|her|their|my|our) |in (?:19|20)\d\d))"
)
_GRIEF_ANY_TIME: Final = _rx(*_GRIEF)

_ARRIVAL_PATTERNS: Final[tuple[tuple[Arrival, float, Gated], ...]] = (
    ("grieving", 2.0, _rx(*_GRIEF, _DIED)),
    (
        "distressed",
        1.5,
        _rx(
            r"\bfreak(?:ing|ed) out\b",
            r"\b(?:i'm|i am) (?:crying|sobbing|in tears|falling apart|desperate|panicking)\b",
            r"\b(?:can't stop|been|keep|started) crying\b",
            r"\b(?:losing it|losing my mind|panic attacks?)\b",
            r"\b(?:in|still in) (?:total |complete )?shock\b",
            r"\b(?:i )?don't know (?:what to do|who to believe|who else to call)\b",
            r"\bcan't (?:take|do) (?:this|it) anymore\b",
            r"\bplease (?:help|tell me)\b",
            r"\bbreaking down\b",
            r"\bis (?:he|she) (?:gonna|going to) die\b",
        ),
    ),
    (
        "distressed",
        0.6,
        _rx(r"\boh (?:my )?god\b", r"\bpanic(?:ked|king)?\b"),
    ),
    (
        "angry",
        1.5,
        _rx(
            r"\bfurious\b",
            r"\blivid\b",
            r"\bpissed\b",
            r"\bridiculous\b",
            r"\boutrageous\b",
            r"\bunacceptable\b",
            r"\bgarbage\b",
            r"\bscam\b",
            r"\bsick (?:and tired )?of (?:this|it|being|having|calling|dealing|chasing)\b",
            r"\bso (?:done|fed up)\b",
            r"\bfed up\b",
            r"\byou people\b",
            r"\bwhat the hell\b",
            r"\b(?:i'm|i am) (?:so |really |very )?(?:angry|mad)\b",
            r"\bmake it quick\b",
            r"\bincompetent\b",
            r"\b(?:idiots?|stupid|morons?|crooks|thieves|clowns|pathetic)\b",
            r"\b(?:i'm|i am) (?:\w+ )?(?:annoyed|irritated|aggravated|frustrated)\b",
            r"\brip(?:ping)? (?:me|us|people) off\b|\brip-?off\b",
            r"\buseless\b",
            r"\b(?:this|it)(?:'s| is) a joke\b",
            r"\bthe runaround\b",
        ),
    ),
    (
        "overwhelmed",
        1.5,
        _rx(
            r"\boverwhelm",
            r"\btoo much\b",
            r"\bhead(?:'s| is) (?:spinning|swimming)\b",
            r"\bdon't (?:even )?know where to (?:start|begin)\b",
            r"\bcan't (?:keep track|keep up|juggle|keep (?:\w+ ){0,3}straight)",
            r"\bone thing after another\b",
            r"\bdrowning\b",
            r"\ball at once\b",
            r"\bcan't (?:think straight|handle all)",
        ),
    ),
    (
        "anxious",
        1.2,
        _rx(
            r"\b(?:worried|scared|afraid|nervous|anxious|frightened|terrified|petrified)\b",
            r"\bthinking the worst\b",
            r"\b(?:a|an absolute|a total) (?:wreck|mess)\b",
            r"\b(?:hands are|i'm) (?:literally )?shaking\b",
            r"\bconvinced (?:i|he|she|it) (?:have|has|is)\b",
            r"\bhaven't slept\b",
            r"\b(?:i'm|i am|i feel) (?:so |really |just )?(?:shaky|on edge|sick with worry)\b",
            r"\bi (?:can't|cannot) (?:afford|pay) (?:this|that|it|\$|\d|\w+ hundred|\w+ thousand)",
            r"\bnot acting right\b",
            r"\bsomething(?:'s| is) (?:really )?wrong\b",
            r"\bwhat does (?:that|this|it) mean\b",
            r"\bis (?:that|it|this) bad\b",
            r"\bfreaked\b",
        ),
    ),
)
# Ties go to the first in this order (the more specific state wins).
_ARRIVAL_PRIORITY: Final[tuple[Arrival, ...]] = (
    "grieving",
    "distressed",
    "angry",
    "overwhelmed",
    "anxious",
)
# Cue kinds that, raised during the arrival window, speak for a state.
_ARRIVAL_FROM_CUES: Final[dict[str, Arrival]] = {
    "validate_first": "angry",
    "abuse": "angry",
    "offer_choice": "overwhelmed",
    "orient": "anxious",
}

# ------------------------------------------------------------------- repeat contact

_REPEAT_CALLER = _rx(
    r"\b(?:this is|it's|that's|this'll be) (?:my|the|like the) (?:second|third|fourth|fifth|"
    r"sixth|2nd|3rd|4th|5th|\w+teenth|umpteenth|nth) (?:time|call)\b",
    r"\bi(?:'ve| have)? (?:already )?called (?:you|here|them|you guys|back|before|twice|"
    r"yesterday|last week|this morning|on \w+day|\w+day|the |your |their |three times|"
    r"four times|so many|like|again)",
    r"\b(?:called|calling|been calling) (?:\w+ ){0,3}(?:twice|times|again)\b",
    r"\b(?:me|i'm|i am) calling (?:again|back)\b",
    r"\b(?:last|other) (?:person|lady|guy|agent|rep|girl|woman|man|one) (?:i )?"
    r"(?:talked|spoke)",
    r"\b(?:said|told me|promised) (?:\w+ ){0,3}\w*(?: would|'d| will| was going to| were "
    r"going to|'ve| had| already) (?:call|get back|reach out|fix|send|sent|resend|faxed|fixed|"
    r"take care|taken care)",
    r"\bon the phone (?:all|for) (?:week|day|morning|hours|two hours|three hours)\b",
    r"\b(?:been )?trying to (?:reach|get (?:a )?hold of) (?:someone|somebody|anyone|you)\b",
    r"\bnobody (?:ever )?(?:calls|called|gets|got) (?:me )?back\b",
    r"\b(?:said|told me) (?:\w+ ){0,3}(?:it|they|she|he)(?:'d| had| was| were)? (?:shipped|"
    r"mailed|faxed|sent|resent|approved)\b",
    r"\b(?:keeps?|kept) (?:sending|bouncing|transferring|passing) (?:me|us)\b",
    r"\b(?:sent|bounced|transferred|passed) (?:me|us) (?:back|around|over) (?:to|and)\b",
    r"\btold me to call (?:you|insurance|them|here|back|the)\b",
    r"\bback and forth\b",
    r"\bplaying telephone\b",
    r"\bnobody (?:ever )?(?:called|got back to) me back\b",
    r"\bstill (?:haven't|hasn't|have not) (?:heard back|gotten a call back)\b",
)
_REPEAT_AGENT = _rx(
    r"\byou(?:'ve| have)? (?:already )?called (?:before|last week|yesterday|twice|\w+ times)",
    r"\b(?:two|three|four|several) times you've been\b",
    r"\bsorry (?:you've|you have) had to call (?:again|back)\b",
)

# --------------------------------------------------------------------------- stakes

_MED_WORDS = (
    r"refills?|prescriptions?|prescribed|pills?|meds\b|medications?|medicines?|inhaler|"
    r"insulin|milligrams?|micrograms?|\d+ ?mg\b|dose|doses|dosage|puffs?|tablets?|"
    r"pharmacy|pharmacist|generic|(?:eye )?drops|pens?|injections?|patch(?:es)?|vials?"
)
# A small formulary of commonly named drugs; suffixes catch most of the rest.
_DRUG_NAMES = (
    r"metformin|lisinopril|amlodipine|atorvastatin|simvastatin|rosuvastatin|levothyroxine|"
    r"synthroid|sertraline|zoloft|fluoxetine|prozac|escitalopram|lexapro|citalopram|"
    r"bupropion|wellbutrin|trazodone|gabapentin|prednisone|amoxicillin|augmentin|"
    r"azithromycin|ibuprofen|acetaminophen|tylenol|insulin|ozempic|wegovy|mounjaro|"
    r"jardiance|januvia|eliquis|xarelto|warfarin|coumadin|brilinta|plavix|clopidogrel|"
    r"metoprolol|losartan|hydrochlorothiazide|furosemide|albuterol|symbicort|advair|"
    r"breyna|humira|amjevita|enbrel|stelara|adderall|ritalin|omeprazole|pantoprazole|"
    r"lantus|humalog|novolog|basaglar|tresiba|levemir|trulicity|victoza|farxiga|"
    r"tacrolimus|prograf|cyclosporine|mycophenolate|cellcept|heparin|lovenox|digoxin|"
    r"amiodarone|levetiracetam|keppra|phenytoin|carbamazepine|depakote|topiramate|"
    r"sumatriptan|hydroxychloroquine|plaquenil|biktarvy|truvada|methadone|dupixent|"
    r"xolair|nucala|rhopressa|latanoprost|timolol|"
    r"buspirone|buspar|hydroxyzine|alprazolam|xanax|clonazepam|klonopin|lorazepam|ativan|"
    r"quetiapine|seroquel|aripiprazole|abilify|lamotrigine|lamictal|lithium|venlafaxine|"
    r"effexor|duloxetine|cymbalta|mirtazapine|hydrocodone|tramadol|methotrexate|"
    r"spironolactone|tamsulosin|finasteride|estradiol|progesterone|norethindrone|"
    r"birth control|nitroglycerin|suboxone|buprenorphine|naloxone|narcan|"
    r"montelukast|singulair|lipitor|crestor|zyrtec|claritin|benadryl|epipen|"
    r"\w+(?:cillin|mycin|pril|olol|sartan|statin|prazole|oxetine|azepam|tidine|formin|"
    r"gliptin|flozin|glutide|mab|nib|afil)"
)
_MED_ACCESS = _rx(
    r"\b(?:refills?|prescriptions?)\b",
    r"\b(?:i'm|i am|we're|he's|she's) (?:all |completely )?out of (?:my |his |her )?(?:"
    + _MED_WORDS
    + "|"
    + _DRUG_NAMES
    + r")",
    r"\b(?:need|get|send|pick up|picked up|fill|renew|switch|afford|change|about) "
    r"(?:\w+ ){0,2}(?:my|his|her|their|our) (?:\w+ ){0,2}(?:pills?|meds|medications?|"
    r"medicines?|inhaler|insulin|prescriptions?)\b",
    r"\b(?:my|his|her|their|our) (?:\w+ ){0,2}(?:pills?|meds|medications?|medicines?|inhaler|"
    r"insulin|prescriptions?) (?:sent|refilled|filled|called in|renewed|got denied|is denied|"
    r"ran out|costs?)\b",
    r"\b(?:take|taking|took|skip|skipping|stop|stopping|stretch|cut back|double up|switch|"
    r"switching|started|start) (?:\w+ ){0,3}(?:" + _MED_WORDS + "|" + _DRUG_NAMES + r")",
    r"\b(?:" + _DRUG_NAMES + r")\b.{0,40}\b(?:denied|cost|price|expensive|refill|dose|"
    r"twice a day|once a day|a day|strength|label|covered|sent in|sent over|ship|shipped|"
    r"shipment|delivery|backorder|back order|levels?)",
    r"\b(?:my|his|her|the) (?:next )?dose is due\b",
    r"\b(?:i'm|i am|we're) (?:at|standing at|in line at) the pharmacy\b",
    r"\b(?:copay|co-pay|savings|discount) card\b",
    r"\b(?:won't|wouldn't|can't|couldn't|refused to|will not) (?:re)?fill\b",
    r"\b(?:dose|dosage) (?:needs to|may need to|might need to|has to) (?:change|go up|go down)\b",
    r"\bcan i just (?:do|take|stay on|stick with|use) (?:the )?(?:" + _DRUG_NAMES + r")\b",
    r"\b(?:wrong|different) (?:strength|dose|dosage|pill|medication)\b",
    r"\b(?:run|running|ran) out of (?:my )?(?:" + _MED_WORDS + "|" + _DRUG_NAMES + r")",
    r"\bdo i (?:really |actually )?need (?:to take )?(?:all|both|that one|this one|"
    r"all (?:of )?(?:these|those|them))\b",
    r"\b(?:hold|holding) (?:the )?next dose\b",
    r"\b(?:take|do|use|inject) (?:it|them|that|those|my \w+) (?:every other|once a|twice a|"
    r"half)\b",
    r"\b\d+ units\b",
)
_MONEY = _rx(
    r"\$\s?\d",
    r"\b\d[\d,.]* (?:dollars|bucks)\b",
    r"\b(?:hundred|thousand|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)"
    r"(?:[- ]\w+)? (?:dollars|bucks)\b",
    r"\b(?:expensive|afford|pricey|cost(?:s|ing)? (?:me|us|a lot|too much)|copays?|"
    r"co-pays?|deductible|out of pocket|payment plan|collections?|balance due|"
    r"surprise bill|a bill for|billed (?:me|us)|financial assistance|assistance program|"
    r"savings card|fixed income|overcharged|charged (?:me|us|twice))\b",
    r"\b(?:the|this|that|a|my|its|their|what) (?:price|cost)\b|\b(?:price|cost) of\b",
    r"\bhow much (?:does|will|is|would) (?:it|that|this)\b",
)
_LEGAL = _rx(
    r"\blawyer|attorney|legal\b|\bcourt\b",
    r"\b(?:my|his|her|the|a|your|disability|court|appeals?) hearing\b(?! aid)",
    r"\bhearing(?:'s| is) (?:on|in|scheduled|next)\b",
    r"\bsocial security|\bdisability (?:claim|hearing|case|benefits)\b",
    r"\bno surprises act\b|\bsurprise billing law\b|\bpatient rights?\b|\byour rights\b",
    r"\bfile (?:a )?(?:complaint|grievance)\b|\bgrievance\b",
    r"\bpower of attorney\b|\bguardian(?:ship)?\b|\bsubpoena\b|\bestate\b|\bexecutor\b",
    r"\bdeath certificate\b|\bfuneral home needs\b|\bsigned by (?:his|her|the) doctor\b",
    r"\brelease (?:form|of information)\b|\brecords request\b|\bfmla\b|\bworkers'? comp",
    r"\bhipaa (?:violation|complaint|breach)\b|\bprotected by\b",
    r"\b(?:lose|losing|waive|keep) (?:the|my|your|his|her) right\b",
    r"\bright to (?:appeal|a hearing|request|dispute|a copy)\b",
)
_URGENT_TIMING = _rx(
    r"\b(?:one|only one|my last|the last) (?:pen|dose|shot|pill|injection|vial|syringe) left\b",
    r"\b(?:next )?(?:shot|dose|injection|infusion|chemo|treatment|surgery|hearing|transplant)"
    r"(?:'s| is)? (?:due |scheduled )?(?:on|this|tomorrow|thursday|monday|tuesday|wednesday|"
    r"friday|saturday|sunday|in \w+ days?)\b",
    r"\b(?:chemo|treatment|infusion|surgery|dialysis)\b.{0,60}\bon hold\b",
    r"\bon hold\b.{0,60}\b(?:chemo|treatment|infusion|surgery|dialysis)\b",
    r"\bdeadline\b",
    r"\b(?:a|one|two|three|half a) days?(?:'s)?(?: of \w+)? (?:left|worth)\b",
    r"\bcould lose (?:my|this|the|his|her) (?:kidney|transplant|liver|heart|leg|foot|eye|"
    r"vision|sight|baby|pregnancy)\b",
    r"\b(?:marking|mark|flag|flagging) (?:it|this) (?:as )?urgent\b",
    r"\burgent (?:review|appeal|request)\b",
)
# The agent sending the caller to emergency care now (not "if it gets worse, call 911").
_EMERGENCY_AGENT = _rx(
    r"\b(?:need you to|hang up and|please|go|you need to|you should) call (?:911|9-1-1)\b",
    r"\bcall (?:911|9-1-1) (?:right )?now\b",
    r"\bthis is an emergency\b",
    r"\b(?:go|get) (?:straight )?to the (?:er|emergency room|emergency department) "
    r"(?:right )?now\b",
    r"\bsigns of a (?:stroke|heart attack)\b",
)
# The agent setting a boundary with an abusive caller.
_BOUNDARY_AGENT = _rx(
    r"\bi'm not going to be (?:talked|spoken) to like that\b",
    r"\b(?:threats|name-calling|that language|that kind of language) (?:is|are) not "
    r"(?:okay|acceptable)\b",
    r"\bi need you to stop (?:the )?(?:name-calling|swearing|yelling|threatening)\b",
    r"\bif (?:that|it) (?:happens|keeps up|continues)(?: again)?,? i(?:'ll| will) end the call\b",
    r"\b(?:keep|leave) (?:the|your) (?:insults|name-calling|language|personal comments|comments)"
    r" out of (?:it|this)\b",
    r"\b(?:stop|not to|please don't|don't) (?:call(?:ing)? me (?:names|a )|comment(?:ing)? on "
    r"(?:how i|my)|insult(?:ing)? me|swear(?:ing)? at me|curs(?:e|ing) at me|threaten(?:ing)? me)",
    r"\b(?:that's|that is|that was) (?:a threat|threatening|harassment|sexual harassment)\b",
    r"\b(?:i'm|i am|i'll be|i will be|i'm going to be) (?:ending|disconnecting|terminating) "
    r"(?:this|the|our) call\b",
    r"\b(?:i|we) (?:won't|will not|do not|don't) (?:take|accept|tolerate) being\b",
    r"\bi won't be (?:spoken|talked) to\b",
    r"\bsecurity (?:team )?(?:will be|has been|is being) (?:told|notified|informed|alerted)\b",
)
# The agent asking about, or answering, a risk of self-harm (the caller hinted it).
_SAFETY_AGENT = _rx(
    r"\b(?:thoughts?|thinking|thought) (?:of|about) (?:hurting|harming|killing|ending) "
    r"(?:yourself|himself|herself|themselves|your life|his life|her life|their life|it all)\b",
    r"\bare you (?:safe|somewhere safe)(?: right now| at the moment| where you are)?\?",
    r"\b(?:call|text|dial|calling|texting) (?:or text |or call )?988\b",
    r"\b(?:suicide|crisis) (?:and crisis )?(?:line|lifeline|hotline|counsel(?:l)?or|team)\b",
    r"\b(?:can be|could be|are|those are) (?:warning|serious) signs\b",
    r"\bstay on the line with me\b",
)
_CARE_ACCESS = _rx(
    r"\breferr(?:al|ed|ing)\b",
    r"\bwait ?list\b|\bwaiting list\b",
    r"\bnot (?:accepting|taking) new patients\b",
    r"\b(?:scan|mri|ct|biopsy|ultrasound|x-ray|echo|stress test|colonoscopy|mammogram|"
    r"results?|therapy|therapist|session|surgery|procedure|treatment|chemo|appointment|"
    r"wheelchair|equipment|device|supplies|cpap|hearing aids?)\b"
    r".{0,80}\b(?:on hold|cancel(?:led|ed)?|put off|push(?:ed)? (?:it )?(?:out|back)|"
    r"postpone|move it|skip|pending|haven't heard|waiting)",
    r"\b(?:first|new patient) (?:checkup|visit|appointment)\b",
    r"\bwants? me to (?:get|have|do) (?:a|an|my) (?:\w+ ){0,2}(?:test|scan|mri|echo|"
    r"ultrasound|biopsy|screening|colonoscopy)\b",
    r"\b(?:haven't|have not) (?:heard|gotten) (?:a single thing|anything|my results|back)\b",
    r"\bcan't (?:even )?(?:book|schedule|get (?:an )?appointment)\b",
    r"\b(?:used up|ran out of|run out of|out of) (?:my |all (?:of )?my )?(?:\w+ )?(?:visits|"
    r"sessions)\b",
    r"\bwon't (?:pay|cover) (?:for )?(?:any )?(?:more|the rest)\b",
    r"\b(?:surgery|procedure|scan|mri|ct|test|treatment|referral|therapy|operation) (?:got |was |"
    r"has been |is )?(?:denied|rejected|refused)\b",
    r"\b(?:oxygen|equipment|supplies|wheelchair|cpap|walker|delivery)\b.{0,60}\b(?:never "
    r"(?:showed|came|arrived)|didn't (?:come|show|arrive)|hasn't (?:come|arrived))",
    r"\b(?:missed|missing|miss) (?:\w+ ){0,2}(?:sessions?|appointments?|treatments?|dialysis|"
    r"chemo|infusions?|therap(?:y|ies))\b",
    r"\b(?:study|test|scan|procedure|surgery|visit)\b.{0,60}\b(?:called off|was off|"
    r"got cancelled|was cancelled|fell through)\b",
)
# Care access only when nothing else explains it: an authorization for a drug is a
# medication stake, and "get him in today" in an emergency is urgent timing.
_CARE_WEAK = _rx(
    r"\binterpreters?\b",
    r"\b(?:hasn't|hadn't|haven't|isn't|wasn't|not) (?:been |yet )?(?:approved|okayed|"
    r"authorized|cleared)\b",
    r"\b(?:prior )?auth(?:orization)?s?\b",
    r"\b(?:get|got|bring) (?:him|her|me|them|my \w+) in (?:today|this week|to see|for)\b",
)
_STAKE_CHECKS: Final[tuple[tuple[Stake, Gated], ...]] = (
    ("medication", _MED_ACCESS),
    ("money", _MONEY),
    ("legal_rights", _LEGAL),
    ("urgent_timing", _URGENT_TIMING),
    ("care_access", _CARE_ACCESS),
)
# Cue kinds that speak for a stake.
_STAKES_FROM_CUES: Final[dict[str, Stake]] = {
    "urgent_risk": "urgent_timing",
    "subtext_fear": "care_access",
    "subtext_cost": "money",
}

# ---------------------------------------------------------------------- resolvable

_BLOCK_STRONG = _rx(
    r"\bseparate (?:company|practice|organization|group|entity|business)\b",
    r"\b(?:no way|nothing) (?:for us to|(?:that )?we can do|(?:that )?i can do)\b",
    r"\bout of (?:our|my) hands\b",
    r"\b(?:pending|sitting) (?:with|at|on) (?:your|the) (?:insurance|plan|insurer|carrier)\b",
    r"\bwaiting (?:on|for) (?:your|the) (?:insurance|plan|insurer|carrier)\b",
    r"\b(?:your|the) (?:plan|insurance|insurer|carrier)(?:, [\w ]+,)? (?:switched|won't|"
    r"will not|doesn't|does not|denied|needs|requires|changed|has to|is reviewing)\b",
    r"\b(?:we're|we are|we aren't|we're not) (?:not )?(?:accepting|taking) new patients\b",
    r"\bnot (?:accepting|taking) new (?:patients|referrals)\b",
    r"\b(?:i'm|i am) (?:just |only )?on the (?:\w+ )?side\b",
    r"\bonly (?:they|the insurance|your insurance|your plan) can\b",
    r"\bit's (?:still )?pending\b",
    r"\b(?:hold-?up|delay|problem|issue|blockage|ball|decision)(?:'s| is) (?:on|in|with) "
    r"(?:their|the \w+'s) (?:side|end|court)\b",
    r"\b(?:it's|it is) (?:up to|with) (?:them|the insurance|your insurance|your plan|medicaid|"
    r"medicare)\b",
    r"\b(?:i|we) (?:can't|cannot) (?:approve|override|authorize|waive) (?:it|that|this)\b",
    r"\bsitting with (?:their|the|your) (?:review|insurance|insurer|plan)\b",
    r"\b(?:it's|it is) (?:\w+'s|their|your plan's|your insurance's) (?:call|decision)\b",
    r"\bnot (?:up to us|our (?:call|decision))\b",
    r"\b(?:your|the) (?:plan|insurance|insurer)(?: does)? (?:caps?|limits?|only covers?|doesn't "
    r"cover|won't cover)\b",
)
_BLOCK_WEAK = _rx(
    r"\b(?:i|we)(?: can't| cannot| am not able to|'m not able to| aren't able to|'re not able "
    r"to| are not able to) (?:interpret|read|explain|discuss|go over|tell you what)\b",
    r"\b(?:dr\.? \w+|she|he|they|your doctor) (?:has|have|needs?) to (?:go over|review|discuss|"
    r"decide|approve|sign off)\b",
    r"\b(?:is|'s) the one (?:who|that)(?:'ll| will)? (?:goes|go|can|has to|needs to)\b",
    r"\bthe (?:person|people|one) who can\b",
    r"\b(?:i|we) (?:don't have access|can't see (?:the|your) (?:results|notes))\b",
)
_HANDOFF = _rx(
    r"\b(?:i'm|i am) (?:sending|forwarding|passing|messaging|escalating|transferring)\b",
    r"\b(?:i'll|i will|i'm going to|let me) (?:send|put in|forward|pass|message|escalate|"
    r"transfer|submit)\b",
    r"\b(?:they|she|he|someone|somebody)(?:'ll| will| should) (?:call|get back to|reach out)",
)

# --------------------------------------------------------------------------- heavy

_HEAVY_CALLER = _rx(
    r"\b(?:i'm|i am) (?:crying|sobbing|in tears|falling apart)\b",
    r"\bsorry,? i'm crying\b",
    r"\bcan't stop crying\b",
    r"\bcan't (?:take|do) (?:this|it) anymore\b",
    r"\bso tired of fighting\b",
    r"\b(?:been|keep|started) crying\b",
    # end of life and loss: heavy whatever the tone
    r"\b(?:time for|going (?:on|into)|starting|enroll(?:ing)? in) hospice\b",
    # ... not "he's dying of embarrassment", nor "Dr. Google says I have three weeks to live, ha"
    r"\b(?:is|he's|she's) dying\b(?! to\b| of (?:embarrassment|laughter|boredom|curiosity)\b)"
    # "terminal" of an illness, not of a place ("I drive grain to the terminal")
    r"|\bterminal(?:ly)?(?= (?:ill|cancer|illness|diagnosis|condition|stage|prognosis|disease)\b)"
    r"|\b(?:is|it's|he's|she's|was|now|said|being|as) terminal\b|\bend of life\b",
    r"\b(?:weeks|months|days) to live\b(?![,.!]?\s*(?:ha|haha|lol|lmao)\b)",
    _PREGNANCY_LOSS,
    # a recent death of someone close, dated but not long ago ("she passed on saturday",
    # "my husband passed in september"; not "died of a heart attack in 2015")
    r"\b(?:he|she|my (?:husband|wife|son|daughter|mother|father|mom|mum|dad|partner|baby|"
    r"child|brother|sister)) (?:just |recently )?(?:passed(?: away| on)?|died)"
    r" (?:on|in|last|this|over the) (?:monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|the \w+|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|week|weekend|night|month|morning)\b(?![ ,]*(?:19|20)\d\d)",
    # bad news the caller just got ("the biopsy showed lymphoma"), not a fear of it
    r"\b(?:biopsy|scan|results?|tests?|mri|ct|pathology) (?:showed|shows|came back|found|"
    r"confirmed) (?:\w+ ){0,2}(?:cancer|lymphoma|leukemia|tumou?r|malignan\w*|melanoma|"
    r"carcinoma|sarcoma|metasta\w*)",
    r"\b(?:diagnosed|told me) (?:\w+ ){0,4}(?:cancer|lymphoma|leukemia|malignan\w*|"
    r"melanoma|carcinoma|sarcoma|metasta\w*|als|dementia|alzheimer's)\b",
)
_BAD_NEWS_AGENT = _rx(
    # ... unless what follows is a coverage or scheduling no ("sorry to say the plan
    # doesn't cover hearing aids"): explain_the_no's business, not bad news
    r"\b(?:i'm|i am) (?:so )?sorry to (?:tell|have to tell|say|inform)\b(?![^.?!]{0,60}\b(?:not"
    r" covered|isn't covered|doesn't cover|won't cover|don't cover|denied|declined|out of"
    r" network|out-of-network|can't|cannot|won't be able|no (?:appointments|openings)|fully"
    r" booked|waitlist|wait list|deductible|copay|co-pay|balance|bill)\b)",
    r"\bsorry for your loss\b",
    r"\b(?:my|our) (?:deepest |sincere |sincerest )?condolences\b",
    r"\bsorry you (?:found|had to find) out (?:this|that) way\b",
    r"\b(?:results?|biopsy|scan) (?:show|showed|came back) (?:\w+ ){0,2}(?:cancer|malignan)",
    r"\bpassed away\b",
)
_HEAVY_KINDS: Final = frozenset({"urgent_risk", "abuse", "take_a_reset"})

# --------------------------------------------------------------------- departments


@dataclass(frozen=True, slots=True)
class _Dept:
    key: str  # one department however it is said
    display: str | None  # the canonical name; None = as said
    pattern: Gated
    specialty: bool = False  # a practice's specialty (dropped from a greeting with a dept)
    # Said only as a practice's name in the greeting ("Summit Physical Therapy, this is
    # Ellie"); elsewhere the words are the care itself ("the physical therapy, all of it").
    greeting: Gated | None = None


def _dept(
    key: str,
    display: str | None,
    *alts: str,
    specialty: bool = False,
    greeting: tuple[str, ...] = (),
) -> _Dept:
    return _Dept(
        key,
        display,
        Gated(r"\b(?:" + "|".join(alts) + r")\b"),
        specialty,
        Gated(r"\b(?:" + "|".join(greeting) + r")\b") if greeting else None,
    )


_DEPARTMENTS: Final[tuple[_Dept, ...]] = (
    _dept(
        "patient financial services", "patient financial services", r"patient financial services"
    ),
    _dept("financial counselor", "financial counselor", r"financial counsel(?:l)?(?:or|ors|ing)"),
    _dept("billing", "billing", r"billing(?: (?:department|office|team))?"),
    _dept("claims", "claims", r"claims (?:team|department|office|people|processing)"),
    _dept(
        "collections",
        "collections",
        r"collections?(?= (?:agency|letter|department|notice))",
        r"collections",
        r"(?:sent|went) (?:it |me |this )?to collection",
    ),
    _dept("prior authorization", None, r"prior auth(?:orization)?"),
    _dept(
        "authorization",
        "authorization",
        r"(?<!prior )(?:authorization|auth) (?:team|department|people|office|desk|line|folks)",
    ),
    _dept("scheduling", "scheduling", r"scheduling"),
    _dept(
        "pharmacy",
        "pharmacy",
        r"pharmac(?:y|ies|ist|ists)",
        r"refill line",
        r"walgreens",
        r"cvs",
        r"rite aid",
    ),
    _dept("specialty pharmacy", "specialty pharmacy", r"specialty pharmacy"),
    _dept("mail-order pharmacy", None, r"mail[- ]order pharmacy"),
    _dept(
        "referrals",
        None,
        r"referrals(?! to)",
        r"referral (?:department|office|team|desk|line|coordinator)",
    ),
    # "their front desk", "Apex's intake line": a part of another organisation.
    _dept("intake", "intake", r"(?<!their )(?<!'s )intake"),
    # ... and "meet her at the front desk" is a place, not a party to the issue.
    _dept("front desk", "front desk", r"(?<!their )(?<!'s )(?<!at the )(?<!at our )front desk"),
    _dept("nurse line", "nurse line", r"nurse (?:advice |triage )?line", r"triage line"),
    _dept(
        "health information management",
        None,
        r"health information management",
        r"medical records(?: department| office)?",
    ),
    _dept("portal", "portal", r"portal (?:help ?desk|support|team|help line)"),
    # "lab" the department, not "my lab results" / "lab work" (tests), but "lab results line".
    _dept(
        "lab",
        "lab",
        r"lab(?:oratory)?(?!s\b)(?! (?:results?|work|tests?|draws?|values?|reports?)\b(?! line))",
    ),
    _dept(
        "imaging",
        "imaging",
        r"imaging(?! (?:reports?|results?|stud(?:y|ies)|orders?))",
        specialty=True,
    ),
    _dept("radiology", "radiology", r"radiology", r"radiologists?"),
    _dept("pathology", "pathology", r"pathology"),
    _dept("infusion center", "infusion center", r"infusion (?:center|centre|suite|clinic)"),
    _dept("cardiac rehab", "cardiac rehab", r"cardiac rehab(?:ilitation)?"),
    _dept("hospice", "hospice", r"hospice"),
    _dept("funeral home", "funeral home", r"funeral home"),
    _dept(
        "anesthesia group",
        "anesthesia group",
        r"anesthesia (?:group|practice|partners|company|associates)",
    ),
    _dept("medicare part d", "medicare part d", r"(?:medicare )?part d"),
    _dept("dental", "dental", r"dental"),
    _dept("case management", None, r"case management", r"social work(?:er)?s?"),
    _dept("patient accounts", None, r"patient accounts?", r"business office"),
    _dept("privacy office", "privacy office", r"privacy (?:office|officer|team|department)"),
    _dept("poison control", "poison control", r"poison control"),
    _dept("appeals", None, r"appeals? (?:coordinator|department|team|office|unit)"),
    _dept(
        "navigator",
        None,
        r"(?:nurse|patient) navigators?",
        r"care (?:coordinator|coordination|manager|management)",
    ),
    _dept(
        "interpreter services",
        "interpreter services",
        r"interpret(?:er|ing|ation) (?:services|department|office|team)",
        r"language services",
    ),
    _dept(
        "transportation",
        None,
        r"(?:transportation|transport|ride|van|ambulance) (?:company|service|services|vendor|"
        r"provider|contractor)",
        r"medical transport(?:ation)?",
    ),
    _dept(
        "medical supply",
        None,
        r"(?:medical supply|dme|equipment|home health|home infusion|oxygen) (?:company|vendor|"
        r"supplier|provider|agency)",
    ),
    _dept("sleep center", None, r"sleep (?:center|centre|lab|clinic|medicine)"),
    _dept("registration", "registration", r"registration", r"admissions? (?:office|desk)"),
    _dept("member services", None, r"member services", r"customer service"),
    _dept("patient advocate", None, r"patient (?:advocate|advocacy|relations)"),
    _dept("utilization review", None, r"utilization review"),
    _dept("cardiology", "cardiology", r"cardiology", r"cardiologists?", specialty=True),
    _dept(
        "transplant",
        "transplant",
        r"transplant (?:center|team|clinic|program|office|coordinator)",
        specialty=True,
        greeting=(r"transplant",),
    ),
    _dept(
        "obstetrics",
        None,
        r"obstetrics",
        r"ob[- /]?gyn",
        r"obstetricians?",
        r"labor and delivery",
        r"maternal[- ]fetal medicine",
        specialty=True,
    ),
    _dept("gynecology", "gynecology", r"gynecology", r"gynecologists?", specialty=True),
    _dept(
        "otolaryngology",
        None,
        r"otolaryngology",
        r"ent (?:clinic|office|department)",
        specialty=True,
    ),
    _dept("audiology", "audiology", r"audiology", r"audiologists?", specialty=True),
    _dept("ophthalmology", "ophthalmology", r"ophthalmology", r"ophthalmologists?", specialty=True),
    _dept("optometry", "optometry", r"optometry", r"optometrists?", specialty=True),
    _dept(
        "allergy",
        None,
        r"allergy(?: and immunology| clinic| office| department)",
        r"allergists?",
        specialty=True,
        greeting=(r"allergy(?: and (?:asthma|immunology))?",),
    ),
    _dept("dermatology", "dermatology", r"dermatology", r"dermatologists?", specialty=True),
    _dept("podiatry", "podiatry", r"podiatry", r"podiatrists?", specialty=True),
    _dept("pulmonary", "pulmonary", r"pulmonary(?! rehab)", r"pulmonologists?", specialty=True),
    _dept("oncology", "oncology", r"oncology", r"oncologists?", specialty=True),
    _dept(
        "gastroenterology",
        "gastroenterology",
        r"gastroenterology",
        r"gastroenterologists?",
        specialty=True,
    ),
    _dept("neurology", "neurology", r"neurology", r"neurologists?", specialty=True),
    _dept("orthopedics", "orthopedics", r"orthopedics", r"orthopaedics", specialty=True),
    _dept("urology", "urology", r"urology", r"urologists?", specialty=True),
    _dept("endocrinology", "endocrinology", r"endocrinology", r"endocrinologists?", specialty=True),
    _dept("nephrology", "nephrology", r"nephrology", r"nephrologists?", specialty=True),
    _dept("rheumatology", "rheumatology", r"rheumatology", r"rheumatologists?", specialty=True),
    _dept(
        "physical therapy",
        "physical therapy",
        r"physical therapy (?:department|office|clinic)",
        specialty=True,
        greeting=(r"physical therapy",),
    ),
)
# "Insurance" is involved when it acts in the issue, not when it is routine admin.


# Which departments a literal can open: only those are tried (dozens of calls saved).
def _index_departments() -> tuple[dict[str, frozenset[int]], frozenset[int]]:
    by_literal: dict[str, set[int]] = {}
    always: set[int] = set()
    for i, dept in enumerate(_DEPARTMENTS):
        for gated in (dept.pattern, dept.greeting):
            if gated is None:
                continue
            if gated.literals is None:
                always.add(i)
            for lit in gated.literals or ():
                by_literal.setdefault(lit, set()).add(i)
    return {k: frozenset(v) for k, v in by_literal.items()}, frozenset(always)


_DEPT_BY_LITERAL, _DEPT_ALWAYS = _index_departments()


def _departments_to_try(present: frozenset[str]) -> list[_Dept]:
    idx = set(_DEPT_ALWAYS)
    for lit in present:
        more = _DEPT_BY_LITERAL.get(lit)
        if more:
            idx |= more
    return [_DEPARTMENTS[i] for i in sorted(idx)]


_INSURANCE = re.compile(r"\b(?:insurance(?: company)?|insurer|health plan)\b")
_INSURANCE_ROUTINE = re.compile(
    r"insurance card|same insurance|insurance (?:is |'s )?still|insurance (?:info|information)"
)
_INSURANCE_ISSUE = re.compile(
    r"\b(?:claims?|den(?:y|ied|ial)|paid|pay|pays|paying|bills?|billed|authoriz\w*|approv\w*|"
    r"pending|reprocess\w*|cover\w*|appeal\w*|eob|says|said|told|won't|wouldn't|needs|"
    r"pulls?|reject\w*|switched|formulary|network|call (?:your|the|my) insurance|"
    r"call insurance)\b"
)
_INSURANCE_DEPT: Final = _Dept("insurance", "insurance", Gated(_INSURANCE))
# A commercial insurer by name acting in the issue ("resubmitting the claim to Cigna").
_INSURER = Gated(
    r"\b(?:aetna|cigna|blue ?cross|blue ?shield|bcbs|unitedhealthcare|united ?health(?:care)?|"
    r"humana|anthem|kaiser|tricare|molina|ambetter|oscar health|wellcare|highmark|carefirst|"
    r"premera|regence)\b"
)
_INSURER_ISSUE = re.compile(
    r"\b(?:claims?|den(?:y|ied|ial)|paid|pays|reprocess\w*|resubmit\w*|appeal\w*|eob|says|"
    r"said|won't|reject\w*|switched|formulary|network|billed|review)\b"
)
# A public payer, named as said, when it acts ("Medicaid says they never got it").
_PUBLIC_PAYER = Gated(
    r"\b(medicaid|medicare)(?! part d| supplement| advantage card) (?:\w+ ){0,2}(?:says|said|"
    r"denied|never|won't|wouldn't|paid|pays|requires|needs|rejected|approved|takes|sent|is "
    r"(?:reviewing|processing))\b"
)
# An outside organisation named by the parties, e.g. a partner clinic.
_NAMED_ORG = re.compile(
    r"\b((?:[A-Z][a-z'’]+ ){1,3}(?:Counseling|Counselling|Clinic|Hospital|Associates|Partners|"
    r"Hospice|Therapy))\b"
)
_GREETING_FILLER = re.compile(
    r"\b(?:this is|thank you for calling|thanks for calling|thanks for holding|good "
    r"(?:morning|afternoon|evening))\b"
)


@dataclass(slots=True)
class _State:
    # Turns are runs of one speaker: speech-to-text may split one turn into several
    # utterances, and the arrival window should not shrink because of it.
    caller_turns: int = 0
    agent_turns: int = 0
    last_speaker: str = ""
    arrival_scores: dict[str, float] | None = None
    seen_raised: frozenset[str] = frozenset()
    weak_block: bool = False
    handoff: bool = False
    distress_hits: int = 0
    emergency: bool = False  # urgent risk raised or the agent sent the caller to 911
    care_weak: bool = False  # a care-access hint that other stakes may explain away
    firm_stakes: set[Stake] = field(default_factory=set)


class ContextTracker:
    """Infers one call's :class:`CallContext` from its final utterances. Pure, per call."""

    __slots__ = ("_context", "_depts", "_evidence", "_greeting_names", "_present", "_state")

    def __init__(self) -> None:
        self._context = CallContext()
        self._state = _State(arrival_scores={})
        self._depts: dict[str, str] = {}  # key -> name as first said
        self._evidence: dict[str, list[Evidence]] = {}
        self._greeting_names: set[str] = set()
        self._present: frozenset[str] = frozenset()  # gate literals in the current utterance

    @property
    def context(self) -> CallContext:
        return self._context

    @property
    def evidence(self) -> ContextEvidence:
        """Field -> the words that set it (read-only view; at most a few per field)."""
        return MappingProxyType({k: tuple(v) for k, v in self._evidence.items()})

    # ----------------------------------------------------------------- the update

    def update(
        self, utt: Utterance, turn: int, raised: Iterable[str] = frozenset()
    ) -> CallContext | None:
        """Fold one final utterance in; return the new context if it changed, else None.

        ``turn`` is the 0-based index of the utterance among the call's finals (the
        engine's bookkeeping; evidence names the utterance by id); ``raised`` the cue
        kinds raised so far in the call, including any raised on this utterance.
        Partials are ignored (they may still change), and so is text that is not a string.
        """
        if not utt.final or not isinstance(utt.text, str):
            return None
        raised = frozenset(raised)
        text = normalise(utt.text)
        self._present = _LEXICON.scan(text)  # one pass gates every pattern below
        before = self._context
        ctx = before
        st = self._state
        new_kinds = raised - st.seen_raised
        st.seen_raised = raised

        new_turn = utt.speaker != st.last_speaker
        st.last_speaker = utt.speaker
        if utt.speaker == "caller":
            st.caller_turns += new_turn
            ctx = self._caller(utt, text, ctx)
        elif utt.speaker == "agent":
            st.agent_turns += new_turn
            ctx = self._agent(utt, text, ctx)
        ctx = self._from_cues(utt, new_kinds, raised, ctx)
        ctx = self._departments(utt, text, ctx)

        if ctx != before:
            self._context = ctx
            return ctx
        return None

    # ------------------------------------------------------------------ per speaker

    def _caller(self, utt: Utterance, text: str, ctx: CallContext) -> CallContext:
        st = self._state
        if st.caller_turns <= ARRIVAL_WINDOW:
            scores = st.arrival_scores if st.arrival_scores is not None else {}
            for state, weight, pattern in _ARRIVAL_PATTERNS:
                for hit in pattern.finditer(text, self._present):
                    if _negated(text, hit.start()):
                        continue
                    scores[state] = scores.get(state, 0.0) + weight
                    self._note("arrival", utt, hit)
            st.arrival_scores = scores
            ctx = replace(ctx, arrival=self._arrival(scores))
            if ctx.arrival == "grieving":
                # the grief's own words are the heavy call's evidence, so that the
                # engine's reset card has words to show (it needs evidence to be raised)
                said = [e for e in self._evidence.get("arrival", ()) if e.utterance_id == utt.id]
                if said and not self._evidence.get("heavy"):
                    self._evidence["heavy"] = [said[-1]]
                ctx = self._heavy(ctx, utt, None)

        if not ctx.repeat_contact:
            m = _find(_REPEAT_CALLER, text, self._present, negatable=False)
            if m is not None and "911" not in text[m.start() : m.end() + 12]:
                ctx = replace(ctx, repeat_contact=True)
                self._note("repeat_contact", utt, m)

        ctx = self._stakes(utt, text, ctx, caller=True)

        m = _find(_HEAVY_CALLER, text, self._present)
        if m is not None:  # crying, loss, bad news: heavy at once
            ctx = self._heavy(ctx, utt, m)
        # Distress is heavy when it is sustained: two utterances of it, not one.
        m = _find(_ARRIVAL_PATTERNS[1][2], text, self._present)
        if m is not None:
            st.distress_hits += 1
            if st.distress_hits >= 2:
                ctx = self._heavy(ctx, utt, m)
        if not ctx.heavy:
            m = _GRIEF_ANY_TIME.search(text, self._present)  # grief, at any point
            if m is not None and not _negated(text, m.start()):
                ctx = self._heavy(ctx, utt, m)
        return ctx

    def _agent(self, utt: Utterance, text: str, ctx: CallContext) -> CallContext:
        st = self._state
        if st.caller_turns == 0:  # the greeting, before the caller speaks
            self._greeting_names |= {m.group(1).lower() for m in _NAMED_ORG.finditer(utt.text)}
        if ctx.resolvable is None and st.caller_turns > 0:
            ctx = replace(ctx, resolvable=True)
        if ctx.resolvable is not False:
            m = _find(_BLOCK_STRONG, text, self._present, negatable=False)
            if m is not None:
                ctx = replace(ctx, resolvable=False)
                self._note("resolvable", utt, m)
            else:
                weak = _find(_BLOCK_WEAK, text, self._present, negatable=False)
                if weak is not None:
                    st.weak_block = True
                    self._note("resolvable", utt, weak)
                if _HANDOFF.search(text, self._present):
                    st.handoff = True
                if st.weak_block and st.handoff:
                    ctx = replace(ctx, resolvable=False)
        if not ctx.repeat_contact:
            m = _REPEAT_AGENT.search(text, self._present)
            if m is not None:
                ctx = replace(ctx, repeat_contact=True)
                self._note("repeat_contact", utt, m)
        ctx = self._stakes(utt, text, ctx, caller=False)
        m = _BAD_NEWS_AGENT.search(text, self._present)
        if m is None:
            m = _BOUNDARY_AGENT.search(
                text, self._present
            )  # the agent had to set a boundary: abuse
        if m is None:
            m = _SAFETY_AGENT.search(text, self._present)
            if m is not None and _after_if(text, m.start()):
                m = None  # "and if she ever talks about hurting herself, call 988": an offer
        if m is not None:
            ctx = self._heavy(ctx, utt, m)
        if not st.emergency:
            m = _EMERGENCY_AGENT.search(text, self._present)
            if m is not None:
                st.emergency = True
                st.firm_stakes.add("urgent_timing")
                self._note("stakes.urgent_timing", utt, m)
                ctx = self._heavy(ctx, utt, m)
                ctx = self._settle_stakes(ctx)
        return ctx

    # --------------------------------------------------------------------- fields

    @staticmethod
    def _arrival(scores: Mapping[str, float]) -> Arrival:
        best: Arrival = "calm"
        best_score = 0.0
        for state in _ARRIVAL_PRIORITY:
            s = scores.get(state, 0.0)
            if s > best_score + 1e-9:
                best, best_score = state, s
        # A lone weak hint ("oh god" on its own) is not enough to leave calm.
        return best if best_score >= 1.0 else "calm"

    def _stakes(self, utt: Utterance, text: str, ctx: CallContext, *, caller: bool) -> CallContext:
        st = self._state
        for stake, pattern in _STAKE_CHECKS:
            if stake in st.firm_stakes or (stake == "medication" and not caller):
                # Agents name medicines in instructions ("take your regular meds"):
                # the medication stake is the caller's.
                continue
            m = _find(pattern, text, self._present)
            if m is not None:
                st.firm_stakes.add(stake)
                self._note("stakes", utt, m, label=stake)
        if not st.care_weak:
            m = _find(_CARE_WEAK, text, self._present)
            if m is not None:
                st.care_weak = True
                self._note("stakes", utt, m, label="care_access")
        return self._settle_stakes(ctx)

    def _settle_stakes(self, ctx: CallContext) -> CallContext:
        st = self._state
        stakes = set(st.firm_stakes)
        if st.care_weak and "medication" not in stakes and not st.emergency:
            stakes.add("care_access")
        ordered = tuple(s for s in _STAKE_ORDER if s in stakes)
        return ctx if ordered == ctx.stakes else replace(ctx, stakes=ordered)

    def _from_cues(
        self, utt: Utterance, new_kinds: frozenset[str], raised: frozenset[str], ctx: CallContext
    ) -> CallContext:
        st = self._state
        if not new_kinds:
            return ctx
        if "own_it" in new_kinds and not ctx.repeat_contact:
            ctx = replace(ctx, repeat_contact=True)
        if new_kinds & _HEAVY_KINDS and not ctx.heavy:
            ctx = self._heavy(ctx, utt, None)
        cue_stakes = [_STAKES_FROM_CUES[k] for k in new_kinds if k in _STAKES_FROM_CUES]
        if "urgent_risk" in new_kinds:
            st.emergency = True
        if "orient" in new_kinds:  # fear about a result or procedure: access to care
            st.care_weak = True
        if cue_stakes or "urgent_risk" in new_kinds:
            st.firm_stakes.update(cue_stakes)
            ctx = self._settle_stakes(ctx)
        if "close_the_loop" in new_kinds:
            st.handoff = True
            if st.weak_block and ctx.resolvable is not False:
                ctx = replace(ctx, resolvable=False)
        # Cues raised while the caller is still arriving speak for the arrival state.
        if 0 < st.caller_turns <= ARRIVAL_WINDOW:
            scores = st.arrival_scores if st.arrival_scores is not None else {}
            for kind in new_kinds:
                state = _ARRIVAL_FROM_CUES.get(kind)
                if state is not None:
                    scores[state] = scores.get(state, 0.0) + 1.0
            st.arrival_scores = scores
            arrival = self._arrival(scores)
            if arrival != ctx.arrival:
                ctx = replace(ctx, arrival=arrival)
        return ctx

    def _heavy(self, ctx: CallContext, utt: Utterance, m: re.Match[str] | None) -> CallContext:
        if m is not None:
            self._note("heavy", utt, m)
        return ctx if ctx.heavy else replace(ctx, heavy=True)

    def _departments(self, utt: Utterance, text: str, ctx: CallContext) -> CallContext:
        is_greeting = utt.speaker == "agent" and self._state.caller_turns == 0
        found: list[tuple[_Dept, re.Match[str]]] = []
        for dept in _departments_to_try(self._present):
            m = dept.pattern.search(text, self._present)
            if m is None and is_greeting and dept.greeting is not None:
                m = dept.greeting.search(text, self._present)
            if m is None or _negated(text, m.start(), window=20):
                continue
            if utt.speaker == "agent" and _in_if_clause(text, m.start()):
                continue  # "if you need us, our nurse line is open": offered, not involved
            found.append((dept, m))
        # Longest first, and a shorter name inside a longer one is the same mention:
        # "specialty pharmacy" is not also "pharmacy".
        hits: list[tuple[_Dept, re.Match[str]]] = []
        for dept, m in sorted(found, key=lambda h: h[1].start() - h[1].end()):
            if all(m.end() <= o.start() or m.start() >= o.end() for _, o in hits):
                hits.append((dept, m))
        hits.sort(key=lambda h: h[1].start())
        if is_greeting and any(not d.specialty for d, _ in hits):
            # "Heartland Cardiology scheduling": the practice's name is not the department.
            hits = [(d, m) for d, m in hits if not d.specialty]
        for m in _INSURANCE.finditer(text):
            window = text[max(0, m.start() - 60) : m.end() + 60]
            if _INSURANCE_ROUTINE.search(text, max(0, m.start() - 10), m.end() + 20):
                continue
            if _INSURANCE_ISSUE.search(window):
                hits.append((_INSURANCE_DEPT, m))
                break
        else:
            for m in _INSURER.finditer(text, self._present):
                window = text[max(0, m.start() - 60) : m.end() + 60]
                if _INSURER_ISSUE.search(window):
                    hits.append((_INSURANCE_DEPT, m))
                    break
        for m in _PUBLIC_PAYER.finditer(text, self._present):
            name = m.group(1)
            hits.append((_Dept(name, name, _PUBLIC_PAYER), m))
        hits.sort(key=lambda h: h[1].start())
        for dept, m in hits:
            self._add_dept(dept.key, dept.display or m.group(0), utt, m)
        if not is_greeting:
            for m in _NAMED_ORG.finditer(utt.text):
                name = m.group(1).lower()
                if name in self._greeting_names or any(
                    d.pattern.search(name) for d in _DEPARTMENTS
                ):
                    continue
                self._add_dept(name, name, utt, m)
        names = tuple(self._depts.values())
        return ctx if names == ctx.departments else replace(ctx, departments=names)

    def _add_dept(self, key: str, name: str, utt: Utterance, m: re.Match[str]) -> None:
        if key in self._depts:
            return
        self._depts[key] = name
        self._note("departments", utt, m)

    # ------------------------------------------------------------------- evidence

    def _note(self, fld: str, utt: Utterance, m: re.Match[str], label: str | None = None) -> None:
        spans = self._evidence.setdefault(fld if label is None else f"{fld}.{label}", [])
        if len(spans) >= _MAX_EVIDENCE:
            return
        spans.append(
            Evidence(
                utterance_id=utt.id,
                speaker=utt.speaker,
                quote=m.group(0),
                start=utt.start,
                end=utt.end,
            )
        )


def caller_state(text: str) -> Arrival | None:
    """The emotional state one caller utterance shows on its own, or None (calm/unclear).

    Uses the arrival patterns; the rubric calls it per utterance to judge calibration.
    """
    t = normalise(text)
    scores: dict[str, float] = {}
    for state, weight, pattern in _ARRIVAL_PATTERNS:
        for hit in pattern.finditer(t):
            if not _negated(t, hit.start()):
                scores[state] = scores.get(state, 0.0) + weight
    state = ContextTracker._arrival(scores)
    return None if state == "calm" else state


def infer_context(
    utterances: Iterable[Utterance], raised_at: Mapping[int, Iterable[str]] | None = None
) -> CallContext:
    """The context of a finished call (final utterances in order).

    ``raised_at`` optionally gives, per 0-based turn, the cue kinds first raised on it.
    """
    tracker = ContextTracker()
    raised: set[str] = set()
    for turn, utt in enumerate(u for u in utterances if u.final):
        if raised_at is not None:
            raised.update(raised_at.get(turn, ()))
        tracker.update(utt, turn, frozenset(raised))
    return tracker.context
