"""Phone-system authentication against the real algorithms and published vectors."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from app.security.signatures import (
    AudioHookCredential,
    NonceCache,
    hash_token,
    new_token,
    twilio_signature,
    verify_audiohook,
    verify_bearer,
    verify_twilio,
)
from app.security.structured_fields import StructuredFieldError, parse_dictionary

# Twilio's documented example (docs "Validating requests" / every official SDK's tests).
TW_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
TW_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
TW_SIG = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_documented_vector() -> None:
    assert twilio_signature("12345", TW_URL, TW_PARAMS) == TW_SIG
    assert verify_twilio(["12345"], [TW_URL], TW_SIG, TW_PARAMS).ok


def test_twilio_signature_computed_by_hand_for_a_websocket_upgrade() -> None:
    url = "wss://heard.example.org/ingest/twilio?tenant=north"
    mac = hmac.new(b"tok3n", url.encode(), hashlib.sha1).digest()
    by_hand = base64.b64encode(mac).decode()
    assert twilio_signature("tok3n", url) == by_hand
    assert verify_twilio(["other", "tok3n"], [url], by_hand).ok
    # Twilio SDKs accept the URL with the default port spelled out too.
    assert verify_twilio(["tok3n"], ["wss://heard.example.org:443/ingest/twilio?tenant=north"],
                         by_hand).ok


@pytest.mark.parametrize(
    "mutate",
    [
        lambda u, p, s: (u.replace("foo=1", "foo=2"), p, s),  # query string is covered
        lambda u, p, s: (u, {**p, "Digits": "1235"}, s),  # params are covered
        lambda u, p, s: (u, p, s[:-2] + "A="),  # forged signature
        lambda u, p, s: (u, p, ""),  # missing
        lambda u, p, s: (u, p, "x" * 500),  # oversized
        lambda u, p, s: (u, p, "é" * 10),  # non-ascii
    ],
)
def test_twilio_refuses_tampering(mutate) -> None:  # type: ignore[no-untyped-def]
    url, params, sig = mutate(TW_URL, TW_PARAMS, TW_SIG)
    assert not verify_twilio(["12345"], [url], sig, params).ok
    assert not verify_twilio(["wrong-token"], [TW_URL], TW_SIG, TW_PARAMS).ok


# Genesys AudioHook documentation example (also in Genesys' reference implementation tests).
AH_KEY = "SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh"
AH_SECRET = "TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU="
AH_INPUT = (
    'sig1=("@request-target" "@authority" "audiohook-organization-id" "audiohook-session-id" '
    '"audiohook-correlation-id" "x-api-key");keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";'
    'nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";alg="hmac-sha256";created=1641013200;expires=3282026430'
)
AH_HEADERS = {
    "host": "audiohook.example.com",
    "audiohook-organization-id": "d7934305-0972-4844-938e-9060eef73d05",
    "audiohook-session-id": "30b0e395-84d3-4570-ac13-9a62d8f514c0",
    "audiohook-correlation-id": "e160e428-53e2-487c-977d-96989bf5c99d",
    "x-api-key": AH_KEY,
    "signature": "sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:",
    "signature-input": AH_INPUT,
}
AH_TARGET = "/api/v1/voicebiometrics/ws"
CRED = AudioHookCredential("genesys-prod", AH_KEY, AH_SECRET)


def _verify(headers, *, now=1641013205.0, nonces=None, target=AH_TARGET):  # type: ignore[no-untyped-def]
    return verify_audiohook(
        headers, request_target=target, authority=None, credentials=[CRED],
        nonces=nonces or NonceCache(clock=lambda: now), now=now,
    )


def test_audiohook_documented_example_verifies() -> None:
    result = _verify(AH_HEADERS)
    assert result.ok and result.integration == "genesys-prod"


def test_audiohook_signature_base_built_by_hand() -> None:
    """RFC 9421 §2.5 signature base written out literally, signed, and verified."""
    h = dict(AH_HEADERS)
    params = (
        ';keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="bm9uY2Utbm9uY2Utbm9uY2UtMTIzNA";'
        'alg="hmac-sha256";created=1700000000;expires=1700000060'
    )
    covered = ('("@request-target" "@authority" "audiohook-organization-id" '
               '"audiohook-session-id" "audiohook-correlation-id" "x-api-key")')
    base = (
        '"@request-target": /audiohook/ws?x=1\n'
        '"@authority": audiohook.example.com\n'
        '"audiohook-organization-id": d7934305-0972-4844-938e-9060eef73d05\n'
        '"audiohook-session-id": 30b0e395-84d3-4570-ac13-9a62d8f514c0\n'
        '"audiohook-correlation-id": e160e428-53e2-487c-977d-96989bf5c99d\n'
        '"x-api-key": SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh\n'
        f'"@signature-params": {covered}{params}'
    )
    mac = hmac.new(base64.b64decode(AH_SECRET), base.encode(), hashlib.sha256).digest()
    h["signature-input"] = f"sig1={covered}{params}"
    h["signature"] = "sig1=:" + base64.b64encode(mac).decode() + ":"
    assert _verify(h, now=1700000001.0, target="/audiohook/ws?x=1").ok
    # The request target (path and query) is covered.
    assert _verify(h, now=1700000001.0, target="/audiohook/ws?x=2").reason == "mismatch"


def test_audiohook_replay_refused() -> None:
    nonces = NonceCache(clock=lambda: 1641013205.0)
    assert _verify(AH_HEADERS, nonces=nonces).ok
    assert _verify(AH_HEADERS, nonces=nonces).reason == "replayed"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"x-api-key": "bm90LXRoZS1rZXk="}, "keyid_mismatch"),
        ({"audiohook-session-id": "00000000-84d3-4570-ac13-9a62d8f514c0"}, "mismatch"),
        ({"host": "evil.example.com"}, "mismatch"),
        ({"signature": "sig1=:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=:"}, "mismatch"),
        ({"signature": "sig1=:not base64!:"}, "malformed"),
        ({"signature-input": "sig1=(\"@authority\""}, "malformed"),
        ({"signature-input": AH_INPUT.replace('"x-api-key")', ')')}, "components_missing"),
        ({"signature-input": AH_INPUT.replace("hmac-sha256", "rsa-pss-sha512")}, "unsupported_alg"),
        ({"signature-input": AH_INPUT.replace("VGhpc0lzQVVuaXF1ZU5vbmNl", "short")}, "bad_nonce"),
        ({"signature": None, "signature-input": None}, "unsigned"),
        ({"x-api-key": None}, "missing_api_key"),
    ],
)
def test_audiohook_refusals(change, reason) -> None:  # type: ignore[no-untyped-def]
    h = {k: v for k, v in {**AH_HEADERS, **change}.items() if v is not None}
    result = _verify(h)
    assert not result.ok and result.reason == reason


def test_audiohook_clock_checks() -> None:
    assert _verify(AH_HEADERS, now=1641013200 - 60).reason == "from_future"
    assert _verify(AH_HEADERS, now=1641013200 + 3600).reason == "expired"
    assert _verify(AH_HEADERS, now=1641013200 + 3).ok


def test_audiohook_unknown_key_fails_even_with_valid_signature_shape() -> None:
    other = AudioHookCredential("x", "b3RoZXI=", AH_SECRET)
    r = verify_audiohook(AH_HEADERS, request_target=AH_TARGET, authority=None,
                         credentials=[other], nonces=NonceCache(), now=1641013205.0)
    assert r.reason == "mismatch"


def test_structured_field_parser_rejects_garbage() -> None:
    for bad in ['sig1=("a" "b"', "sig1=:abc", 'SIG=("a")', "sig1=(\"a\"),", "x" * 9000]:
        with pytest.raises(StructuredFieldError):
            parse_dictionary(bad)


def test_bearer_tokens_hashed_at_rest() -> None:
    token, stored = new_token()
    assert token not in stored and stored == hash_token(token)
    table = {"pbx-1": hash_token("nope-nope-nope"), "pbx-2": stored}
    assert verify_bearer(f"Bearer {token}", table).integration == "pbx-2"
    assert verify_bearer(f"bearer {token}", table).ok
    assert not verify_bearer(f"Bearer {token}x", table).ok
    assert verify_bearer(None, table).reason == "missing"
    assert verify_bearer(f"Basic {token}", table).reason == "malformed"
    assert verify_bearer("Bearer " + "a" * 4000, table).reason == "malformed"


def test_nonce_cache_expires_and_is_bounded() -> None:
    now = [0.0]
    cache = NonceCache(ttl_s=10, max_items=3, clock=lambda: now[0])
    assert cache.add("a") and not cache.add("a")
    now[0] = 11
    assert cache.add("a")
    for n in "bcde":
        cache.add(n)
    assert len(cache._seen) <= 3
