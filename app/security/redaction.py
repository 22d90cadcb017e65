"""Finding and masking PHI in transcript text, written and spoken.

``find_phi(text)`` returns typed spans (kind, start, end) over the original text;
``redact(text, kinds)`` masks the spans of the requested kinds as ``[KIND]``.

Kinds: phone, dob, ssn, mrn, member_id (member, policy, group, account, claim
numbers), card (card numbers, expiry and security code), email, address (street
address, PO box, ZIP), id_number (any other long number: masked, kind unknown).

Spoken forms are handled by reading number words into digit groups first ("five
five five, twelve thirty four" -> 5 5 5 12 34; "double five" -> 55; "eighteen
hundred" -> 1800; "oh" -> 0), then classifying each run of adjacent groups by its
length and by the nearest cue word before it ("social", "member ID", "zip", ...).

Date policy: a date is masked (as ``dob``) when a birth cue is near it ("date of
birth", "DOB", "born", "birthday"), or when it is a complete date (day, month and
year) with a year before the reference year: a past full date about a person is
PHI under HIPAA Safe Harbor. A year alone (Safe Harbor keeps years), an appointment
date without a year, and a date this year or later are not masked.

Numbers that are quantities are left alone: money ($640, "twenty dollars"), times
(4:30), decimals (101.4), grouped numbers (1,000), ordinals (3rd), and short runs
(doses, counts, room numbers) with no identifying cue.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["phone", "dob", "ssn", "mrn", "member_id", "card", "email", "address", "id_number"]
KINDS: tuple[Kind, ...] = (
    "phone",
    "dob",
    "ssn",
    "mrn",
    "member_id",
    "card",
    "email",
    "address",
    "id_number",
)
ALL_KINDS: frozenset[Kind] = frozenset(KINDS)


@dataclass(frozen=True, slots=True)
class Span:
    kind: Kind
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class RedactedText:
    """``text`` with the spans of the requested kinds replaced by ``[KIND]``.

    ``spans`` are the masked spans, in offsets of the *original* text.
    """

    text: str
    spans: tuple[Span, ...] = field(default=())

    @property
    def redacted(self) -> bool:
        return bool(self.spans)


# ----------------------------------------------------------------------------- words

UNITS = {
    "zero": 0,
    "oh": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
}
TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
ORDINALS = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "eleventh": 11,
    "twelfth": 12,
    "thirteenth": 13,
    "fourteenth": 14,
    "fifteenth": 15,
    "sixteenth": 16,
    "seventeenth": 17,
    "eighteenth": 18,
    "nineteenth": 19,
    "twentieth": 20,
    "thirtieth": 30,
}
NUMBER_WORDS = {*UNITS, *TEENS, *TENS, "hundred", "thousand", "double", "triple"}
MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}

_W = r"(?:" + "|".join(sorted(NUMBER_WORDS - {"double", "triple"}, key=len, reverse=True)) + r")"
_UNIT = r"(?:one|two|three|four|five|six|seven|eight|nine)"
_TEEN = r"(?:" + "|".join(TEENS) + r")"
_TENS = r"(?:" + "|".join(TENS) + r")"
_TWO = rf"(?:{_TENS}(?:[\s-]+{_UNIT})?|{_TEEN}|oh[\s-]+{_UNIT})"
_SPOKEN_YEAR = (
    rf"(?:(?:nineteen|eighteen|twenty)[\s-]+(?:{_TWO}|hundred)"
    rf"|two[\s-]+thousand(?:(?:[\s-]+and)?[\s-]+(?:{_TWO}|{_UNIT}))?|{_TWO})"
)
_ORD_WORD = (
    r"(?:(?:twenty|thirty)[\s-]+(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)"
    r"|" + "|".join(sorted(ORDINALS, key=len, reverse=True)) + r")"
)
_DAY = (
    rf"(?:\d{{1,2}}(?:st|nd|rd|th)?|{_ORD_WORD}|(?:twenty|thirty)[\s-]+{_UNIT}"
    rf"|{_TEEN}|{_UNIT}|twenty|thirty)"
)
_YEAR = rf"(?:\d{{4}}|'\d{{2}}|\d{{2}}|{_SPOKEN_YEAR})"
_MONTH = (
    r"(?:january|february|march|april|may|june|july|august|september|october|november|december"
    r"|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
)


def words_to_int(text: str) -> int | None:
    """'nineteen eighty-five' -> 1985, 'two thousand and three' -> 2003, '31st' -> 31."""
    t = text.lower().replace("-", " ").replace(",", " ").replace("'", "").split()
    t = [w for w in t if w not in ("and", "the", "of")]
    if not t:
        return None
    if len(t) == 1 and re.fullmatch(r"\d+(?:st|nd|rd|th)?", t[0]):
        return int(re.sub(r"\D", "", t[0]))
    vals: list[int] = []
    for w in t:
        if w in UNITS:
            vals.append(UNITS[w])
        elif w in TEENS:
            vals.append(TEENS[w])
        elif w in TENS:
            vals.append(TENS[w])
        elif w in ORDINALS:
            vals.append(ORDINALS[w])
        elif w == "hundred":
            vals.append(-100)
        elif w == "thousand":
            vals.append(-1000)
        else:
            return None
    if -1000 in vals:  # two thousand (and) three
        i = vals.index(-1000)
        head = sum(v for v in vals[:i] if v > 0) or 1
        return head * 1000 + _small(vals[i + 1 :])
    if len(vals) >= 2 and vals[0] in (18, 19, 20) and (vals[1] >= 10 or vals[1] == 0):
        # a spoken year: nineteen eighty five, twenty oh five
        return vals[0] * 100 + _small(vals[1:])
    return _small(vals)


def _small(vals: list[int]) -> int:
    total, cur = 0, 0
    for v in vals:
        if v == -100:
            cur = (cur or 1) * 100
        else:
            cur += v
    return total + cur


# ----------------------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"(?P<grouped>(?<![\d,])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,]))"
    r"|(?P<decimal>(?<![\d.])\d+\.\d+(?![.\d]))"
    r"|(?P<ordinal>\b\d+(?:st|nd|rd|th)\b)"
    r"|(?P<alnum>[A-Za-z]*\d[A-Za-z\d]*)"
    r"|(?P<word>[A-Za-z]+(?:'[A-Za-z]+)?)"
    r"|(?P<punct>\S)"
)


@dataclass(slots=True)
class _Tok:
    kind: str
    text: str
    start: int
    end: int


def _tokens(text: str) -> list[_Tok]:
    return [_Tok(m.lastgroup or "", m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


@dataclass(slots=True)
class _Group:
    """A number as said or written: its digits and where it is."""

    digits: str
    start: int
    end: int
    letters: bool = False  # an alphanumeric token such as XJH482910317


def _number_groups(toks: list[_Tok]) -> list[_Group]:
    groups: list[_Group] = []
    i = 0
    n = len(toks)
    while i < n:
        t = toks[i]
        low = t.text.lower()
        if t.kind == "alnum":
            digits = re.sub(r"\D", "", t.text)
            groups.append(_Group(digits, t.start, t.end, letters=digits != t.text))
            i += 1
            continue
        if t.kind != "word" or low not in NUMBER_WORDS:
            i += 1
            continue
        if low == "oh" and not _oh_is_digit(toks, i):
            i += 1  # "Oh, and my cell...": an exclamation, not a zero
            continue
        # "double five", "triple three"
        if low in ("double", "triple") and i + 1 < n and toks[i + 1].text.lower() in UNITS:
            d = str(UNITS[toks[i + 1].text.lower()]) * (2 if low == "double" else 3)
            groups.append(_Group(d, t.start, toks[i + 1].end))
            i += 2
            continue
        if low in ("double", "triple"):
            i += 1
            continue
        # A cardinal with hundred/thousand is one number: "eighteen hundred", "four hundred
        # and twelve", "two thousand five hundred".
        j, words = i, []
        while j < n:
            w = toks[j].text.lower()
            if toks[j].kind == "word" and (w in NUMBER_WORDS - {"double", "triple"}):
                words.append((w, j))
                j += 1
            elif (
                toks[j].text == "-"
                and j + 1 < n
                and toks[j + 1].text.lower() in UNITS
                and words
                and words[-1][0] in TENS
            ) or (w == "and" and words and words[-1][0] in ("hundred", "thousand")):
                j += 1
            else:
                break
        groups.extend(_read_words(words, toks))
        i = max(j, i + 1)
    return groups


def _is_numberish(t: _Tok) -> bool:
    return t.kind == "alnum" or (t.kind == "word" and t.text.lower() in NUMBER_WORDS - {"oh"})


def _oh_is_digit(toks: list[_Tok], i: int) -> bool:
    """'oh' reads as zero only in a run with another number ("nine nine oh oh", "oh two
    one"), not across a sentence end ("43215. Oh, and...")."""
    for step in (-1, 1):
        k, edge = i + step, i
        while 0 <= k < len(toks):
            t = toks[k]
            gap = toks[edge].start - t.end if step < 0 else t.start - toks[edge].end
            if gap > 3:
                break
            if t.kind == "punct" and t.text in ",-":
                k += step
                continue
            if t.kind == "word" and t.text.lower() == "oh":
                edge, k = k, k + step
                continue
            if _is_numberish(t):
                return True
            break
    return False


def _read_words(words: list[tuple[str, int]], toks: list[_Tok]) -> list[_Group]:
    """Split a stretch of number words into groups as a person reads digits aloud."""
    out: list[_Group] = []
    k = 0
    while k < len(words):
        w, j = words[k]
        start = toks[j].start
        # cardinal: X hundred [Y] / X thousand [...]
        if k + 1 < len(words) and words[k + 1][0] in ("hundred", "thousand"):
            m = k + 2
            while (
                m < len(words)
                and words[m][0] not in ("oh", "zero")
                and (
                    words[m][0] in ("hundred", "thousand")
                    or words[m - 1][0] in ("hundred", "thousand")
                    or (words[m][0] in UNITS and words[m - 1][0] in TENS)
                )
            ):
                m += 1
            value = words_to_int(" ".join(x for x, _ in words[k:m]))
            if value is not None:
                out.append(_Group(str(value), start, toks[words[m - 1][1]].end))
                k = m
                continue
        if (
            w in TENS
            and k + 1 < len(words)
            and words[k + 1][0] in UNITS
            and words[k + 1][0] not in ("oh", "zero")
        ):
            out.append(
                _Group(str(TENS[w] + UNITS[words[k + 1][0]]), start, toks[words[k + 1][1]].end)
            )
            k += 2
            continue
        if w in ("hundred", "thousand"):
            k += 1
            continue
        value = UNITS.get(w, TEENS.get(w, TENS.get(w, 0)))
        out.append(_Group(str(value), start, toks[j].end))
        k += 1
    return out


# ----------------------------------------------------------------------------- context

_CTX = re.compile(
    r"\b(?:"
    r"(?P<birth>date of birth|birth ?date|birthday|born|dob|d\.? ?o\.? ?b\b\.?)"
    r"|(?P<cardx>exp(?:iration|iry|ires)?|cvv|cvc|security code)"
    r"|(?P<ending>ending in|ends in|last (?:four|4) of (?:the |my |your )?card)"
    r"|(?P<lastfour>last (?:four|4))"
    r"|(?P<ssn>social security(?: number)?|social|ssn|s s n|ss number)"
    r"|(?P<card>card number|credit card|debit card|visa|master ?card|amex|american express"
    r"|discover|number on the front)"
    r"|(?P<mrn>medical record(?: number)?|mrn|m r n|mr number|chart(?: number)?"
    r"|record number|patient (?:id|number))"
    r"|(?P<member>member(?: id| number)?|subscriber(?: id)?|policy(?: number)?|group(?: number)?"
    r"|insurance id|medicaid(?: id)?|medicare(?: number)?|account(?: number)?|claim(?: number)?"
    r"|id on (?:my|the|your) card|id number|id)"
    r"|(?P<zip>zip(?: code)?|postal code)"
    r"|(?P<phone>phone|cell|number|call(?: me)?(?: back)?|callback|reach(?: me)?|text|mobile"
    r"|fax|contact)"
    r"|(?P<cardword>card)"
    r")\b",
    re.IGNORECASE,
)
_WINDOW = 60


def _contexts(text: str, pos: int) -> list[str]:
    """Cue classes before ``pos``, nearest first."""
    lo = max(0, pos - _WINDOW)
    found = [(m.end(), m.lastgroup or "") for m in _CTX.finditer(text, lo, pos)]
    return [k for _, k in sorted(found, reverse=True)]


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _as_date(digits: str) -> bool:
    """Could these digits be month-day-year (spoken '7 9 88', '12 15 67', '10 10 1970')?"""
    n = len(digits)
    if n == 4 and 1900 <= int(digits) <= 2099:
        return False  # a year alone
    for m_len in (1, 2):
        for d_len in (1, 2):
            y_len = n - m_len - d_len
            if y_len not in (2, 4):
                continue
            mo, da = int(digits[:m_len]), int(digits[m_len : m_len + d_len])
            if 1 <= mo <= 12 and 1 <= da <= 31:
                return True
    return False


# ----------------------------------------------------------------------------- detectors

_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")
_SPOKEN_EMAIL = re.compile(
    r"\b[a-z0-9]+(?:\s+(?:dot|underscore|dash|hyphen)\s+[a-z0-9]+)*\s+at\s+[a-z0-9-]+"
    r"(?:\s+dot\s+[a-z0-9-]+)*\s+dot\s+(?:com|net|org|edu|gov|us|io|co|info|biz)\b",
    re.IGNORECASE,
)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_MBI = re.compile(
    r"\b[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?"
    r"[AC-HJKMNP-RT-Y]{2}\d{2}\b"
)
_DOTTED_PHONE = re.compile(r"\b\d{3}\.\d{3}\.\d{4}\b")

# Dates. Each pattern names month/day/year groups (some optional).
_NUMERIC_DATE = re.compile(
    r"(?<![\d/.-])(?P<m>\d{1,2})(?P<sep>[/.-])(?P<d>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?![\d/-])"
)
_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")
_SHORT_DATE = re.compile(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?![\d/])")
_MONTH_DAY = re.compile(
    rf"\b(?P<mon>{_MONTH})\.?\s+(?:the\s+)?(?P<d>{_DAY})\b(?:,?\s+(?:of\s+)?(?P<y>{_YEAR})\b)?",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(
    rf"\b(?:the\s+)?(?P<d>{_DAY})\s+of\s+(?P<mon>{_MONTH})\b(?:,?\s+(?P<y>{_YEAR})\b)?",
    re.IGNORECASE,
)
_YEAR_FIRST = re.compile(
    rf"\b(?P<y>\d{{4}}|(?:nineteen|twenty)[\s-]+{_TWO}),?\s+(?P<mon>{_MONTH})\.?\s+"
    rf"(?:the\s+)?(?P<d>{_DAY})\b",
    re.IGNORECASE,
)
_MONTH_YEAR = re.compile(
    rf"\b(?P<mon>{_MONTH})\s+(?:of\s+)?(?P<y>\d{{4}}|{_SPOKEN_YEAR})\b", re.IGNORECASE
)

_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|drive|dr|lane|ln|boulevard|blvd|court|ct|way|place|pl"
    r"|circle|cir|terrace|ter|parkway|pkwy|highway|hwy|trail|trl|square|sq|loop|plaza)"
)
_STOP = (
    r"(?:the|of|us|will|and|to|at|in|on|for|a|an|is|was|my|your|i|we|you|it|that|this|or|but"
    r"|minutes?|hours?|days?|weeks?|months?|years?|units?|tablets?|pills?|times?|mg|milligrams?"
    r"|dollars?|pounds?|blocks?|miles?|kids?|people|of|can|could|would|should|then|me|him|her"
    r"|them|will|just|about|from|with|by|as|so|if|up|down|over)"
)
_NAME_WORD = rf"(?!{_STOP}\b)(?!{_STREET_SUFFIX}\b)[A-Za-z][A-Za-z'.-]*"
_SPOKEN_NUM = rf"(?:{_W}(?:[\s-]+(?:and[\s-]+)?{_W}){{0,6}})"
_ADDRESS = re.compile(
    rf"\b(?:\d{{1,6}}[A-Za-z]?|{_SPOKEN_NUM})\s+"
    rf"(?:(?:north|south|east|west|[NSEW]\.?)\s+)?"
    rf"(?:{_NAME_WORD}\s+){{1,3}}{_STREET_SUFFIX}\b\.?"
    r"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
    r"(?:,?\s+(?:apartment|apt\.?|unit|suite|ste\.?|#)\s*[\w-]+(?:\s+[a-z]+)?)?"
    # ", City[, ST | , State][,] 12345" (case matters here: "Oh" is not a state).
    r"(?:,\s+(?-i:[A-Z][a-z]+(?:\s[A-Z][a-z]+)*)(?:,\s+(?-i:[A-Z]{2}|[A-Z][a-z]+))?"
    r"(?:,?\s+\d{5}(?:-\d{4})?|(?<=[A-Z]{2})))?",
    re.IGNORECASE,
)
#: "Dayton, 45402", "Columbus, Ohio, 43215", "Springfield, IL 62704": a ZIP after a town.
_CITY_ZIP = re.compile(
    r"\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)*,\s+(?:(?:[A-Z]{2}|[A-Z][a-z]+),?\s+)?\d{5}(?:-\d{4})?\b"
)
_PO_BOX = re.compile(rf"\bp\.?\s?o\.?\s+box\s+(?:\d+|{_SPOKEN_NUM})\b", re.IGNORECASE)
_UNIT_TAIL = re.compile(r"\s+(?:apartment|apt|unit|suite)\s+(?:\w+)$", re.IGNORECASE)

_GAP = re.compile(r"(?:[\s,.\-/()+]|\bdash\b|\bhyphen\b)*")
_MONEY_AFTER = re.compile(r"\s*(?:dollars?|bucks|cents?|usd)\b", re.IGNORECASE)
_ID_PREFIX_EXCLUDE = {"ID", "MRN", "SSN", "DOB", "MR", "PO", "ZIP", "A", "I", "a", "i"}


class _Claims:
    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.blocked: list[tuple[int, int]] = []  # recognised non-PHI (an appointment date)

    def free(self, start: int, end: int) -> bool:
        return all(end <= s.start or start >= s.end for s in self.spans) and all(
            end <= b0 or start >= b1 for b0, b1 in self.blocked
        )

    def block(self, start: int, end: int) -> None:
        if self.free(start, end):
            self.blocked.append((start, end))

    def add(self, kind: Kind, start: int, end: int) -> None:
        if end > start and self.free(start, end):
            self.spans.append(Span(kind, start, end))


def _year_value(raw: str | None) -> int | None:
    if not raw:
        return None
    raw = raw.strip().lstrip("'")
    v = words_to_int(raw)
    if v is None:
        return None
    if (len(raw) == 2 and raw.isdigit()) or (v < 100 and not raw.isdigit()):
        v += 1900 if v > 25 else 2000  # two-digit years: '88 -> 1988, '05 -> 2005
    return v


def _date_kind(
    text: str, start: int, year: int | None, day: bool, month: bool, ref_year: int
) -> Kind | None:
    ctx = _contexts(text, start)
    if ctx and ctx[0] == "cardx" and year is None:
        return "card"  # "exp 09/28"
    if "birth" in ctx[:2] and (day or year is not None):
        return "dob"
    if day and month and year is not None and 1900 <= year < ref_year:
        return "dob"
    return None


def _find_dates(text: str, claims: _Claims, ref_year: int) -> None:
    for rx in (_ISO_DATE, _NUMERIC_DATE):
        for m in rx.finditer(text):
            mo, da = int(m.group("m")), int(m.group("d"))
            if not (1 <= mo <= 12 and 1 <= da <= 31):
                continue
            kind = _date_kind(text, m.start(), _year_value(m.group("y")), True, True, ref_year)
            if kind:
                claims.add(kind, m.start(), m.end())
            else:  # keep it out of the digit runs either way
                claims.block(m.start(), m.end())
    for rx in (_YEAR_FIRST, _MONTH_DAY, _DAY_MONTH):
        for m in rx.finditer(text):
            if (
                m.group("mon").lower() in ("may", "mar")
                and not m.group("y")
                and not re.fullmatch(
                    r"\d{1,2}(?:st|nd|rd|th)?|\w+(?:st|nd|rd|th)", m.group("d"), re.IGNORECASE
                )
            ):
                continue  # "may one", "mar two": verbs more often than months
            day = words_to_int(m.group("d"))
            if day is None or not 1 <= day <= 31:
                continue
            year = _year_value(m.group("y"))
            kind = _date_kind(text, m.start(), year, True, True, ref_year)
            if kind:
                claims.add(kind, m.start(), m.end())
            else:
                claims.block(m.start(), m.end())
    for m in _MONTH_YEAR.finditer(text):
        year = _year_value(m.group("y"))
        if year and claims.free(m.start(), m.end()):
            ctx = _contexts(text, m.start())
            if "birth" in ctx[:2]:
                claims.add("dob", m.start(), m.end())
    for m in _SHORT_DATE.finditer(text):
        mo, da = int(m.group("m")), int(m.group("d"))
        if 1 <= mo <= 12 and 1 <= da <= 31 and claims.free(m.start(), m.end()):
            kind = _date_kind(text, m.start(), None, True, True, ref_year)
            if kind:
                claims.add(kind, m.start(), m.end())
            else:
                claims.block(m.start(), m.end())


def _classify_run(text: str, digits: str, start: int, letters: bool) -> Kind | None:
    n = len(digits)
    if 13 <= n <= 19 and _luhn(digits) and not letters:
        return "card"
    for ctx in _contexts(text, start):
        if ctx == "birth" and _as_date(digits):
            return "dob"
        if ctx == "cardx" and 3 <= n <= 4:
            return "card"
        if ctx == "ending" and n == 4:
            return "card"
        if ctx == "zip" and n in (5, 9):
            return "address"
        if ctx in ("ssn", "lastfour") and (n == 9 or n == 4):
            return "ssn" if ctx == "ssn" or "ssn" in _contexts(text, start) else "card"
        if ctx in ("card", "cardword") and n >= 12:
            return "card"
        if ctx == "mrn" and n >= 5:
            return "mrn"
        if ctx == "member" and n >= 5:
            return "member_id"
        if ctx == "phone" and n in (7, 10, 11):
            return "phone"
    if n == 10 or (n == 11 and digits[0] == "1"):
        return "phone"
    if n >= 6 or (letters and n >= 5):
        return "id_number"
    return None


def _find_runs(text: str, claims: _Claims) -> None:
    toks = [t for t in _tokens(text) if claims.free(t.start, t.end)]
    groups = _number_groups(toks)
    runs: list[list[_Group]] = []
    for g in groups:
        if runs:
            prev = runs[-1][-1]
            gap = text[prev.end : g.start]
            if len(gap) <= 10 and _GAP.fullmatch(gap) and claims.free(prev.end, g.start):
                runs[-1].append(g)
                continue
        runs.append([g])
    for run in runs:
        digits = "".join(g.digits for g in run)
        start, end = run[0].start, run[-1].end
        if text[max(0, start - 2) : start].strip().endswith("$") or _MONEY_AFTER.match(text, end):
            continue
        gaps = [text[a.end : b.start] for a, b in itertools.pairwise(run)]
        if gaps and all(g == ", " for g in gaps) and all(len(g.digits) >= 2 for g in run):
            continue  # "12, 15, 17 and 19", "twenty five, fifty, seventy five mg": a list
        letters = any(g.letters for g in run)
        kind = _classify_run(text, digits, start, letters)
        if kind is None:
            continue
        if kind in ("mrn", "member_id", "id_number"):
            start = _extend_id_prefix(text, start)
        if text[start - 1 : start] == "(" and kind == "phone":
            start -= 1
        claims.add(kind, start, end)


_PREFIX_TOKEN = re.compile(r"([A-Za-z]{1,4})([\s-]?)$")


def _extend_id_prefix(text: str, start: int) -> int:
    """Take in letters said or written before an ID's digits: 'W two eight...', 'ZGP 4417'."""
    for _ in range(4):
        m = _PREFIX_TOKEN.search(text, 0, start)
        if not m:
            break
        word = m.group(1)
        before = text[m.start() - 1 : m.start()] if m.start() else ""
        if before.isalnum() or word in _ID_PREFIX_EXCLUDE:
            break
        if not (len(word) == 1 or word.isupper()):
            break
        start = m.start()
    return start


def find_phi(text: str, *, today: dt.date | None = None) -> list[Span]:
    """Every PHI span found in ``text``, sorted by start."""
    ref_year = (today or dt.date.today()).year
    claims = _Claims()
    for m in _EMAIL.finditer(text):
        claims.add("email", m.start(), m.end())
    for m in _SPOKEN_EMAIL.finditer(text):
        claims.add("email", m.start(), m.end())
    for m in _SSN.finditer(text):
        claims.add("ssn", m.start(), m.end())
    for m in _MBI.finditer(text):
        claims.add("member_id", m.start(), m.end())
    for m in _DOTTED_PHONE.finditer(text):
        claims.add("phone", m.start(), m.end())
    _find_dates(text, claims, ref_year)
    for rx in (_PO_BOX, _ADDRESS, _CITY_ZIP):
        for m in rx.finditer(text):
            claims.add("address", m.start(), m.end())
    _find_runs(text, claims)
    return sorted(claims.spans, key=lambda s: s.start)


def redact(
    text: str, kinds: Iterable[Kind] = ALL_KINDS, *, today: dt.date | None = None
) -> RedactedText:
    """Mask the spans of ``kinds`` as ``[KIND]`` (``[ID]`` for the unknown-kind numbers)."""
    wanted = frozenset(kinds)
    if not wanted or not text:
        return RedactedText(text, ())
    spans = [s for s in find_phi(text, today=today) if s.kind in wanted]
    out, pos = [], 0
    for s in spans:
        out.append(text[pos : s.start])
        out.append("[ID]" if s.kind == "id_number" else f"[{s.kind.upper()}]")
        pos = s.end
    out.append(text[pos:])
    return RedactedText("".join(out), tuple(spans))


# ----------------------------------------------------------------------------- policy

#: Which kinds each audience sees masked. Live agents and supervisors need the caller's
#: details to do (or rescue) the call: verification, callbacks; the recorded-call library,
#: debrief reports, admins reading call data and exports mask everything.
#: Configurable: ``policy_kinds(audience, overrides)`` with overrides from settings.
DEFAULT_POLICY: dict[str, frozenset[Kind]] = {
    "agent": frozenset(),
    "supervisor": frozenset(),  # live monitoring; in the library they see trainer masking
    "trainer": ALL_KINDS,
    "admin": ALL_KINDS,
    "export": ALL_KINDS,
}


def policy_kinds(
    audience: str, overrides: dict[str, list[str]] | None = None
) -> frozenset[Kind]:
    """The kinds to mask for ``audience``; an unknown audience gets everything masked."""
    if overrides and audience in overrides:
        unknown = set(overrides[audience]) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown redaction kinds for {audience}: {sorted(unknown)}")
        return frozenset(k for k in KINDS if k in overrides[audience])
    return DEFAULT_POLICY.get(audience, ALL_KINDS)


def kinds_for_roles(
    roles: Iterable[str], overrides: dict[str, list[str]] | None = None
) -> frozenset[Kind]:
    """Masking for a person holding ``roles``: the least masking among them (an agent
    who is also an admin sees their own call as an agent does). No roles: everything."""
    sets = [policy_kinds(r, overrides) for r in roles]
    return frozenset.intersection(*sets) if sets else ALL_KINDS


#: JSON keys that hold identifiers or codes, never free text (left as they are).
_KEEP_KEYS = frozenset({"id", "kind", "speaker", "severity", "state", "agent", "source",
                        "verdict", "username", "reason", "end_reason", "format", "rule"})


def _mask_words(text: str, spans: tuple[Span, ...], words: list[Any]) -> list[Any]:
    """Words ([text, start, end, conf] or {"text": ...}) overlapping masked spans get the
    span's mask; if a word cannot be placed in the text, no words are kept (fail closed)."""
    out: list[Any] = []
    low = text.lower()
    cursor = 0
    for w in words:
        if isinstance(w, list | tuple):
            wt = w[0]
        else:
            wt = w.get("text", "") if isinstance(w, dict) else ""
        core = str(wt).strip().strip(".,?!;:\"'").lower()
        pos = low.find(core, cursor) if core else -1
        if pos < 0:
            return []
        end = pos + len(core)
        cursor = end
        hit = next((sp for sp in spans if pos < sp.end and end > sp.start), None)
        if hit is None:
            out.append(w)
            continue
        mask = "[ID]" if hit.kind == "id_number" else f"[{hit.kind.upper()}]"
        if isinstance(w, list | tuple):
            out.append([mask, *list(w)[1:]])
        else:
            out.append({**w, "text": mask})
    return out


def redact_json(obj: Any, kinds: Iterable[Kind], *, today: dt.date | None = None) -> Any:
    """A copy of a JSON-like value with free text masked: every string except identifier
    keys (``*_id``, ``*_at``, ids, kinds...), and the ``words`` beside a ``text``."""
    wanted = frozenset(kinds)
    if not wanted:
        return obj

    def walk(v: Any, key: str = "") -> Any:
        if isinstance(v, str):
            if key in _KEEP_KEYS or key.endswith("_id") or key.endswith("_at"):
                return v
            return redact(v, wanted, today=today).text
        if isinstance(v, list):
            return [walk(x, key) for x in v]
        if isinstance(v, dict):
            out = {k: walk(x, k) for k, x in v.items() if k != "words"}
            if "words" in v:
                text = v.get("text")
                if isinstance(text, str):
                    r = redact(text, wanted, today=today)
                    out["words"] = _mask_words(text, r.spans, list(v["words"])) if r.spans \
                        else v["words"]
                else:
                    out["words"] = []
            return out
        return v

    return walk(obj)
