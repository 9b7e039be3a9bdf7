"""The names by which the rest of the service recognises certified copies, their stations and their
certifiers; a module of its own that imports nothing, so that access checks may use them."""

KIND = "certified_copy"
"""`Result.kind` of a certified copy."""
CERTIFIER_ROLE = "certifier"
"""Officials with this role confirm and sign certified copies of their agency."""
STATION = "station"
"""`ApiClient.kind` of a digitisation station."""
