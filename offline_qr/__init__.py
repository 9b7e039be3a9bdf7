"""A result's offline code: the claims that identify a signed result, in a CWT (RFC 8392) signed
as a COSE_Sign1 (RFC 9052) by the issuing agency's key, zlib-compressed and Base45-encoded behind
the prefix ``VN1:`` (the EU Digital COVID Certificate's layout), small enough for a QR code of
version 15 at error correction M. A verifier needs only the code and a trust list (the agencies'
certificates and the annulled result ids, signed by the service), so it works with no network.

Plain Python: no Flask, no database. Modules: ``claims`` (what the code says), ``envelope``
(prefix, Base45, bounded zlib, COSE structure), ``issue`` (sign a batch's codes with one
authorisation of the agency's key), ``trust`` (the signed trust list), ``verify`` (the verdict).
"""
from .claims import ResultClaims
from .errors import OfflineCodeError
from .issue import issue_codes
from .trust import TrustList, TrustedKey
from .verify import OfflineVerdict, Status, verify_code

__all__ = ["OfflineCodeError", "OfflineVerdict", "ResultClaims", "Status", "TrustList", "TrustedKey",
           "issue_codes", "verify_code"]
