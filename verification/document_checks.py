"""Findings about the file as a whole: what fails or marks a document besides its
signatures' own verdicts.

* a key declared twice in a signature or document-timestamp dictionary: two readers may
  see two different signatures, so the document fails (FORMAT_FAILURE);
* a filled signature field whose signature cannot be read: named, and the document fails
  (it is not counted among the signatures, which are the ones that could be checked);
* bytes after the last revision's end of file: named under the signer-permissions policy
  (the verdict at best INDETERMINATE, as for content changed after signing), failing under
  the issued-document policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verification.report import Indication, Message
from verification.structure import bytes_after_last_revision, duplicate_keys, objects_redeclared_after_last_revision


@dataclass
class DocumentFacts:
    """Document-level indication and findings (counted with the signatures' in the overall verdict)."""

    indication: Indication = Indication.TOTAL_PASSED
    sub_indication: str | None = None
    findings: list = field(default_factory=list)
    bytes_after_end: int = 0

    def fail(self, indication: Indication, sub: str, message: Message) -> None:
        self.findings.append(message)
        if indication.severity > self.indication.severity:
            self.indication, self.sub_indication = indication, sub


def check_document(data: bytes, field_of_object: dict[int, str], unreadable: list[str], strict: bool) -> DocumentFacts:
    """Unreadable signatures, duplicated keys in signature dictionaries, bytes after the last end of file."""
    facts = DocumentFacts()
    for name in unreadable:
        facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE", Message("finding.signature_unreadable", {"field": name}))
    for duplicate in duplicate_keys(data):
        facts.fail(
            Indication.TOTAL_FAILED,
            "FORMAT_FAILURE",
            Message(
                "finding.duplicate_keys",
                {
                    "object": f"{duplicate.object_number} {duplicate.generation}",
                    "field": field_of_object.get(duplicate.object_number, "?"),
                    "keys": ", ".join(duplicate.keys),
                },
            ),
        )
    facts.bytes_after_end = bytes_after_last_revision(data)
    if facts.bytes_after_end:
        messages = [Message("finding.bytes_after_end", {"count": facts.bytes_after_end})]
        redeclared = objects_redeclared_after_last_revision(data)
        if redeclared:
            messages.append(Message("finding.objects_after_end", {"objects": ", ".join(redeclared)}))
        for message in messages:
            if strict:
                facts.fail(Indication.TOTAL_FAILED, "FORMAT_FAILURE", message)
            else:
                facts.fail(Indication.INDETERMINATE, "SIG_CONSTRAINTS_FAILURE", message)
    return facts
