"""Text normalisation for word error rates (pure): case, punctuation, numbers, fillers.

Whisper writes "6 spoons" and "Dr."; scripts say "six spoons" and "doctor". Both
sides go through :func:`normalize` before jiwer, so WER counts words, not styling.
"""

from __future__ import annotations

import re

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORD = {
    "one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth",
    "nine": "ninth", "twelve": "twelfth",
}
_FILLERS = {"uh", "um", "uhm", "umm", "hmm", "mm", "er", "ah", "eh", "mhm"}
_ABBREV = {"dr": "doctor", "mr": "mister", "mrs": "missus", "ms": "miss", "st": "saint",
           "ok": "okay", "mg": "milligram"}


def number_words(n: int) -> str:
    """0..999,999 as words ("one hundred twenty three"); larger stay digit by digit."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        tail = "" if rest == 0 else " " + number_words(rest)
        return number_words(n // 1000) + " thousand" + tail
    return " ".join(_ONES[int(d)] for d in str(n))


def _ordinal(words: str) -> str:
    head, _, last = words.rpartition(" ")
    if last in _ORD:
        last = _ORD[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head} {last}".strip()


def _year(n: int) -> str:
    # 1962 -> nineteen sixty two; 2005 -> two thousand five
    if 1100 <= n <= 1999 or 2010 <= n <= 2099:
        hi, lo = divmod(n, 100)
        return number_words(hi) + (" hundred" if lo == 0 else " " + number_words(lo))
    return number_words(n)


def _numbers(text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        digits, suffix = m.group(1).replace(",", ""), (m.group(2) or "").lower()
        n = int(digits)
        words = _year(n) if len(digits) == 4 and not suffix else number_words(n)
        return f" {_ordinal(words) if suffix else words} "

    text = re.sub(r"(\d+):(\d\d)", lambda m: f" {m.group(1)} {m.group(2)} ", text)
    text = re.sub(r"\$(\d[\d,]*)", r" \1 dollars ", text)
    text = re.sub(r"(\d+)%", r" \1 percent ", text)
    return re.sub(r"(\d[\d,]*)(st|nd|rd|th)?\b", repl, text)


def normalize(text: str) -> str:
    """Lower-case words only, numbers spelled out, fillers and punctuation gone."""
    text = _numbers(text.lower())
    text = text.replace("&", " and ").replace("-", " ").replace("’", "'")
    text = re.sub(r"[^a-z' ]+", " ", text)
    out = []
    for w in text.split():
        w = w.strip("'")
        if not w or w in _FILLERS:
            continue
        out.append(_ABBREV.get(w, w))
    return " ".join(out)
