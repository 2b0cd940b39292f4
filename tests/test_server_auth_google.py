"""Google ID tokens and API keys, checked by agent/auth.py's real code path (no server needed).

The token is signed here with a fresh RSA key, and google-auth verifies it exactly as in
production (`id_token.verify_oauth2_token`: signature, audience, expiry, issuer); the only
difference is the HTTP transport, which serves this key's certificate where Google's
published certificates would be fetched.
"""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import pytest
from langgraph_sdk import Auth

from agent import auth

AUDIENCE = "1234-test.apps.googleusercontent.com"


class _Response:
    def __init__(self, status: int, data: bytes) -> None:
        self.status, self.data, self.headers = status, data, {"content-type": "application/json"}


class CertsTransport:
    """A google-auth transport that answers the certificate request with our own certificate."""

    def __init__(self, certs: dict[str, str]) -> None:
        self.certs, self.urls = certs, []

    def __call__(self, url: str, method: str = "GET", **kwargs: Any) -> _Response:
        self.urls.append(url)
        return _Response(200, json.dumps(self.certs).encode())


@pytest.fixture(scope="module")
def signer() -> tuple[Any, CertsTransport]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID
    from google.auth import crypt

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-signer")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    pem_key = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    cert_pem = cert.public_bytes(serialization.Encoding.PEM).decode()
    return crypt.RSASigner.from_string(pem_key, key_id="k1"), CertsTransport({"k1": cert_pem})


def _token(signer: Any, **claims: Any) -> str:
    from google.auth import jwt

    now = int(time.time())
    payload = {"iss": "https://accounts.google.com", "aud": AUDIENCE, "sub": "1", "iat": now, "exp": now + 600,
               "email": "Ada@Example.com", "email_verified": True, **claims}
    return jwt.encode(signer, payload).decode()


def test_a_valid_google_id_token_names_its_verified_email(signer: tuple[Any, CertsTransport]) -> None:
    sign, transport = signer
    assert auth.verify_google_id_token(_token(sign), AUDIENCE, transport, allowed="") == "ada@example.com"
    assert auth.verify_google_id_token(_token(sign), AUDIENCE, transport, allowed="@example.com") == "ada@example.com"
    assert transport.urls and "googleapis.com" in transport.urls[0]  # Google's certificate address


@pytest.mark.parametrize(("claims", "status"), [
    ({"aud": "someone-else"}, 401),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}, 401),
    ({"iss": "https://evil.example.com"}, 401),
    ({"email_verified": False}, 401),
])
def test_bad_google_id_tokens_are_refused(signer: tuple[Any, CertsTransport], claims: dict[str, Any],
                                          status: int) -> None:
    sign, transport = signer
    with pytest.raises(Auth.exceptions.HTTPException) as err:
        auth.verify_google_id_token(_token(sign, **claims), AUDIENCE, transport, allowed="")
    assert err.value.status_code == status


def test_a_token_signed_by_another_key_or_from_another_domain_is_refused(signer: tuple[Any, CertsTransport]) -> None:
    sign, transport = signer
    with pytest.raises(Auth.exceptions.HTTPException) as err:
        auth.verify_google_id_token(_token(sign), AUDIENCE, transport, allowed="@corp.example")
    assert err.value.status_code == 403
    tampered = _token(sign)
    head, _body, sig = tampered.split(".")
    forged = f"{head}.{_token(sign, email='eve@example.com').split('.')[1]}.{sig}"
    with pytest.raises(Auth.exceptions.HTTPException):
        auth.verify_google_id_token(forged, AUDIENCE, transport, allowed="")


def test_identify_uses_keys_then_google_then_loopback(signer: tuple[Any, CertsTransport],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    sign, transport = signer
    monkeypatch.setenv(auth.KEYS_ENV, "alice=alice-key-0123456789,bob=bob-key-0123456789ab")
    monkeypatch.setenv(auth.GOOGLE_AUDIENCE_ENV, AUDIENCE)
    monkeypatch.setattr(auth, "google_request_factory", lambda: transport)
    assert auth.identify("alice-key-0123456789", None, loopback=False) == "alice"
    assert auth.identify(None, "bob-key-0123456789ab", loopback=False) == "bob"
    assert auth.identify(None, _token(sign), loopback=False) == "ada@example.com"
    for key, bearer in ((None, None), ("nope-nope-nope-nope", None), (None, "x.y.z")):
        with pytest.raises(Auth.exceptions.HTTPException) as err:
            auth.identify(key, bearer, loopback=True)
        assert err.value.status_code == 401
    assert "alice-key" not in auth.announce() and "alice" in auth.announce()


def test_without_keys_only_this_machine_is_served(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(auth.KEYS_ENV, raising=False)
    monkeypatch.delenv(auth.GOOGLE_AUDIENCE_ENV, raising=False)
    assert auth.open_to_loopback_only()
    assert auth.identify(None, None, loopback=True) == auth.LOCAL_USER
    with pytest.raises(Auth.exceptions.HTTPException) as err:
        auth.identify(None, None, loopback=False)
    assert err.value.status_code == 403 and "only answers on this machine" in str(err.value.detail)
    assert "only requests from this machine" in auth.announce()
    assert auth._is_loopback({"client": ("127.0.0.1", 5)}) and auth._is_loopback({"client": ("::1", 5)})
    assert not auth._is_loopback({"client": ("10.0.0.2", 5)}) and not auth._is_loopback({})


@pytest.mark.parametrize("text", ["alice", "alice=short", "=k" * 10, "alice=k-0123456789abcdef,bob=k-0123456789abcdef",
                                  "../x=k-0123456789abcdef"])
def test_bad_key_lists_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises((ValueError, Exception)) as err:
        auth.parse_keys(text)
    assert "k-0123456789abcdef" not in str(err.value)


def test_run_payload_limits() -> None:
    assert auth.run_payload_problem({"input": {"messages": [{"content": "hello"}]}}) is None
    long = auth.run_payload_problem({"input": {"messages": [{"content": "a" * 40_000}]}})
    assert long is not None and "limit" in long and "16,384" in long
    huge = auth.run_payload_problem({"command": {"resume": {"x": "y" * (1 << 20)}}})
    assert huge is not None and "KB" in huge
