"""What every document of a signature step shares (:class:`~signing.document.StepContext`), built
once per batch. The trust-service part (the TSA's certificates and token size, revocation data) is
fetched on its own, so that a batch can prepare a first step that needs none of it (the official's
signature) while the TSA and OCSP responders answer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from asn1crypto import x509

from .cms import CmsTemplate
from .document import StepContext, ValidationMaterial
from .dss import DssPayload
from .keys import SignerIdentity
from .profiles import TrustServices
from .revocation import collect_validation_material, probe_timestamp_authority


@dataclass(frozen=True)
class TrustMaterial:
    """What the trust services said at the start of a batch."""

    tsa_url: str | None
    timestamp_size: int
    """Bytes to reserve for one timestamp token of this TSA."""
    material: ValidationMaterial | None
    """Revocation data for the DSS (B-LT and above)."""
    dss: DssPayload | None
    """The same, encoded as PDF objects."""


def needs_trust(steps: Sequence) -> bool:
    """Whether any of ``steps`` (:class:`~signing.pipeline.SignatureStep`) needs the trust services."""
    return any(s.level.needs_timestamp or s.level.needs_revocation_data for s in steps)


def fetch_trust(steps: Sequence, identities: Sequence[SignerIdentity], services: TrustServices,
                trust_roots: Sequence[x509.Certificate] = ()) -> TrustMaterial:
    """Probe the TSA and collect revocation data for ``identities`` (the steps' signers) as the
    steps' levels require; raises :class:`~signing.errors.TrustServiceError`."""
    tsa_url = services.tsa_url
    needs_ts = any(s.level.needs_timestamp for s in steps)
    tsa_certs, ts_size = probe_timestamp_authority(tsa_url, services.http_timeout) if needs_ts else ([], 0)
    material: ValidationMaterial | None = None
    if any(s.level.needs_revocation_data for s in steps):
        roots = tuple(trust_roots) or tuple(
            {c.sha256: c for i in identities for c in i.chain if c.self_signed != "no"}.values())
        tsa_leaf = [c for c in tsa_certs
                    if "time_stamping" in (c.extended_key_usage_value.native
                                           if c.extended_key_usage_value else [])]
        material = collect_validation_material(
            identities, roots, extra_leaves=tsa_leaf or tsa_certs[:1], timeout=services.http_timeout)
    dss = DssPayload.build(material.certificates, material.ocsp_responses, material.crls) if material else None
    return TrustMaterial(tsa_url, max(ts_size + 1024, 4096), material, dss)


def step_context(step, trust: TrustMaterial | None, services: TrustServices, placement, font) -> StepContext:
    """The context of ``step``; ``trust`` None for a step that needs no trust service."""
    identity = step.key_source.identity()
    signer_cert, chain = identity.certificate.dump(), tuple(c.dump() for c in identity.chain)
    mechanism = step.key_source.signature_mechanism("sha256")["algorithm"].native
    return StepContext(
        field_name=step.field_name, level=step.level,
        signer_cert=signer_cert, chain=chain, mechanism=mechanism,
        cms=CmsTemplate.build(signer_cert, chain, mechanism),
        placement=placement, font=font if step.visible else None,
        image=step.image, seal_over=step.seal_over,
        tsa_url=trust.tsa_url if trust else None,
        timestamp_size=trust.timestamp_size if trust else StepContext.timestamp_size,
        validation_material=trust.material if trust else None,
        dss=trust.dss if trust else None,
        http_timeout=services.http_timeout,
        reason=step.reason, location=step.location,
    )
