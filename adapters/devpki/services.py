"""The development PKI's services over HTTP: the RFC 3161 timestamp responder and the WSGI
app serving it with certomancer's OCSP responders, CRLs and certificate repositories."""

from __future__ import annotations

import secrets
import threading
from datetime import datetime, timezone

from adapters.devpki.certomancer_config import pki_architecture
from adapters.devpki.model import DevPki, DevPkiError
from adapters.devpki.store import read_manifest


class DevTimestampAuthority:
    """RFC 3161 responder for the development TSA certificate.

    Written by hand because certomancer's responder re-parses the TSA key for every
    token and asn1crypto re-encodes the certificate and names each time (~6-15 ms per
    token), which made the development TSA the bottleneck of B-T..B-LTA batches. The key
    is loaded once and every constant DER piece is encoded once; per token only the
    imprint, serial, time, nonce and signature are new.
    """

    POLICY = "1.3.6.1.4.1.55555.1.1"  # development-only policy OID

    def __init__(self, pki: DevPki):
        import hashlib

        from asn1crypto import algos, cms, core
        from asn1crypto import pem as asn1_pem
        from asn1crypto import x509 as asn1_x509
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        from signing.cms import tlv

        self._tlv = tlv
        self._key = load_pem_private_key(
            (pki.directory / "keys" / "tsa.key.pem").read_bytes(), None,
            unsafe_skip_rsa_key_validation=True,  # our own freshly generated key
        )
        cert = asn1_x509.Certificate.load(
            asn1_pem.unarmor((pki.directory / "certs" / "tsa.pem").read_bytes())[2])
        self._policy = core.ObjectIdentifier(self.POLICY).dump()
        self._tsa_name = tlv(0xA0, asn1_x509.GeneralName({"directory_name": cert.subject}).dump())
        self._content_type_attr = cms.CMSAttribute(
            {"type": "content_type", "values": ["tst_info"]}).dump()
        self._signing_cert_attr = cms.CMSAttribute({"type": "signing_certificate_v2", "values": [{
            "certs": [{"cert_hash": hashlib.sha256(cert.dump()).digest()}]}]}).dump()
        self._digest_algorithms = tlv(0x31, algos.DigestAlgorithm({"algorithm": "sha256"}).dump())
        self._certificates = tlv(0xA0, cert.dump())
        self._signer_info_head = (
            core.Integer(1).dump()
            + cms.IssuerAndSerialNumber({"issuer": cert.issuer,
                                         "serial_number": cert.serial_number}).dump()
            + algos.DigestAlgorithm({"algorithm": "sha256"}).dump())
        self._signature_algorithm = algos.SignedDigestAlgorithm({"algorithm": "sha256_rsa"}).dump()
        self._oid_tst_info = core.ObjectIdentifier("1.2.840.113549.1.9.16.1.4").dump()
        self._oid_message_digest = core.ObjectIdentifier("1.2.840.113549.1.9.4").dump()
        self._oid_signed_data = core.ObjectIdentifier("1.2.840.113549.1.7.2").dump()

    def respond(self, request_der: bytes) -> bytes:
        """DER TimeStampResp for a DER TimeStampReq (rejection responses for bad input)."""
        import hashlib

        from asn1crypto import core, tsp
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding

        tlv = self._tlv
        try:
            req = tsp.TimeStampReq.load(request_der)
            imprint = req["message_imprint"]
            if imprint["hash_algorithm"]["algorithm"].native not in ("sha256", "sha384", "sha512"):
                raise ValueError("unsupported imprint hash")
            nonce, cert_req = req["nonce"].native, req["cert_req"].native
        except Exception:  # noqa: BLE001 - any parse failure is a bad request
            return tsp.TimeStampResp(
                {"status": {"status": "rejection", "fail_info": {"bad_data_format"}}}).dump()
        gen_time = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%SZ").encode()
        tst_info = tlv(0x30, b"".join([
            core.Integer(1).dump(), self._policy, imprint.dump(),
            core.Integer(secrets.randbits(63)).dump(), tlv(0x18, gen_time),
            core.Integer(nonce).dump() if nonce is not None else b"",
            self._tsa_name,
        ]))
        digest_attr = tlv(0x30, self._oid_message_digest
                          + tlv(0x31, tlv(0x04, hashlib.sha256(tst_info).digest())))
        signed_attrs = tlv(0x31, self._content_type_attr + digest_attr + self._signing_cert_attr)
        signature = self._key.sign(signed_attrs, padding.PKCS1v15(), hashes.SHA256())
        signer_info = tlv(0x30, self._signer_info_head + b"\xa0" + signed_attrs[1:]
                          + self._signature_algorithm + tlv(0x04, signature))
        encap = tlv(0x30, self._oid_tst_info + tlv(0xA0, tlv(0x04, tst_info)))
        signed_data = tlv(0x30, core.Integer(3).dump() + self._digest_algorithms + encap
                          + (self._certificates if cert_req else b"") + tlv(0x31, signer_info))
        token = tlv(0x30, self._oid_signed_data + tlv(0xA0, signed_data))
        status = tlv(0x30, core.Integer(0).dump())  # PKIStatusInfo { granted }
        return tlv(0x30, status + token)


def _parsed_key_responder(summoned):
    """certomancer's OCSP responder, signing with its key parsed once.

    Written by hand because certomancer parses the responder's private key again for every
    response (~36 ms of a ~50 ms answer): a batch's revocation data then cost the development PKI
    more than all its timestamps. The statuses are still certomancer's; only the signing differs."""
    import copy

    from asn1crypto import ocsp
    from certomancer.services import SimpleOCSPResponder
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    class ParsedKeyResponder(SimpleOCSPResponder):
        def at(self, moment: datetime) -> "ParsedKeyResponder":
            answering = copy.copy(self)
            answering.at_time = moment
            return answering

        def assemble_simple_ocsp_responses(self, responses, nonce=None):
            if self.signature_algo.signature_algo != "rsassa_pkcs1v15":
                return super().assemble_simple_ocsp_responses(responses, nonce)
            data = ocsp.ResponseData({
                "responder_id": ocsp.ResponderId(name="by_key", value=self.responder_cert.public_key.sha1),
                "produced_at": self.at_time, "responses": responses})
            extensions = list(self.response_extensions)
            if nonce is not None:
                extensions.append(ocsp.ResponseDataExtension({"extn_id": "nonce", "extn_value": nonce}))
            if extensions:
                data["response_extensions"] = extensions
            digest = getattr(hashes, self.signature_algo.hash_algo.upper())()
            basic = ocsp.BasicOCSPResponse({
                "tbs_response_data": data, "signature_algorithm": self.signature_algo,
                "signature": key.sign(data.dump(), padding.PKCS1v15(), digest), "certs": [self.responder_cert]})
            return ocsp.OCSPResponse({"response_status": "successful", "response_bytes": {
                "response_type": "basic_ocsp_response", "response": basic}})

    key = load_der_private_key(summoned.responder_key.dump(), None, unsafe_skip_rsa_key_validation=True)
    return ParsedKeyResponder(summoned.responder_cert, summoned.responder_key, summoned.signature_algo,
                              summoned.at_time, summoned.revinfo_interface, summoned.validity,
                              summoned.response_extensions)


def _reuse_issued_certificates(arch, pki: DevPki) -> None:
    """Hand certomancer the certificates the PKI issued (its `certs/` files, written from this same
    architecture): otherwise it signs each again on first use, parsing the issuer's key each time
    (~40 ms a certificate), and a fresh PKI's first OCSP answers cost ~0.7 s. Reaches into
    certomancer's certificate cache; without it (another certomancer), certificates are rebuilt."""
    from asn1crypto import pem, x509
    from certomancer.registry import CertLabel, CertomancerObjectNotFoundError

    cache = getattr(arch, "_cert_cache", None)
    if not isinstance(cache, dict):
        return
    for path in (pki.directory / "certs").glob("*.pem"):
        label = CertLabel(path.stem)
        try:
            arch.get_cert_spec(label)
        except CertomancerObjectNotFoundError:
            continue  # a file of no certificate of this architecture
        cache.setdefault(label, x509.Certificate.load(pem.unarmor(path.read_bytes())[2]))


def dev_pki_services_app(pki: DevPki):
    """WSGI app serving the PKI's TSA (RFC 3161), OCSP, CRLs and certificates.

    Paths are relative to ``pki.services_base_url`` (``/dev/tsa/tsa``, ``/dev/ocsp/ocsp-ca``,
    ``/dev/crls/ca/latest.crl``, ``/dev/certs/ca/ca.crt``...); mount the app there.
    """
    from certomancer.integrations.animator import Animator, AnimatorArchStore

    from werkzeug.wrappers import Response

    tsa = DevTimestampAuthority(pki)
    responders: dict = {}  # OCSP responder label -> its responder, key parsed once

    class WholeSecondAnimator(Animator):
        # RFC 5280/6960 profiles want GeneralizedTime without fractions; strict DER parsers
        # (pyca/cryptography, NSS) reject certomancer's microsecond producedAt otherwise.
        def at_time(self, request):
            return super().at_time(request).replace(microsecond=0)

        def serve_timestamp_response(self, request, *, label, arch):
            return Response(tsa.respond(request.get_data()),
                            mimetype="application/timestamp-reply")

        def serve_ocsp_response(self, request, *, label, arch):
            from asn1crypto import ocsp
            from certomancer.registry import ArchLabel, ServiceLabel

            if label not in responders:  # a label the PKI lacks raises here, as certomancer's own does
                registry = self.architectures[ArchLabel(arch)].service_registry
                summoned = registry.summon_responder(ServiceLabel(label))
                responders[label] = _parsed_key_responder(summoned)
            answer = responders[label].at(self.at_time(request)).build_ocsp_response(
                ocsp.OCSPRequest.load(request.get_data()))
            return Response(answer.dump(), mimetype="application/ocsp-response")

    manifest = read_manifest(pki.directory)
    if manifest is None:
        raise DevPkiError("dev_pki_missing", f"No development PKI in {pki.directory}.")

    def animator():
        arch = pki_architecture(pki.directory, manifest)
        _reuse_issued_certificates(arch, pki)
        # No time override: a header must not be able to back-date timestamps or OCSP answers.
        return WholeSecondAnimator(
            AnimatorArchStore({arch.arch_label: arch}), with_web_ui=False, allow_time_override=False
        )

    return _BuiltOnFirstRequest(animator)


class _BuiltOnFirstRequest:
    """A WSGI app made on its first request: certomancer parses every key of the PKI when it builds
    the architecture (~0.5 s), which an app that never serves its PKI (a CLI command, most test
    apps) should not pay."""

    def __init__(self, build):
        self._build = build
        self._app = None
        self._lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self._lock:  # requests arrive on a threaded server: build it once
            if self._app is None:
                self._app = self._build()
        return self._app(environ, start_response)
