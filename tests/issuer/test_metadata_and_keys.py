"""What wallets and verifiers discover: the three metadata documents agree with each other and
with the endpoints; the issuer key is a file (never in the database), created in development by
`wallet-service init` and required, never generated, in production."""
from __future__ import annotations

import stat

import jwt
import pytest

from tests.issuer.conftest import issuer_of
from wallet_service.issuer.keys import IssuerKeyMissing, IssuerKeySource
from wallet_service.services import services


def test_metadata_documents_describe_one_consistent_issuer(app, client):
    issuer = issuer_of(app)
    vci = client.get("/.well-known/openid-credential-issuer")
    assert vci.status_code == 200 and vci.headers["Access-Control-Allow-Origin"] == "*"
    vci = vci.get_json()
    assert vci["credential_issuer"] == issuer
    for name in ("credential_endpoint", "nonce_endpoint", "notification_endpoint"):
        assert vci[name].startswith(issuer + "/")
    configuration = vci["credential_configurations_supported"]["administrative_result"]
    assert configuration["format"] == "dc+sd-jwt"
    assert configuration["vct"] == issuer + "/vct/administrative-result/v1"
    assert configuration["cryptographic_binding_methods_supported"] == ["jwk"]
    algs = configuration["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"]
    assert "ES256" in algs and "none" not in algs and not any(a.startswith("HS") for a in algs)
    paths = [c["path"] for c in configuration["credential_metadata"]["claims"]]
    assert ["personal_id"] in paths and ["document", "sha256"] in paths

    type_metadata = client.get(configuration["vct"].removeprefix(issuer)).get_json()
    assert type_metadata["vct"] == configuration["vct"]
    assert {tuple(c["path"]) for c in type_metadata["claims"] if c["sd"] == "always"} == {
        ("full_name",), ("personal_id",), ("birthdate",)
    }

    authorization = client.get("/.well-known/oauth-authorization-server").get_json()
    assert authorization["issuer"] == issuer
    assert authorization["token_endpoint"] == issuer + "/token"
    assert authorization["pre-authorized_grant_anonymous_access_supported"] is True

    jwt_vc = client.get("/.well-known/jwt-vc-issuer").get_json()
    assert jwt_vc["issuer"] == issuer
    (key,) = jwt_vc["jwks"]["keys"]
    assert key["kty"] == "EC" and key["crv"] == "P-256" and "d" not in key
    assert configuration["credential_signing_alg_values_supported"] == [key["alg"]]


def test_issuer_key_is_a_private_file_and_stable(app, client):
    source = services(app).issuer_key
    first = client.get("/.well-known/jwt-vc-issuer").get_json()["jwks"]["keys"][0]
    assert source.path.is_file() and stat.S_IMODE(source.path.stat().st_mode) == 0o600
    assert str(source.path).startswith(str(app.instance_path))
    again = client.get("/.well-known/jwt-vc-issuer").get_json()["jwks"]["keys"][0]
    assert first == again
    # The published key verifies what the private file signs.
    key = source.load()
    token = jwt.encode({"x": 1}, key.private_pem, algorithm="ES256")
    assert jwt.decode(token, jwt.PyJWK(first).key, algorithms=["ES256"]) == {"x": 1}


def test_init_step_creates_the_key_and_readiness_checks_it(app):
    source = services(app).issuer_key
    assert not source.path.exists()
    (step,) = [s for s in services(app).init_steps if s.__name__ == "ensure_issuer_key"]
    assert "created" in step(app) and source.path.exists()
    assert "ready" in step(app)
    response = app.test_client().get("/readyz")
    assert response.get_json()["checks"]["credential_issuer_key"] == "ok"


def test_production_never_generates_a_key(tmp_path):
    source = IssuerKeySource(tmp_path / "missing.pem", may_generate=False)
    with pytest.raises(IssuerKeyMissing):
        source.load()
    assert not source.path.exists()


def test_a_key_of_the_wrong_type_is_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    path = tmp_path / "p384.pem"
    path.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    with pytest.raises(IssuerKeyMissing):
        IssuerKeySource(path, may_generate=False).load()


def test_configured_key_file_is_used(make_app, tmp_path):
    source = IssuerKeySource(tmp_path / "given.pem", may_generate=True)
    source.ensure()
    app = make_app(CREDENTIAL_ISSUER_KEY_FILE=str(source.path))
    with app.app_context():
        published = app.test_client().get("/.well-known/jwt-vc-issuer").get_json()["jwks"]["keys"][0]
    assert published["kid"] == source.load().kid
