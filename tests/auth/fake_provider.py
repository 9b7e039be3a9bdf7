"""A small OpenID provider of the tests' own, on a loopback port, that forges ID tokens for real:
real RSA keys, real signatures (or none, or the wrong ones), real JWTs — whatever the test asks.
It checks what the relying party sends (PKCE S256 verifier, client secret, redirect URI) like a
real provider would, so a test that passes proves the relying party did its part."""
from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass, field

from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey

CLIENT_ID = "wallet-test-client"
CLIENT_SECRET = "fake-provider-secret-for-tests"
CITIZEN_CLAIMS = {"sub": "vneid-7f3a", "personal_id": "022186001234", "name": "Lê Thị Hoa",
                  "birthdate": "1986-04-12", "acr": "urn:vn:loa:2"}


def new_key() -> RSAKey:
    key = RSAKey.generate_key(2048, parameters={"use": "sig", "alg": "RS256"})
    key.ensure_kid()
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class Scenario:
    """What the provider does on the next login; tests change it before logging in."""

    claims: dict
    """The person's claims (ID token and userinfo)."""
    signing_key: RSAKey = field(default_factory=new_key)
    """Key the ID token is signed with."""
    published: list[RSAKey] = field(default_factory=list)
    """Keys served at the JWKS endpoint."""
    alg: str = "RS256"
    """`alg` of the ID token: RS256, HS256 (keyed with the client secret) or none (unsigned)."""
    announced_algs: tuple[str, ...] = ("RS256",)
    """`id_token_signing_alg_values_supported` in discovery."""
    overrides: dict = field(default_factory=dict)
    """ID token claims to replace (value None removes the claim)."""
    jwks_fetches: int = 0
    """How many times the JWKS was fetched."""
    discovery_fetches: int = 0
    """How many times the discovery document was fetched."""
    discovery_overrides: dict = field(default_factory=dict)
    """Discovery document members to replace."""
    cache_headers: dict = field(default_factory=dict)
    """HTTP headers added to the answers, by document: {"discovery": {...}, "jwks": {...}}."""
    token_failure: int | None = None
    """HTTP status the token endpoint answers with (and a `server_error`) instead of a token."""

    def __post_init__(self):
        if not self.published:
            self.published = [self.signing_key]


def make_provider(scenario: Scenario, issuer_holder: dict) -> Flask:
    app = Flask("fake_provider")
    codes: dict[str, dict] = {}  # lives as long as this test's provider

    def issuer() -> str:
        return issuer_holder["issuer"]

    @app.get("/.well-known/openid-configuration")
    def discovery():
        scenario.discovery_fetches += 1
        answer = jsonify({**dict(
            issuer=issuer(), authorization_endpoint=issuer() + "/authorize", token_endpoint=issuer() + "/token",
            userinfo_endpoint=issuer() + "/userinfo", jwks_uri=issuer() + "/jwks",
            response_types_supported=["code"], subject_types_supported=["public"],
            id_token_signing_alg_values_supported=list(scenario.announced_algs),
            token_endpoint_auth_methods_supported=["client_secret_basic"], code_challenge_methods_supported=["S256"],
        ), **scenario.discovery_overrides})
        answer.headers.update(scenario.cache_headers.get("discovery", {}))
        return answer

    @app.get("/jwks")
    def jwks():
        scenario.jwks_fetches += 1
        answer = jsonify(keys=[k.as_dict(private=False) for k in scenario.published])
        answer.headers.update(scenario.cache_headers.get("jwks", {}))
        return answer

    @app.get("/authorize")
    def authorize():
        args = request.args
        assert args["client_id"] == CLIENT_ID and args["response_type"] == "code"
        assert args["code_challenge_method"] == "S256" and len(args["code_challenge"]) == 43
        code = secrets.token_urlsafe(16)
        codes[code] = dict(args)
        return redirect(f"{args['redirect_uri']}?code={code}&state={args['state']}")

    @app.post("/token")
    def token():
        if scenario.token_failure:
            return jsonify(error="server_error"), scenario.token_failure
        auth = request.authorization
        if auth is None or (auth.username, auth.password) != (CLIENT_ID, CLIENT_SECRET):
            return jsonify(error="invalid_client"), 401
        grant = codes.pop(request.form["code"], None)
        if grant is None:
            return jsonify(error="invalid_grant", error_description="unknown or used code"), 400
        verifier = request.form.get("code_verifier", "")
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant["code_challenge"]:
            return jsonify(error="invalid_grant", error_description="PKCE verifier does not match"), 400
        if request.form.get("redirect_uri") != grant["redirect_uri"]:
            return jsonify(error="invalid_grant", error_description="redirect_uri differs"), 400
        now = int(time.time())
        claims = {"iss": issuer(), "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant["nonce"],
                  **scenario.claims}
        claims.update(scenario.overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jsonify(access_token="at-" + secrets.token_urlsafe(16), token_type="Bearer", expires_in=300,
                       id_token=forge(scenario, claims))

    @app.get("/userinfo")
    def userinfo():
        return jsonify(scenario.claims)

    return app


def forge(scenario: Scenario, claims: dict) -> str:
    if scenario.alg == "none":
        header = {"alg": "none", "typ": "JWT"}
        return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
    if scenario.alg.startswith("HS"):
        return jwt.encode({"alg": scenario.alg}, claims, OctKey.import_key(CLIENT_SECRET.encode()), algorithms=[scenario.alg])
    header = {"alg": scenario.alg, "kid": scenario.signing_key.kid, "typ": "JWT"}
    return jwt.encode(header, claims, scenario.signing_key, algorithms=[scenario.alg])
