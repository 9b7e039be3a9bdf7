"""RFC 3161 timestamps from an HTTP timestamp authority, each token checked against the digest sent.

pyHanko's ``TimeStamper`` checks a response's status and nonce but not the token's message imprint:
a token for another digest (a faulty TSA, or anything between it and the service rewriting the
request) would be embedded as it came, and the PDF found broken later, at the citizen's verifier."""

from __future__ import annotations

from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError


class CheckedTimeStamper(HTTPTimeStamper):
    """pyHanko's HTTP timestamper, refusing a token whose message imprint is not what was asked."""

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str):
        token = await super().async_timestamp(message_digest, md_algorithm)
        imprint = token["content"]["encap_content_info"]["content"].parsed["message_imprint"]
        if (imprint["hash_algorithm"]["algorithm"].native != md_algorithm.lower()
                or imprint["hashed_message"].native != message_digest):
            raise TimestampRequestError("the timestamp authority's token is for another digest than the one sent")
        return token
