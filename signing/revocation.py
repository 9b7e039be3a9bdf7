"""Validation material for B-LT: fetched once per certificate per batch, then embedded as
the same bytes in every document's DSS."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Sequence

from asn1crypto import x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError
from pyhanko_certvalidator.fetchers.requests_fetchers import RequestsFetcherBackend

from .document import ValidationMaterial
from .errors import TrustServiceError
from .keys import SignerIdentity


async def _timestamp_certificates(tsa_url: str, timeout: float) -> tuple[list[x509.Certificate], int]:
    """The TSA's certificates and the size of one of its tokens (one dummy request)."""
    from .timestamps import CheckedTimeStamper

    try:
        token = await CheckedTimeStamper(tsa_url, timeout=timeout).async_timestamp(
            hashlib.sha256(b"wallet-service size probe").digest(), "sha256"
        )
    except Exception as e:
        raise TrustServiceError(f"The timestamp authority at {tsa_url} failed: {e}") from e
    certs = [c.chosen for c in token["content"]["certificates"]]
    return certs, len(token.dump())


def probe_timestamp_authority(tsa_url: str, timeout: float = 20.0) -> tuple[list[x509.Certificate], int]:
    """Ask the TSA once: its certificates (to validate) and its token size (to reserve)."""
    return asyncio.run(_timestamp_certificates(tsa_url, timeout))


def collect_validation_material(
    signers: Sequence[SignerIdentity],
    trust_roots: Sequence[x509.Certificate],
    extra_leaves: Sequence[x509.Certificate] = (),
    timeout: float = 20.0,
) -> ValidationMaterial:
    """Validate every signer (and TSA) certificate once, fetching OCSP/CRL as the
    certificates' AIA/CRL-DP say, and return everything fetched, for the DSS.

    Raises :class:`TrustServiceError` if a certificate is revoked, expired or its
    revocation status cannot be established.
    """
    others = [c for s in signers for c in s.chain]
    context = ValidationContext(
        trust_roots=list(trust_roots),
        other_certs=others + list(extra_leaves),
        allow_fetching=True,
        revocation_mode="require",
        fetcher_backend=RequestsFetcherBackend(per_request_timeout=timeout),
    )
    leaves = {c.sha256: c for c in [*(s.certificate for s in signers), *extra_leaves]}
    certificates: dict[bytes, x509.Certificate] = {}

    async def run():
        for leaf in leaves.values():
            try:
                path = await CertificateValidator(leaf, validation_context=context).async_validate_path()
            except (PathBuildingError, PathValidationError) as e:
                subject = leaf.subject.human_friendly
                raise TrustServiceError(
                    f"Certificate of {subject} cannot be validated: {e}", code="certificate_invalid"
                ) from e
            for cert in path.iter_certs(include_root=True):
                certificates[cert.sha256] = cert

    asyncio.run(run())
    return ValidationMaterial(
        certificates=tuple(c.dump() for c in certificates.values()),
        ocsp_responses=tuple(o.dump() for o in context.ocsps),
        crls=tuple(c.dump() for c in context.crls),
    )
