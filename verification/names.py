"""RFC 4518 preparation of certificate name values, once per distinct value in a worker.

Comparing two X.509 names (RFC 5280 7.1) means preparing every attribute value (stringprep
mapping, NFKC, prohibited characters). asn1crypto keeps the prepared value on the parsed
object only, and pyHanko works on fresh deep copies of the certificates for every CMS
object (``untag()``), so a worker prepared the same few names again for every signature
and timestamp: about a sixth of its time. The preparation depends on the string alone,
so a bounded memo gives the same answers, errors included (those are not stored).
"""

from __future__ import annotations

from asn1crypto import x509

from verification.caches import BoundedCache

MAX_MEMO_STRING = 512
"""Longer values (unusual; hostile certificates) are prepared every time, not stored."""

_PREPARE = x509.NameTypeAndValue._ldap_string_prep


def memoise_name_preparation(memo: BoundedCache[str, str]) -> None:
    """Route asn1crypto's name preparation through ``memo`` for the rest of the process.

    This changes a library class process-wide, so only worker processes (which do
    nothing but verify) call it, once, with their :class:`WorkerCaches`' memo.
    """

    def prepare(self: x509.NameTypeAndValue, string: str) -> str:
        if len(string) > MAX_MEMO_STRING:
            return _PREPARE(self, string)
        return memo.get_or_make(string, lambda: _PREPARE(self, string))

    x509.NameTypeAndValue._ldap_string_prep = prepare
