"""The changes and document-level problems a not-passed report names in its summary, the
sentence a person reads first: the verdict alone ("changed after signing") does not say
what changed, and the details below it are easy to miss."""

from __future__ import annotations

from verification.messages import render

CHANGE_FINDINGS = frozenset(
    {
        "finding.pages_added",
        "finding.pages_removed",
        "finding.content_changed",
        "finding.annotations_changed",
        "finding.other_changes",
        "finding.form_field_replaced",
        "finding.form_field_redrawn",
        "finding.metadata_changed",
        "finding.docmdp_violated",
    }
)
"""Findings of a signature that name a change made after it."""
MAX_NAMED = 6
"""More would bury the verdict; the details list every one."""


def named_changes(report, lang: str) -> str:
    """The document findings and the changes after intact signatures, each once, as text."""
    messages = list(report.document_findings)
    for signature in report.signatures + report.document_timestamps:
        if signature.integrity.value == "intact":
            messages.extend(m for m in signature.findings if m.code in CHANGE_FINDINGS)
    texts: list[str] = []
    for message in messages:
        text = render(message.code, lang, **message.params)
        if text not in texts:
            texts.append(text)
    return " ".join(texts[:MAX_NAMED])
