"""Authenticating the phone systems that stream call audio to us.

- Twilio Media Streams: ``X-Twilio-Signature`` on the websocket upgrade, HMAC-SHA1 keyed
  by the account auth token over the full URL (query string included) followed by the
  POST parameters sorted by name, each as name+value (an upgrade has none), base64.
- Genesys AudioHook: ``X-API-KEY`` plus an HTTP Message Signature (RFC 9421 as Genesys
  uses it): ``Signature-Input``/``Signature`` headers, ``hmac-sha256`` keyed by the
  base64-decoded client secret, covering ``@request-target``, ``@authority``, the three
  ``audiohook-*`` ids and ``x-api-key``; ``created``/``expires`` checked against our
  clock with a small skew allowance; the ``nonce`` may be used once.
- Plain PCM socket: a per-integration bearer token; only its SHA-256 is configured.

Every check compares in constant time and returns a :class:`SignatureCheck` whose
``reason`` is a short code safe to log (no secrets, no PHI).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from app.security.structured_fields import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    parse_dictionary,
    serialize_inner_list,
    serialize_item,
)

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    ok: bool
    reason: str  # short machine code: "ok", "missing", "mismatch", "expired", "replayed", ...
    integration: str | None = None

    def __bool__(self) -> bool:  # pragma: no cover - convenience
        return self.ok


def _fail(reason: str) -> SignatureCheck:
    return SignatureCheck(False, reason)


# --------------------------------------------------------------------------- replay


class NonceCache:
    """Remembers nonces (or stream ids) for ``ttl_s``; ``add`` is False for a repeat."""

    def __init__(self, ttl_s: float = 600.0, max_items: int = 100_000, clock: Clock = time.time):
        self.ttl_s = ttl_s
        self.max_items = max_items
        self.clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def add(self, nonce: str) -> bool:
        now = self.clock()
        while self._seen:
            first, ts = next(iter(self._seen.items()))
            if ts > now - self.ttl_s and len(self._seen) < self.max_items:
                break
            self._seen.pop(first)
        if nonce in self._seen:
            return False
        self._seen[nonce] = now
        return True


# --------------------------------------------------------------------------- Twilio


def twilio_signature(
    auth_token: str, url: str, params: Mapping[str, str] | Iterable[tuple[str, str]] = ()
) -> str:
    """Twilio's request signature: base64(HMAC-SHA1(token, url + sorted name+value pairs))."""
    pairs = sorted(params.items() if isinstance(params, Mapping) else params)
    data = url + "".join(k + v for k, v in pairs)
    mac = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(mac).decode("ascii")


def _url_variants(url: str) -> list[str]:
    """The URL as given plus with/without the default port (Twilio's SDKs try both)."""
    from urllib.parse import urlsplit, urlunsplit

    out = [url]
    parts = urlsplit(url)
    default = {"https": 443, "wss": 443, "http": 80, "ws": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is None and default is not None:
        out.append(urlunsplit(parts._replace(netloc=f"{host}:{default}")))
    elif parts.port == default:
        out.append(urlunsplit(parts._replace(netloc=host)))
    return out


def verify_twilio(
    auth_tokens: Iterable[str],
    candidate_urls: Iterable[str],
    signature: str | None,
    params: Mapping[str, str] | Iterable[tuple[str, str]] = (),
) -> SignatureCheck:
    """Accept when any configured token signs any candidate URL to ``signature``.

    Several tokens allow rotation (primary and secondary auth token); several URLs cover
    the proxy question (the URL Twilio dialled vs the one we see).
    """
    if not signature:
        return _fail("missing")
    if len(signature) > 100:
        return _fail("malformed")
    pairs = list(params.items() if isinstance(params, Mapping) else params)
    presented = signature.encode("ascii", "replace")
    matched = False
    for token in auth_tokens:
        for url in candidate_urls:
            for variant in _url_variants(url):
                expected = twilio_signature(token, variant, pairs)
                # Evaluate every comparison: no early exit on the first match.
                matched |= hmac.compare_digest(expected.encode(), presented)
    return SignatureCheck(True, "ok", "twilio") if matched else _fail("mismatch")


# --------------------------------------------------------------------------- AudioHook

AUDIOHOOK_REQUIRED = (
    "@request-target",
    "@authority",
    "audiohook-organization-id",
    "audiohook-session-id",
    "audiohook-correlation-id",
    "x-api-key",
)
MIN_NONCE_LENGTH = 22  # Genesys' reference server refuses shorter nonces


def _canon(value: str) -> str:
    # RFC 9421 §2.1: strip leading/trailing whitespace, obs-fold to a single space.
    return " ".join(value.strip().replace("\r\n", " ").split(" ")) if value else value


def signature_base(
    components: InnerList, headers: Mapping[str, str], derived: Mapping[str, str]
) -> str:
    """RFC 9421 §2.5: one ``"name": value`` line per covered component, then
    ``"@signature-params"`` with the serialised inner list. Raises KeyError if a
    component cannot be resolved and ValueError for unsupported components."""
    lines: list[str] = []
    seen: set[str] = set()
    for item in components.items:
        name = item.value
        if not isinstance(name, str) or item.params:
            raise ValueError("unsupported component")
        if name in seen or name == "@signature-params":
            raise ValueError("duplicate or forbidden component")
        seen.add(name)
        if name.startswith("@"):
            value = derived[name]
        else:
            if name in ("signature", "signature-input"):
                raise ValueError("unsupported component")
            value = _canon(headers[name])
        lines.append(f"{serialize_item(Item(name))}: {value}")
    lines.append(f'"@signature-params": {serialize_inner_list(components)}')
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class AudioHookCredential:
    """An AudioHook integration: its API key and client secret (base64, as Genesys shows it).

    ``client_secret_b64=None`` accepts unsigned upgrades carrying the API key alone (what
    Genesys sends when no client secret is configured): weaker, say so in the settings.
    """

    name: str
    api_key: str
    client_secret_b64: str | None

    @property
    def secret(self) -> bytes | None:
        return None if self.client_secret_b64 is None else base64.b64decode(self.client_secret_b64)


def verify_audiohook(
    headers: Mapping[str, str],
    *,
    request_target: str,
    authority: str | None,
    credentials: Iterable[AudioHookCredential],
    nonces: NonceCache,
    now: float | None = None,
    max_age_s: float = 30.0,
    max_skew_s: float = 5.0,
) -> SignatureCheck:
    """Verify a Genesys AudioHook upgrade. ``headers`` keys must be lower-case."""
    now = time.time() if now is None else now
    api_key = headers.get("x-api-key")
    if not api_key:
        return _fail("missing_api_key")
    cred = None
    for c in credentials:
        if hmac.compare_digest(c.api_key.encode(), api_key.encode("utf-8", "replace")):
            cred = c
    sig_input_raw = headers.get("signature-input")
    sig_raw = headers.get("signature")
    if not sig_input_raw and not sig_raw:
        if cred is not None and cred.secret is None:
            return SignatureCheck(True, "ok_unsigned", cred.name)
        return _fail("unsigned")
    if not sig_input_raw or not sig_raw:
        return _fail("malformed")
    try:
        inputs = parse_dictionary(sig_input_raw)
        sigs = parse_dictionary(sig_raw)
    except StructuredFieldError:
        return _fail("malformed")
    if not inputs:
        return _fail("malformed")
    label, components = next(iter(inputs.items()))
    sig_item = sigs.get(label)
    if not isinstance(components, InnerList) or not isinstance(sig_item, Item):
        return _fail("malformed")
    if not isinstance(sig_item.value, bytes):
        return _fail("malformed")
    params = dict(components.params)
    allowed = {"alg", "created", "expires", "keyid", "nonce"}
    if not set(params) <= allowed:
        return _fail("malformed")
    created, expires = params.get("created"), params.get("expires")
    keyid, nonce, alg = params.get("keyid"), params.get("nonce"), params.get("alg", "hmac-sha256")
    if isinstance(alg, Token):
        alg = alg.value
    if alg != "hmac-sha256":
        return _fail("unsupported_alg")
    if not isinstance(created, int) or isinstance(created, bool):
        return _fail("missing_created")
    if expires is not None and (not isinstance(expires, int) or isinstance(expires, bool)):
        return _fail("malformed")
    if created > now + max_skew_s:
        return _fail("from_future")
    if created + max_age_s < now - max_skew_s:
        return _fail("expired")
    if expires is not None and expires < now - max_skew_s:
        return _fail("expired")
    if not isinstance(nonce, str) or len(nonce) < MIN_NONCE_LENGTH:
        return _fail("bad_nonce")
    if not isinstance(keyid, str) or not hmac.compare_digest(keyid.encode(), api_key.encode()):
        return _fail("keyid_mismatch")
    covered = {i.value for i in components.items}
    if not set(AUDIOHOOK_REQUIRED) <= covered:
        return _fail("components_missing")
    derived = {"@request-target": request_target}
    if authority is not None:
        derived["@authority"] = authority
    elif "host" in headers:
        derived["@authority"] = _canon(headers["host"]).lower()
    try:
        base = signature_base(components, headers, derived)
    except (KeyError, ValueError):
        return _fail("components_missing")
    # An unknown key is still checked against a random key so timing does not tell.
    key = cred.secret if cred is not None and cred.secret is not None else secrets.token_bytes(32)
    expected = hmac.new(key, base.encode("utf-8"), hashlib.sha256).digest()
    good = hmac.compare_digest(expected, sig_item.value)
    if not good or cred is None or cred.secret is None:
        return _fail("mismatch")
    # The nonce is burnt only by a valid signature, so a forger cannot burn real ones.
    if not nonces.add(f"audiohook:{nonce}"):
        return _fail("replayed")
    return SignatureCheck(True, "ok", cred.name)


# --------------------------------------------------------------------------- PCM tokens


def hash_token(token: str) -> str:
    """What the settings store for a PCM integration token (the token is random: SHA-256
    suffices, a slow hash would only slow every connection)."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh integration token and its hash."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def verify_bearer(authorization: str | None, token_hashes: Mapping[str, str]) -> SignatureCheck:
    """``Authorization: Bearer <token>`` against ``{integration name: hash}``."""
    if not authorization:
        return _fail("missing")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        return _fail("malformed")
    presented = hash_token(token.strip()).encode()
    found: str | None = None
    for name, stored in token_hashes.items():
        if hmac.compare_digest(presented, stored.encode()):
            found = name
    return SignatureCheck(True, "ok", found) if found else _fail("mismatch")
