"""Who is calling the token and PAR endpoints: the wallet's DPoP key (RFC 9449) and the client its
wallet attestation vouches for (attestation-based client authentication), each required in
`haip` mode."""
from __future__ import annotations

from flask import request

from ..models import db, utcnow
from ..services import services
from .attestations import AttestationError, verify_client_attestation
from .dpop import DPoPError, DPoPRequest, MAX_PROOF_AGE, spend_jti, verify_proof
from .errors import TokenError
from .metadata import Policy


def policy() -> Policy:
    settings = services().settings.issuer
    return Policy(haip=settings.haip, key_attestation_required=settings.key_attestation_required)


def _issuer() -> str:
    return services().settings.public_base_url.rstrip("/")


def _secret() -> str:
    return services().settings.secret_key


def token_dpop_key() -> str | None:
    """The thumbprint of the token request's DPoP key; None without DPoP (refused in `haip` mode)."""
    proof = request.headers.get("DPoP")
    if proof is None:
        if policy().haip:
            raise DPoPError("invalid_dpop_proof", "This issuer requires DPoP: send a DPoP proof with the token request.")
        return None
    return verify_proof(db.session, proof, DPoPRequest("POST", f"{_issuer()}/token", _secret()))


def attested_client() -> str | None:
    """The client_id a wallet attestation vouches for (attestation-based client authentication);
    None when none is sent (refused in `haip` mode)."""
    attestation = request.headers.get("OAuth-Client-Attestation")
    pop = request.headers.get("OAuth-Client-Attestation-PoP")
    if not attestation and not pop:
        if policy().haip:
            raise TokenError("invalid_client", "This issuer requires a wallet attestation "
                             "(OAuth-Client-Attestation and OAuth-Client-Attestation-PoP headers).", 401)
        return None
    if not attestation or not pop:
        raise TokenError("invalid_client", "Send both OAuth-Client-Attestation and OAuth-Client-Attestation-PoP.", 401)
    try:
        client = verify_client_attestation(attestation, pop, trusted=services().wallet_providers, issuer=_issuer(),
                                           now=utcnow())
    except AttestationError as exc:
        raise TokenError("invalid_client", f"Wallet attestation refused: {exc}", 401) from None
    if request.form.get("client_id", client.client_id) != client.client_id:
        raise TokenError("invalid_client", "client_id is not the client the wallet attestation names.", 401)
    if not spend_jti(db.session, f"client-attestation-pop:{client.client_id}:{client.pop_jti}", MAX_PROOF_AGE + 60):
        raise TokenError("invalid_client", "This wallet attestation PoP was already used; make a new one.", 401)
    return client.client_id


def pushed_dpop_key(dpop_jkt: str | None) -> str | None:
    """The DPoP key a pushed authorization request binds its code to (RFC 9449 §10): its DPoP
    proof's key, else its `dpop_jkt` parameter, else none."""
    proof = request.headers.get("DPoP")
    if proof is None:
        return dpop_jkt or None
    jkt = verify_proof(db.session, proof, DPoPRequest("POST", f"{_issuer()}/par", _secret()))
    if dpop_jkt and dpop_jkt != jkt:
        raise DPoPError("invalid_dpop_proof", "dpop_jkt is not the thumbprint of the DPoP proof's key.")
    return jkt
