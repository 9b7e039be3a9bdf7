"""HTTP endpoints of the embedded provider under /dev-oidc: discovery, JWKS, the login page
(authorization endpoint), token, userinfo and logout."""
from __future__ import annotations

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, current_app, jsonify, render_template_string, request

from ...services import services
from .accounts import ACCOUNTS, authenticate
from .keys import SigningKeyMissing, load_signing_key, public_jwks

bp = Blueprint("dev_oidc", __name__, url_prefix="/dev-oidc")
MACHINE_ENDPOINTS = ("dev_oidc.token", "dev_oidc.userinfo")


def _provider():
    return services().devidp


@bp.errorhandler(SigningKeyMissing)
def _no_key(exc: SigningKeyMissing):
    return jsonify(error="server_error", error_description=str(exc)), 503


@bp.get("/.well-known/openid-configuration")
def discovery():
    issuer = _provider().issuer
    return jsonify(
        issuer=issuer,
        authorization_endpoint=f"{issuer}/authorize",
        token_endpoint=f"{issuer}/token",
        userinfo_endpoint=f"{issuer}/userinfo",
        jwks_uri=f"{issuer}/jwks",
        end_session_endpoint=f"{issuer}/logout",
        scopes_supported=["openid", "profile"],
        response_types_supported=["code"],
        grant_types_supported=["authorization_code"],
        subject_types_supported=["public"],
        id_token_signing_alg_values_supported=["RS256"],
        token_endpoint_auth_methods_supported=["client_secret_basic", "client_secret_post"],
        code_challenge_methods_supported=["S256"],
        claims_supported=sorted({k for a in ACCOUNTS.values() for k in a.claims()}),
    )


@bp.get("/jwks")
def jwks():
    return jsonify(public_jwks(load_signing_key(current_app.instance_path)))


_LOGIN = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Đăng nhập (nhà cung cấp định danh phát triển)</title></head>
<body>
<h1>Đăng nhập / Log in</h1>
<p><strong>Nhà cung cấp định danh dùng cho phát triển</strong> — development identity provider, never used in production.
Mật khẩu của mọi tài khoản là <code>demo</code> / every account's password is <code>demo</code>.</p>
{% if error %}<p role="alert" class="error">{{ error }}</p>{% endif %}
<form method="post" action="{{ action }}">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <label>Tên đăng nhập / Username <input name="username" value="{{ username }}" autocomplete="username" required></label>
  <label>Mật khẩu / Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Đăng nhập</button>
</form>
<h2>Tài khoản thử nghiệm / Demo accounts</h2>
<table>
  <tr><th>Tên đăng nhập</th><th>Họ và tên</th><th>Mô tả</th></tr>
  {% for a in accounts %}<tr><td><code>{{ a.username }}</code></td><td>{{ a.full_name }}</td><td>{{ a.description }}</td></tr>{% endfor %}
</table>
</body></html>"""


@bp.route("/authorize", methods=["GET", "POST"])
def authorize():
    server = _provider().server
    try:
        grant = server.get_consent_grant(end_user=None)
    except OAuth2Error as error:
        # Authlib redirects back only when the client and redirect URI were valid.
        return server.handle_error_response(None, error)
    error, username = None, ""
    if request.method == "POST":
        username = request.form.get("username", "")
        account = authenticate(username, request.form.get("password", ""))
        if account is not None:
            return server.create_authorization_response(grant_user=account, grant=grant)
        error = "Sai tên đăng nhập hoặc mật khẩu. / Wrong username or password."
    page = render_template_string(
        _LOGIN, action=request.full_path, accounts=ACCOUNTS.values(), error=error, username=username
    )
    return page, 401 if error else 200


@bp.post("/token")
def token():
    return _provider().server.create_token_response()


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo():
    return _provider().server.create_endpoint_response("userinfo")


_LOGGED_OUT = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Đã đăng xuất</title></head>
<body><h1>Đã đăng xuất / Logged out</h1><p><a href="/">Trang chủ / Home</a></p></body></html>"""


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    server = _provider().server
    try:
        return server.create_endpoint_response("end_session") or render_template_string(_LOGGED_OUT)
    except OAuth2Error as error:
        return server.handle_error_response(None, error)
