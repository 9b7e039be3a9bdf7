"""pyHanko's reading of a CMS object's certificates, once per parsed object.

``extract_certs_for_validation`` finds the signer's certificate among those a CMS object carries
and checks its signing-certificate attribute (hashing the certificate, comparing issuer names).
pyHanko calls it for the same parsed object from the signature's own cache and again in the
basic validation of every signature and document timestamp: three of the seven calls per B-LTA
result repeat one before. The answer depends on the object alone, so it is kept on the object
(dying with it); a failure is not kept and is raised again on every call.
"""

from __future__ import annotations

from pyhanko.sign.validation import generic_cms

_EXTRACT = generic_cms.extract_certs_for_validation
_ATTRIBUTE = "_verification_certs"


def memoise_signed_data_certs() -> None:
    """Route pyHanko's ``extract_certs_for_validation`` through the memo on each object. This
    changes a library function process-wide, so only worker processes (which do nothing but
    verify) call it, once."""

    def extract_certs_for_validation(signed_data):
        found = getattr(signed_data, _ATTRIBUTE, None)
        if found is None:
            found = _EXTRACT(signed_data)
            setattr(signed_data, _ATTRIBUTE, found)
        return found

    generic_cms.extract_certs_for_validation = extract_certs_for_validation
