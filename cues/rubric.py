"""The quality rubric of ``../shared/CUES.md``, scored per call from what the agent said.

    rubric = score_rubric(final_utterances, context, raised_kinds)
    rubric.get("ownership").score, .evidence (the agent's words), .reason (one line)

Four criteria, each a score in [0, 1]:

- ``acknowledgement``: did the agent name the specific burden? 1 when an empathic
  line also names the caller's particulars (their words, or a burden such as the
  waiting, the repeated calls, the cost), 0.5 for generic empathy only ("I'm sorry",
  "I understand"), 0 for none. A routine call with no burden scores 1 (nothing to name).
- ``calibration``: did the tone match the caller's state? Every caller utterance that
  shows a state (anxious, angry, distressed, overwhelmed, grieving, or an urgent/abuse
  moment) is judged by the agent's next reply: empathy, orientation, a boundary or an
  urgent instruction match (1); a bare procedural question ("date of birth?") half
  misses (0.3); a dismissal ("that happens all the time", "it's policy", "calm down")
  misses (0). Dismissals anywhere cost 0.15 each.
- ``re_entry``: was there enough trust for the caller to keep cooperating? Read from
  the caller's last turns (thanks, agreement, apologising for snapping vs. hostility,
  "you're not listening", "whatever", asking for someone else) plus a bonus for the
  agent's trust builders (saying it back, owning it, a direct line, a choice offered).
- ``ownership``: did someone own the outcome beyond the handoff? From the first
  handoff (or the first commitment) on, four parts: a named owner, the next step, the
  patient's part, a real timeline; each counts a quarter; a vague time ("soon",
  "shortly") never corrected costs the timeline. A call settled on the line with no
  handoff needed scores 1.

Pure and cheap (precompiled patterns, one pass per criterion).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from cues.context import Gated, caller_state, normalise
from cues.types import CallContext, CriterionScore, Rubric
from transcription.types import Utterance

__all__ = ["score_rubric"]


def _rx(*alternatives: str) -> Gated:
    return Gated("|".join(f"(?:{a})" for a in alternatives), shared=False)


_EMPATHY = _rx(
    r"\b(?:i'm|i am) (?:so |really |very |truly )?sorry\b",
    r"\bi (?:completely |totally )?(?:understand|hear you|get (?:why|that|it))\b",
    r"\bthat makes (?:total |complete |perfect )?sense\b",
    r"\b(?:that's|that is|it's|this is) (?:a lot|so much|really hard|hard|frustrating|"
    r"scary|upsetting|exhausting|awful|a real problem|not okay|understandable|"
    r"really understandable|the last thing)\b",
    r"\bthat must (?:be|have been)\b",
    r"\byou shouldn't have (?:had )?to\b",
    r"\bthat's on us\b",
    r"\bi can (?:only )?imagine\b",
    r"\bthank you for (?:telling me|letting us know|catching that|your patience)\b",
    r"\bno wonder\b",
    r"\bi'd be (?:frustrated|upset|worried|scared|angry) too\b",
    r"\bplease don't apologi[sz]e\b|\byou don't need to apologi[sz]e\b",
    r"\bfair (?:question|enough)\b",
    r"\b(?:you're|you are) (?:right|clearly doing)\b",
    r"\byou've done (?:everything right|your part)\b",
    r"\bi'm (?:really )?glad you (?:called|told me|asked)\b",
    r"(?<!i'm )\bsorry (?:you've|you have|you had|to hear|about|for)\b",
)
# Steadying words in an emergency: there, acknowledging is staying with the caller.
_REASSURE = _rx(
    r"\byou(?:'re| are) doing (?:the right thing|great|everything right|so well)\b",
    r"\byou did (?:exactly )?the right thing\b",
    r"\bi'm (?:right )?here (?:with you|and i'm going to help)\b",
    r"\bi'm (?:going to|gonna) stay (?:on )?with you\b",
    r"\bi'll stay on (?:the line|with you)\b",
)
# Words that name a burden (a caller's situation) rather than a feeling in general.
_BURDEN = _rx(
    r"\bwait(?:ing|ed)?\b",
    r"\b(?:two|three|twice|several|again|third|second)\b.{0,20}\b(?:times?|calls?)\b",
    r"\bleft hanging\b|\blet down\b|\bchase\b|\bexplain it again\b|\bbounced\b",
    r"\bblindsided\b|\bhomework\b|\bon your own\b|\ball at once\b|\bto land on you\b",
    r"\bgood days\b|\bfighting\b|\bcarry(?:ing)?\b|\bjuggl",
    r"\b(?:your|the) (?:credit|cost|bill|work|job|pto|kids|dad|mom|husband|wife|daughter|son)\b",
    r"\bevery (?:single )?(?:week|january|year|time|month)\b",
    r"\bmissing work\b|\bout of pto\b|\bcan't work\b",
)
_STOP: Final = frozenset(
    [
        "about",
        "after",
        "again",
        "also",
        "because",
        "been",
        "before",
        "being",
        "could",
        "didn't",
        "doesn't",
        "don't",
        "every",
        "from",
        "have",
        "having",
        "here",
        "just",
        "know",
        "like",
        "little",
        "make",
        "more",
        "much",
        "need",
        "only",
        "other",
        "really",
        "right",
        "said",
        "should",
        "some",
        "still",
        "that",
        "that's",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "thing",
        "think",
        "this",
        "those",
        "through",
        "very",
        "want",
        "what",
        "when",
        "where",
        "which",
        "while",
        "with",
        "would",
        "your",
        "you're",
        "yours",
        "okay",
        "yeah",
        "going",
        "gonna",
        "wanna",
        "actually",
        "honestly",
        "called",
        "calling",
    ]
)
_WORD = re.compile(r"[a-z][a-z']{3,}")

_DISMISSIVE = _rx(
    r"\bthat happens (?:all the time|a lot)\b",
    r"\bcalm down\b",
    r"\b(?:just )?relax\b",
    r"\bdon't worry about it\b",
    r"\bper (?:our )?policy\b|\bit's (?:just )?(?:our )?policy\b",
    r"\b(?:there's )?(?:really )?nothing (?:we|i) can do\b",
    r"\bit's usually pretty quick\b",
    r"\bnot my (?:department|problem|job)\b",
    r"\bit is what it is\b",
    r"\bno need to (?:yell|get upset|be upset)\b",
    r"\byou'll (?:just )?have to\b",
    r"\bwhat you'll want to do is\b",
    r"\bcall back whenever\b|\byou can call back whenever\b",
)
_PROCEDURAL = _rx(
    r"\b(?:can|may) i (?:get|have) (?:your|the|his|her)\b",
    r"\bdate of birth\b",
    r"\bname and\b",
    r"\baccount number\b",
)
_ORIENTING = _rx(
    r"\bhere's (?:exactly )?(?:what|how)\b",
    r"\blet me walk you through\b",
    r"\bwhat happens (?:next|now)\b",
    r"\b(?:takes|take) about\b",
    r"\bfirst,\b|\bsecond,\b",
    r"\bstep\b",
)
_URGENT_REPLY = _rx(
    r"\bcall 911\b|\b911\b|\b988\b",
    r"\bright now\b",
    r"\bemergency\b",
    r"\bare you thinking about (?:killing|hurting|ending)\b",
    r"\bon-call\b",
)
_BOUNDARY = _rx(
    r"\bi'm not going to be (?:talked|spoken) to\b",
    r"\b(?:i need you to|please) stop\b",
    r"\b(?:threats|name-calling|that language) (?:is|are) not (?:okay|acceptable)\b",
    r"\bi(?:'ll| will) (?:end|disconnect) the call\b",
)
_CHOICE = _rx(
    r"\b(?:would you (?:like|rather|prefer)|do you want)\b.{0,80}\bor\b",
    r"\bit's (?:completely |totally )?your call\b",
)

# The caller saying they have not been heard; the matched reply says it back.
_UNHEARD = _rx(
    r"\byou're not (?:listening|hearing me)\b",
    r"\bthat's not what i(?:'m| am) (?:asking|saying)\b",
    r"\bthat's not what i said\b",
    r"\bi (?:already|just|literally just) (?:told|said)\b",
    r"\bi said that (?:when|already|before)\b",
    r"\bthat's what i'm telling you\b",
)
_SAY_BACK = _rx(
    r"\blet me (?:say it back|make sure i have it right|read that back|back up)\b",
    r"\bso what you're saying\b",
    r"\bis that right\?",
    r"\bif i understand\b",
)
_CALLER_POSITIVE = _rx(
    r"\bplease\.(?:\s|$)",
    r"\bi'll (?:do|try|read|upload|bring|talk|keep|go back|take|look|give)\b",
    r"\bthank(?:s| you)\b",
    r"\bthat (?:helps|works|'s (?:exactly )?(?:it|right|perfect|helpful))\b",
    r"\bthat's (?:exactly )?right\b",
    r"\b(?:okay|ok|great|perfect|got it|sounds good|will do|yes,? please)\b",
    r"\bappreciate\b",
    r"\bsorry (?:i|for) (?:snapped|yelling|snapping|being)\b",
    r"\bfirst real answer\b",
)
_CALLER_NEGATIVE = _rx(
    r"\byou're not (?:listening|hearing|even trying)\b",
    r"\bwhatever\b",
    r"\bforget it\b",
    r"\buseless\b",
    r"\bget me (?:somebody|someone|a supervisor|your supervisor|your manager)\b",
    r"\b(?:let me|can i) (?:talk|speak) to (?:a|your) (?:supervisor|manager)\b",
    r"\bthis is (?:ridiculous|a joke|unbelievable)\b",
    r"\bi'm (?:so )?done\b",
    r"\bi'll (?:just )?call (?:back|someone else)\b",
)
_TRUST_BUILDERS: Final[tuple[tuple[str, Gated], ...]] = (
    (
        "said it back",
        _rx(
            r"\blet me (?:say it back|make sure i have it right|read that back|back up)\b",
            r"\bso what you're saying\b",
            r"\bis that right\?",
            r"\bdid i get that right\b",
        ),
    ),
    (
        "took ownership",
        _rx(
            r"\bi(?:'m| am) (?:going to )?(?:handle|handling|taking) (?:this|it)\b",
            r"\bi(?:'ll| will) (?:handle|take care of|sort|chase|call you)\b",
            r"\byou (?:won't|will not|don't) (?:have|need) to (?:call|explain|chase)\b",
            r"\blet me carry\b",
            r"\bi'm not transferring you\b",
        ),
    ),
    (
        "gave a direct line",
        _rx(
            r"\bcall me (?:directly|back)\b",
            r"\bextension \d+\b",
            r"\bask for [a-z]+\b",
            r"\bmy direct (?:number|line)\b",
        ),
    ),
    ("offered a choice", _CHOICE),
)

# ----------------------------------------------------------------------- ownership

_HANDOFF = _rx(
    r"\b(?:i'll|i will|i'm going to|let me) (?:send|put in|forward|pass|message|escalate|"
    r"transfer|submit|flag)\b",
    r"\b(?:transfer|escalate|put in a ticket|reference number|case number|ticket)\b",
    r"\b(?:someone|somebody|they|she|he|the \w+ team)(?:'ll| will| should) "
    r"(?:call|get back to|reach out|contact)",
)
# An owner is someone named (or "I") doing the next thing, not "someone" or "they".
_OWNER = _rx(
    r"\b(?:i'll|i will|i'm going to|i am going to) (?:\w+ ){0,2}(?:call|send|fax|email|text|"
    r"mail|book|schedule|process|sign|hold|walk|put|flag|chase|handle|take care|follow up|"
    r"check|pull|stay)\b",
    r"\b(?:i'm|i am) (?:\w+ )?(?:sending|calling|faxing|mailing|texting|emailing|processing|"
    r"handling|holding|walking|putting|booking|taking this)\b",
    r"\b(?!(?:someone|somebody|they|it|that|this|team|you|we|there|which|who)\b)[a-z]+"
    r"(?:, [a-z' ]{1,40},)?"  # "karen liu, our privacy officer, will call you"
    r"(?:'ll| will| is going to| is calling| calls| returns| reviews| signs) (?:\w+ ){0,2}"
    r"(?:call|calls|contact|reach|text|email|send|fax|sign|signs|review|book|walk|you|it|"
    r"them|messages|requests|refills)\b",
)
_NEXT_STEP = _rx(
    r"\b(?:will|'ll|is going to|are going to|'m going to|am going to) (?:\w+ )?(?:call|send|"
    r"fax|email|text|mail|book|schedule|review|process|sign|escalate|file|hold|transfer|"
    r"bring|reach out|get back|have it|be ready|be there|go out|decide|answer)\b",
    r"\b(?:i'm|i am|we're) (?:\w+ )?(?:sending|calling|faxing|mailing|walking|holding|putting|"
    r"processing|emailing|texting|correcting|filling|having)\b",
    r"\b(?:she|he|they|it) (?:calls|returns|signs|reviews|answers|goes out)\b",
)
_PATIENT_PART = _rx(
    r"\byour (?:only )?(?:part|job)\b",
    r"\b(?:all|the one thing|what) (?:you|i) need (?:to do|from you)\b",
    r"\bif (?:you|it) (?:haven't|hasn't|don't|do not|isn't|is not)\b",
    r"\bcall (?:me|us|them|her|him|the \w+ office)(?: back| directly)?\b",
    r"\bplease (?:bring|upload|call|keep|hold|take|go back|don't|do not)\b",
    r"\b(?:bring|upload|keep taking|hold onto|open the email|reply to|check in at)\b",
    r"\byou(?:'ll| will) need to\b",
    r"\bdon't (?:pay|take|drive|give)\b",
    # saying the patient has nothing to do is stating their part
    r"\byou (?:don't|do not|won't) (?:have|need) to (?:do|call|chase|explain)\b",
    r"\bnothing (?:else )?(?:you need to do|for you to do)\b",
    r"\bjust (?:keep|show|bring|pick|answer|have (?:her|him|them) check in|check in)\b",
    r"\byou(?:'d| would| can) pick (?:it|them) up\b",
)
_DAYS = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_TIMELINE = _rx(
    r"\b(?:by|before) (?:\d|noon|midday|tomorrow|today|tonight|end of (?:the )?day|"
    + _DAYS
    + r"|the \d|close of business)",
    r"\b(?:today|tomorrow|tonight) (?:by|at|before|between|afternoon|morning)\b",
    r"\bwithin (?:\d+|one|two|three|four|five|ten|24|48|72) (?:business )?(?:days?|hours?|"
    r"weeks?|minutes?)\b",
    r"\b" + _DAYS + r" (?:at|by|between|morning|afternoon|before)\b",
    r"\b(?:at|before|after|between) \d{1,2}(?::\d\d)?(?: ?[ap]\.?m\.?)?\b",
    r"\bthis (?:afternoon|morning|evening)\b",
    r"\bin the next (?:\d+|ten|five|fifteen|thirty) minutes\b",
    r"\b(?:the )?same (?:business )?day\b",
    r"\bwithin the hour\b",
    r"\bin (?:\d+|ten|five|fifteen|thirty|two) minutes\b",
)
_VAGUE_TIME = _rx(
    r"\bsoon\b(?! as)",
    r"\bshortly\b",
    r"\bas soon as (?:possible|we can|they can)\b",
    r"\basap\b",
    r"\bin a bit\b",
    r"\bbefore too long\b",
    r"\bany day now\b",
    r"\bpretty quick\b",
    r"\bas quick as (?:they|we) can\b",
    r"\bat some point\b",
)
_SETTLED = _rx(
    r"\byou're all set\b",
    r"\b(?:that's|it's|it is) (?:updated|done|sent|booked|cancelled|fixed)\b",
    r"\bdone\b",
    r"\b(?:you're|she's|he's) booked\b",
    r"\bsee you\b",
)


@dataclass(frozen=True, slots=True)
class _Turn:
    utt: Utterance
    text: str  # normalised


_SENTENCE = re.compile(
    r"(?:\b(?:Dr|Mr|Mrs|Ms|St|Jr|Sr|No|vs|a\.m|p\.m)\.|\.(?=\d)|[^.!?])+(?:[.!?]+|$)"
)
_MAX_QUOTE = 160


def _quote(t: _Turn, m: re.Match[str], pad: int = 0) -> str:
    """The sentence of the utterance (verbatim) in which the match lies.

    normalise() only changes case, apostrophes and runs of whitespace, so a position
    in the normalised text maps to the raw text by ratio closely enough to pick the
    sentence. ``pad`` widens to neighbouring sentences by that many characters.
    """
    raw = t.utt.text
    scale = len(raw) / max(len(t.text), 1)
    a, b = int(m.start() * scale) - pad, int(m.end() * scale) + pad
    parts = [s for s in _SENTENCE.finditer(raw) if s.end() > a and s.start() < max(b, a + 1)]
    quote = " ".join(p.group(0).strip() for p in parts) if parts else raw
    return quote if len(quote) <= _MAX_QUOTE else quote[: _MAX_QUOTE - 1].rstrip() + "…"


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text) if w not in _STOP}


def _score(criterion: str, score: float, evidence: Iterable[str], reason: str) -> CriterionScore:
    ev = tuple(dict.fromkeys(e for e in evidence if e))[:4]
    return CriterionScore(
        criterion=criterion,  # type: ignore[arg-type]
        score=round(min(1.0, max(0.0, score)), 3),
        evidence=ev,
        reason=reason,
    )


# The words of empathy itself: what is left in the sentence beyond them is the burden.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EMPATHY_WORDS: Final = _words(
    "sorry understand hear sense makes frustrating scary upsetting exhausting awful"
    " hard thank telling glad imagine must shouldn't apologize apologise fair question"
    " enough clearly doing everything loss feel feeling totally completely"
    " understandable please real problem last thing need sounds terrible difficult"
    " happened calling letting know right okay ma'am frustrated upset angry talked"
    " spoken able help"
)


def _sentences_around(t: _Turn, m: re.Match[str]) -> tuple[str, str]:
    """The sentence of the match, and it with one sentence either side."""
    text = t.text
    marks = [i + 1 for i, ch in enumerate(text) if ch in ".!?"]
    starts = [0, *marks]
    k = max(i for i, a in enumerate(starts) if a <= m.start())
    bounds = [*starts, len(text)]
    own = text[bounds[k] : bounds[k + 1]]
    around = text[bounds[max(0, k - 1)] : bounds[min(len(bounds) - 1, k + 2)]]
    return own, around


def _names_burden(t: _Turn, m: re.Match[str], caller_words: set[str], emergency: bool) -> bool:
    """An empathic line is specific when it names the caller's situation, not only a feeling.

    Specific: the caller's own words (or a burden: the waiting, the repeated calls, the
    cost) in the empathic sentence or next to it, two more words of substance in the
    sentence itself, or the caller's account said back.
    """
    if emergency and _REASSURE.search(t.text):
        return True  # steadying a caller in an emergency is the acknowledgement
    if _SAY_BACK.search(t.text):
        return True
    own, around = _sentences_around(t, m)
    if _BURDEN.search(around):
        return True
    if (_content_words(around) - _EMPATHY_WORDS) & caller_words:
        return True
    return len(_content_words(own) - _EMPATHY_WORDS) >= 2


def _acknowledgement(
    turns: Sequence[_Turn], context: CallContext, raised: frozenset[str]
) -> CriterionScore:
    burdened = (
        (context.arrival not in (None, "calm"))
        or context.repeat_contact
        or bool(raised - {"close_the_loop", "real_timeline", "explain_the_no", "take_a_reset"})
        or any(t.utt.speaker == "caller" and caller_state(t.utt.text) for t in turns)
    )
    best = 0.0
    evidence: list[str] = []
    recent_caller: set[str] = set()
    emergency = "urgent_risk" in raised
    for t in turns:
        if t.utt.speaker == "caller":
            recent_caller = _content_words(t.text) | (
                recent_caller if len(recent_caller) < 60 else set()
            )
            continue
        hits = list(_EMPATHY.finditer(t.text))
        if emergency:
            hits += _REASSURE.finditer(t.text)
        for m in hits:
            value = 1.0 if _names_burden(t, m, recent_caller, emergency) else 0.5
            if value > best:
                best = value
                evidence.insert(0, _quote(t, m))
            elif value == best:
                evidence.append(_quote(t, m))
    if not burdened and best < 1.0:
        return _score("acknowledgement", 1.0, evidence, "routine call: no burden to name")
    if best >= 1.0:
        reason = "named the caller's specific burden"
    elif best > 0:
        reason = "generic empathy only; the specific burden was not named"
    else:
        reason = "the caller's burden was never acknowledged"
    return _score("acknowledgement", best, evidence, reason)


def _calibration(turns: Sequence[_Turn], raised: frozenset[str]) -> CriterionScore:
    judged: list[float] = []
    evidence: list[str] = []
    misses: list[str] = []
    dismissals = 0
    replied: set[int] = set()  # agent turns already judged as a reply
    for i, t in enumerate(turns):
        if t.utt.speaker == "agent":
            continue
        unheard = _UNHEARD.search(t.text) is not None
        state = caller_state(t.utt.text)
        if state is None and not unheard:
            continue
        j = next((k for k in range(i + 1, len(turns)) if turns[k].utt.speaker == "agent"), None)
        if j is None:
            continue
        reply = turns[j]
        replied.add(j)
        rt = reply.text
        good = (
            (_SAY_BACK.search(rt) if unheard else None)
            or _EMPATHY.search(rt)
            or _BOUNDARY.search(rt)
            or (
                state in ("anxious", "distressed")
                and (_ORIENTING.search(rt) or _URGENT_REPLY.search(rt))
            )
            or (state == "overwhelmed" and _CHOICE.search(rt))
        )
        if _DISMISSIVE.search(rt):
            judged.append(0.0)
            misses.append(reply.utt.text[:100])
        elif good:
            judged.append(1.0)
            evidence.append(_quote(reply, good))
        elif _PROCEDURAL.search(rt) or unheard:
            judged.append(0.3)  # a form question, or carrying on, after feelings/being unheard
            misses.append(reply.utt.text[:100])
        else:
            judged.append(0.6)
    for k, t in enumerate(turns):
        if t.utt.speaker == "agent" and k not in replied:
            m = _DISMISSIVE.search(t.text)
            if m is not None:
                dismissals += 1
                misses.append(_quote(t, m))
    base = sum(judged) / len(judged) if judged else 1.0
    score = base - 0.15 * dismissals
    if not judged and not dismissals:
        reason = "calm call; tone stayed even"
    elif score >= 0.8:
        reason = f"tone matched the caller's state ({len(judged)} moment(s) judged)"
    elif dismissals:
        reason = f"dismissive line(s) ({dismissals}) against the caller's state"
    else:
        reason = "replies to the caller's feelings were procedural rather than matched"
    return _score("calibration", score, evidence + [f"(missed) {m}" for m in misses], reason)


def _re_entry(turns: Sequence[_Turn]) -> CriterionScore:
    callers = [t for t in turns if t.utt.speaker == "caller"]
    tail = callers[-max(2, len(callers) // 3) :] if callers else []
    pos = neg = 0.0
    for k, t in enumerate(tail):
        w = 2.0 if k == len(tail) - 1 else 1.0  # where the call ends matters most
        n_pos = sum(1 for _ in _CALLER_POSITIVE.finditer(t.text))
        n_neg = sum(1 for _ in _CALLER_NEGATIVE.finditer(t.text))
        if n_neg > n_pos:
            neg += w
        elif n_pos > n_neg:
            pos += w
    base = 0.5 + 0.5 * (pos - neg) / max(pos + neg, 1.0)
    builders: list[str] = []
    evidence: list[str] = []
    for name, pattern in _TRUST_BUILDERS:
        for t in turns:
            if t.utt.speaker != "agent":
                continue
            m = pattern.search(t.text)
            if m is not None:
                builders.append(name)
                evidence.append(_quote(t, m))
                break
    score = base + 0.1 * min(len(builders), 2)
    if neg > pos:
        reason = "the caller ended still resisting or hostile"
    elif pos > 0:
        reason = "the caller kept cooperating to the end"
    else:
        reason = "no clear sign either way from the caller"
    if builders:
        reason += "; agent " + ", ".join(builders)
    return _score("re_entry", score, evidence, reason)


def _ownership(
    turns: Sequence[_Turn], context: CallContext, raised: frozenset[str]
) -> CriterionScore:
    agent = [t for t in turns if t.utt.speaker == "agent"]
    start = next((i for i, t in enumerate(agent) if _HANDOFF.search(t.text)), None)
    handed_off = start is not None or "close_the_loop" in raised
    if start is None:
        start = next((i for i, t in enumerate(agent) if _NEXT_STEP.search(t.text)), None)
    if start is None:
        settled = next((t for t in agent if _SETTLED.search(t.text)), None)
        if context.resolvable is False:
            return _score("ownership", 0.0, (), "a blockage owned elsewhere and no next step")
        ev = () if settled is None else (settled.utt.text[:100],)
        return _score("ownership", 1.0, ev, "settled on the call: nothing to hand off")
    span = agent[start:]
    parts: dict[str, str] = {}
    for name, pattern in (
        ("owner", _OWNER),
        ("next step", _NEXT_STEP),
        ("patient's part", _PATIENT_PART),
        ("timeline", _TIMELINE),
    ):
        for t in span:
            m = pattern.search(t.text)
            if m is not None:
                parts[name] = _quote(t, m)
                break
    # A vague time counts against the timeline unless a real one came after it.
    last_vague = max((i for i, t in enumerate(span) if _VAGUE_TIME.search(t.text)), default=-1)
    if last_vague >= 0 and not any(_TIMELINE.search(t.text) for t in span[last_vague:]):
        parts.pop("timeline", None)
    got = [p for p in ("owner", "next step", "patient's part", "timeline") if p in parts]
    missing = [p for p in ("owner", "next step", "patient's part", "timeline") if p not in parts]
    score = len(got) / 4
    if not handed_off and len(got) >= 2:
        score = max(score, 0.75)  # a commitment kept on the line needs less spelling out
    reason = (
        "owner, next step, patient's part and timeline all given"
        if not missing
        else "missing: " + ", ".join(missing)
    )
    return _score("ownership", score, parts.values(), reason)


def score_rubric(
    utterances: Sequence[Utterance], context: CallContext, raised: Iterable[str] = ()
) -> Rubric:
    """Score a call (its final utterances, in order) on the four criteria. Pure."""
    kinds = frozenset(raised)
    turns = [_Turn(u, normalise(u.text)) for u in utterances if u.final and u.text.strip()]
    return Rubric(
        scores=(
            _acknowledgement(turns, context, kinds),
            _calibration(turns, kinds),
            _re_entry(turns),
            _ownership(turns, context, kinds),
        )
    )
