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

from verification.bounded import BoundedCache

MAX_MEMO_STRING = 512
"""Longer values (unusual; hostile certificates) are prepared every time, not stored."""

_PREPARE = x509.NameTypeAndValue._ldap_string_prep
_NAME_KEY = x509.Name.hashable.fget
MAX_MEMO_NAME = 2048
"""Longer encoded names are compared without the memo."""


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


def memoise_name_keys(memo: BoundedCache[bytes, tuple[str, tuple[int, ...]]]) -> None:
    """Route asn1crypto's comparison of whole names (``Name.__eq__``, ``Name.hashable``) through
    ``memo``, keyed by the name's DER.

    Path building and issuer matching compare the same few names thousands of times per
    document, each time on a fresh copy, preparing every value again. A name's comparison key
    is asn1crypto's own ``hashable`` (the prepared values of each RDN, sorted by type) with the
    number of values in each RDN, which is what ``RDNSequence.__eq__`` compares besides; it
    depends on the encoded name alone, so the memo gives the same answers (errors are not
    stored). Process-wide, as above: workers only.
    """

    def key(name: x509.Name) -> tuple[str, tuple[int, ...]]:
        der = name.dump()
        make = lambda: (_NAME_KEY(name), tuple(len(rdn) for rdn in name.chosen))  # noqa: E731
        return make() if len(der) > MAX_MEMO_NAME else memo.get_or_make(der, make)

    def equal(self: x509.Name, other: object) -> bool:
        return isinstance(other, x509.Name) and key(self) == key(other)

    x509.Name.hashable = property(lambda self: key(self)[0])
    x509.Name.__eq__ = equal
