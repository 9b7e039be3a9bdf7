"""Where the revocation status of a certificate came from, as it was actually checked.

pyHanko's certificate validator checks revocation only for certificates that name a CRL
distribution point or an OCSP responder ("check if declared"), and reports nothing about
which data it used. A certificate that names neither therefore comes out of a successful
validation as if it were known not to be revoked. This module reads back, from the
validation context that was used, the OCSP response or CRL that covers the certificate:
the validator tries OCSP first, then CRLs, and a context only holds what the document
embeds (its DSS) plus what was fetched, so a match there is what the check relied on.
"""

from __future__ import annotations

from asn1crypto import x509

from verification.report import RevocationSource


def revocation_source(cert: x509.Certificate, issuer: x509.Certificate | None, context, doc) -> RevocationSource:
    """The source of ``cert``'s revocation status in ``context`` (a validation context the
    certificate validated in); ``doc`` holds the document's embedded OCSP responses and CRLs."""
    has_crl, has_ocsp = doc.caches.declared_revinfo(cert)
    if has_ocsp and issuer is not None:
        response = next((r for r in context.ocsps if _ocsp_covers(r, cert, issuer)), None)
        if response is not None:
            embedded = any(_same(response, r) for r in doc.dss_ocsps)
            return RevocationSource.EMBEDDED_OCSP if embedded else RevocationSource.FETCHED
    if has_crl:
        listing = next((c for c in context.crls if _crl_covers(c, cert)), None)
        if listing is not None:
            embedded = any(_same(listing, c) for c in doc.dss_crls)
            return RevocationSource.EMBEDDED_CRL if embedded else RevocationSource.FETCHED
    return RevocationSource.NONE


def issuer_on_path(path, cert: x509.Certificate) -> x509.Certificate | None:
    """The certificate that issued ``cert`` on a validation path (None without one)."""
    certs = list(path.iter_certs(include_root=True)) if path is not None else []
    for issuer, issued in zip(certs, certs[1:]):
        if issued.sha256 == cert.sha256:
            return issuer
    return None


def _same(one, other) -> bool:
    return one is other or one.dump() == other.dump()


def _ocsp_covers(response, cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """A successful OCSP response with a single response for ``cert`` issued by ``issuer``."""
    try:
        if response["response_status"].native != "successful":
            return False
        data = response["response_bytes"]["response"].parsed["tbs_response_data"]
        for single in data["responses"]:
            cert_id = single["cert_id"]
            algorithm = cert_id["hash_algorithm"]["algorithm"].native
            if (
                cert_id["serial_number"].native == cert.serial_number
                and cert_id["issuer_key_hash"].native == getattr(issuer.public_key, algorithm)
            ):
                return True
    except (KeyError, ValueError, TypeError, AttributeError):
        return False
    return False


def _crl_covers(listing, cert: x509.Certificate) -> bool:
    try:
        return listing["tbs_cert_list"]["issuer"] == cert.issuer
    except (KeyError, ValueError, TypeError):
        return False
