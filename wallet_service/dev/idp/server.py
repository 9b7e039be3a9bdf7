"""The embedded provider's protocol engine: Authlib's authorization server with the authorization
code grant, PKCE (S256 required), OpenID Connect's ID token, userinfo and RP-initiated logout.
What is written here is only the storage and identity glue Authlib asks its users to supply."""
from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, InvalidRequestError, TokenMixin, grants
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo, UserInfoEndpoint
from authlib.oidc.rpinitiated import EndSessionEndpoint
from flask import Flask
from sqlalchemy import delete, select

from ...models import db
from .accounts import ACCOUNTS, DevAccount
from .keys import load_signing_key, public_jwks
from .models import DevOidcAuthorizationCode, DevOidcToken

SCOPES = ("openid", "profile")
CODE_LIFETIME = 120
"""Seconds an authorization code may wait to be redeemed."""


@dataclass(frozen=True)
class DevClient(ClientMixin):
    """A relying party registered at the embedded provider (the service itself)."""

    client_id: str
    """Client identifier."""
    client_secret: str
    """Shared secret for client_secret_basic/_post at the token endpoint."""
    redirect_uris: tuple[str, ...]
    """Exact callback addresses allowed."""
    post_logout_redirect_uris: tuple[str, ...] = field(default=())
    """Exact addresses allowed after logout."""

    @property
    def client_metadata(self) -> dict:
        return {"post_logout_redirect_uris": list(self.post_logout_redirect_uris)}

    def get_client_id(self):
        return self.client_id

    def get_default_redirect_uri(self):
        return self.redirect_uris[0]

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in SCOPES)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.redirect_uris

    def check_client_secret(self, client_secret):
        return hmac.compare_digest(client_secret.encode(), self.client_secret.encode())

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


@dataclass(frozen=True)
class IssuedToken(TokenMixin):
    """An access token row with the client and account it was issued to."""

    row: DevOidcToken
    client: DevClient
    account: DevAccount

    scope = property(lambda self: self.row.scope)

    def check_client(self, client):
        return client.get_client_id() == self.client.client_id

    def get_scope(self):
        return self.row.scope

    def get_expires_in(self):
        return self.row.expires_in

    def is_expired(self):
        return self.row.is_expired()

    def is_revoked(self):
        return bool(self.row.is_revoked())

    def get_user(self):
        return self.account

    def get_client(self):
        return self.client


class _CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        payload = request.payload
        account: DevAccount = request.user
        # Unredeemed codes past their lifetime are useless; drop them as new ones are made.
        db.session.execute(delete(DevOidcAuthorizationCode).where(DevOidcAuthorizationCode.auth_time < time.time() - CODE_LIFETIME))
        db.session.add(
            DevOidcAuthorizationCode(
                code=code,
                client_id=request.client.client_id,
                redirect_uri=payload.redirect_uri or "",
                scope=payload.scope,
                nonce=payload.data.get("nonce"),
                code_challenge=payload.data.get("code_challenge"),
                code_challenge_method=payload.data.get("code_challenge_method"),
                username=account.username,
                auth_time=int(time.time()),
                acr=f"loa-{account.account_level}" if account.account_level else None,
            )
        )
        db.session.commit()

    def query_authorization_code(self, code, client):
        row = db.session.scalar(
            select(DevOidcAuthorizationCode).where(
                DevOidcAuthorizationCode.code == code, DevOidcAuthorizationCode.client_id == client.client_id
            )
        )
        if row is None or row.auth_time + CODE_LIFETIME < time.time():
            return None
        return row

    def delete_authorization_code(self, authorization_code):
        # Single use: delete by code in its own statement so a second redemption finds nothing.
        db.session.execute(delete(DevOidcAuthorizationCode).where(DevOidcAuthorizationCode.code == authorization_code.code))
        db.session.commit()

    def authenticate_user(self, authorization_code):
        return ACCOUNTS.get(authorization_code.username)


class _OpenIDCode(OpenIDCode):
    def __init__(self, issuer: str, instance_path: Path):
        super().__init__(require_nonce=True)
        self.issuer = issuer
        self.instance_path = instance_path

    def exists_nonce(self, nonce, request):
        return db.session.scalar(
            select(DevOidcAuthorizationCode.id).where(
                DevOidcAuthorizationCode.client_id == request.payload.client_id, DevOidcAuthorizationCode.nonce == nonce
            )
        ) is not None

    def resolve_client_private_key(self, client):
        return load_signing_key(self.instance_path)

    def get_client_algorithm(self, client):
        return "RS256"

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": load_signing_key(self.instance_path).kid, "typ": "JWT"}

    def get_client_claims(self, client):
        return {"iss": self.issuer, "aud": client.client_id, "azp": client.client_id}

    def generate_user_info(self, user, scope):
        return UserInfo(user.claims())


class _UserInfoEndpoint(UserInfoEndpoint):
    def __init__(self, issuer: str, resource_protector):
        super().__init__(resource_protector=resource_protector)
        self.issuer = issuer

    def get_issuer(self):
        return self.issuer

    def generate_user_info(self, user, scope):
        return UserInfo(user.claims())


class _TokenValidator(BearerTokenValidator):
    def __init__(self, clients: Mapping[str, DevClient]):
        super().__init__()
        self.clients = clients

    def authenticate_token(self, token_string):
        row = db.session.scalar(select(DevOidcToken).where(DevOidcToken.access_token == token_string))
        if row is None or row.client_id not in self.clients or row.username not in ACCOUNTS:
            return None
        return IssuedToken(row, self.clients[row.client_id], ACCOUNTS[row.username])


class _EndSession(EndSessionEndpoint):
    def __init__(self, instance_path: Path):
        super().__init__()
        self.instance_path = instance_path

    def get_server_jwks(self):
        return public_jwks(load_signing_key(self.instance_path))

    def end_session(self, end_session_request):
        # The provider keeps no login session of its own (every login asks for the password),
        # so there is nothing to end here.
        return None


def _save_token(token: dict, request) -> None:
    db.session.add(
        DevOidcToken(
            client_id=request.client.client_id,
            username=request.user.username,
            token_type=token["token_type"],
            access_token=token["access_token"],
            scope=token.get("scope", ""),
            expires_in=token.get("expires_in", 0),
            issued_at=int(time.time()),
        )
    )
    db.session.commit()


class _S256Required(CodeChallenge):
    """PKCE as a real provider requires it: every authorization request carries a challenge, made
    with S256 (Authlib's own accepts a request without one, and the `plain` method)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ("S256",)
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': this provider requires PKCE.")
        if data.get("code_challenge_method") != "S256":  # absent means plain (RFC 7636 section 4.3)
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)


def build_server(app: Flask, issuer: str, instance_path: Path, clients: Mapping[str, DevClient]) -> AuthorizationServer:
    server = AuthorizationServer()
    server.init_app(app, query_client=clients.get, save_token=_save_token)
    server.register_grant(_CodeGrant, [_OpenIDCode(issuer, instance_path), _S256Required(required=True)])
    protector = ResourceProtector()
    protector.register_token_validator(_TokenValidator(clients))
    server.register_endpoint(_UserInfoEndpoint(issuer, protector))
    server.register_endpoint(_EndSession(instance_path))
    return server
