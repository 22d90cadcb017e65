"""The small part of RFC 8941 (Structured Field Values) that HTTP message signatures need.

Parses Dictionaries whose members are Items or Inner Lists (``Signature-Input``,
``Signature``) and serialises Inner Lists back, so the ``@signature-params`` line
is rebuilt from what was parsed rather than copied from the wire.
"""

from __future__ import annotations

import base64
import binascii
import re
import string
from dataclasses import dataclass, field

_KEY_START = set(string.ascii_lowercase + "*")
_KEY_CHARS = set(string.ascii_lowercase + string.digits + "_-.*")
_TOKEN_START = set(string.ascii_letters + "*")
_TOKEN_CHARS = set(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~:/")
_MAX_FIELD = 8192


class StructuredFieldError(ValueError):
    """The field is not a valid structured field of the expected type."""


@dataclass(frozen=True, slots=True)
class Token:
    value: str


BareItem = int | str | bytes | bool | Token


@dataclass(frozen=True, slots=True)
class Item:
    value: BareItem
    params: tuple[tuple[str, BareItem], ...] = ()


@dataclass(frozen=True, slots=True)
class InnerList:
    items: tuple[Item, ...]
    params: tuple[tuple[str, BareItem], ...] = field(default=())


class _Parser:
    def __init__(self, text: str) -> None:
        if len(text) > _MAX_FIELD:
            raise StructuredFieldError("field too long")
        self.s = text.strip(" ")
        self.i = 0

    def peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def eat(self, ch: str) -> None:
        if self.peek() != ch:
            raise StructuredFieldError(f"expected {ch!r} at {self.i}")
        self.i += 1

    def ows(self) -> None:
        while self.peek() in (" ", "\t") and self.peek():
            self.i += 1

    def sp(self) -> None:
        while self.peek() == " ":
            self.i += 1

    def key(self) -> str:
        if self.peek() not in _KEY_START or not self.peek():
            raise StructuredFieldError(f"bad key at {self.i}")
        start = self.i
        while self.peek() and self.peek() in _KEY_CHARS:
            self.i += 1
        return self.s[start : self.i]

    def bare_item(self) -> BareItem:
        c = self.peek()
        if c == '"':
            return self.string()
        if c == ":":
            return self.byte_sequence()
        if c == "?":
            self.i += 1
            b = self.peek()
            if b not in ("0", "1") or not b:
                raise StructuredFieldError("bad boolean")
            self.i += 1
            return b == "1"
        if c and (c.isdigit() or c == "-"):
            return self.integer()
        if c and c in _TOKEN_START:
            start = self.i
            while self.peek() and self.peek() in _TOKEN_CHARS:
                self.i += 1
            return Token(self.s[start : self.i])
        raise StructuredFieldError(f"bad item at {self.i}")

    def string(self) -> str:
        self.eat('"')
        out: list[str] = []
        while True:
            c = self.peek()
            if not c:
                raise StructuredFieldError("unterminated string")
            self.i += 1
            if c == "\\":
                n = self.peek()
                if n not in ('"', "\\") or not n:
                    raise StructuredFieldError("bad escape")
                out.append(n)
                self.i += 1
            elif c == '"':
                return "".join(out)
            elif ord(c) < 0x20 or ord(c) > 0x7E:
                raise StructuredFieldError("bad character in string")
            else:
                out.append(c)

    def byte_sequence(self) -> bytes:
        self.eat(":")
        end = self.s.find(":", self.i)
        if end < 0:
            raise StructuredFieldError("unterminated byte sequence")
        chunk = self.s[self.i : end]
        if not re.fullmatch(r"[A-Za-z0-9+/=]*", chunk):
            raise StructuredFieldError("bad byte sequence")
        self.i = end + 1
        try:
            return base64.b64decode(chunk, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise StructuredFieldError("bad base64") from exc

    def integer(self) -> int:
        m = re.compile(r"-?\d{1,15}").match(self.s, self.i)
        if not m:
            raise StructuredFieldError("bad integer")
        if self.s[m.end() : m.end() + 1] == ".":
            raise StructuredFieldError("decimals are not supported here")
        self.i = m.end()
        return int(m.group())

    def params(self) -> tuple[tuple[str, BareItem], ...]:
        out: list[tuple[str, BareItem]] = []
        while self.peek() == ";":
            self.i += 1
            self.sp()
            k = self.key()
            v: BareItem = True
            if self.peek() == "=":
                self.i += 1
                v = self.bare_item()
            out = [(kk, vv) for kk, vv in out if kk != k]
            out.append((k, v))
        return tuple(out)

    def item_or_inner_list(self) -> Item | InnerList:
        if self.peek() == "(":
            self.i += 1
            items: list[Item] = []
            while True:
                self.sp()
                if self.peek() == ")":
                    self.i += 1
                    return InnerList(tuple(items), self.params())
                if not self.peek():
                    raise StructuredFieldError("unterminated inner list")
                value = self.bare_item()
                items.append(Item(value, self.params()))
                if self.peek() not in (" ", ")"):
                    raise StructuredFieldError("bad inner list")
        value = self.bare_item()
        return Item(value, self.params())

    def dictionary(self) -> dict[str, Item | InnerList]:
        out: dict[str, Item | InnerList] = {}
        if not self.s:
            return out
        while True:
            k = self.key()
            if self.peek() == "=":
                self.i += 1
                out[k] = self.item_or_inner_list()
            else:
                out[k] = Item(True, self.params())
            self.ows()
            if not self.peek():
                return out
            self.eat(",")
            self.ows()
            if not self.peek():
                raise StructuredFieldError("trailing comma")


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    """Parse an RFC 8941 Dictionary; raise :class:`StructuredFieldError` when malformed."""
    return _Parser(text).dictionary()


def serialize_bare_item(v: BareItem) -> str:
    if isinstance(v, bool):
        return "?1" if v else "?0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, bytes):
        return ":" + base64.b64encode(v).decode("ascii") + ":"
    if isinstance(v, Token):
        return v.value
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: tuple[tuple[str, BareItem], ...]) -> str:
    out = []
    for k, v in params:
        out.append(f";{k}" if v is True else f";{k}={serialize_bare_item(v)}")
    return "".join(out)


def serialize_item(item: Item) -> str:
    return serialize_bare_item(item.value) + serialize_params(item.params)


def serialize_inner_list(lst: InnerList) -> str:
    return "(" + " ".join(serialize_item(i) for i in lst.items) + ")" + serialize_params(lst.params)
