"""What changed after a signature: pyHanko's difference analysis (how bad) combined with
the page comparison of :mod:`verification.changes` (where), and the findings that say so.
"""

from __future__ import annotations

import logging

from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, DiffResult, ModificationLevel
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import SignatureCoverageLevel

from verification.changes import PageChanges, page_changes
from verification.changes_detail import field_changes, metadata_changes
from verification.document import Document, is_timestamp
from verification.report import ChangeKind, ChangesAfterSigning, Message
from verification.signature_facts import STANDARD_COVERAGE

logger = logging.getLogger(__name__)


def analyse_changes(
    emb: EmbeddedPdfSignature, doc: Document, intact: bool
) -> tuple[ChangesAfterSigning, list[Message], bool]:
    """Changes after ``emb``; also whether they break the DocMDP/FieldMDP lock."""
    later = doc.later_fields(emb)
    if emb.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return ChangesAfterSigning(kind=ChangeKind.NONE), [], False
    if emb.coverage not in STANDARD_COVERAGE:
        kind = ChangeKind.OTHER if intact else ChangeKind.NONE
        return ChangesAfterSigning(kind=kind, later_signatures=later, analysed=False), [], False

    if doc.issued_as_is:
        level, filled, analysed, findings = _written_by_issuer(emb, doc, later)
    else:
        level, filled, analysed, findings = _modification_level(emb, later)
    fields, metadata = (), ()
    try:
        pages = page_changes(doc.reader, emb.signed_revision)
        fields = field_changes(doc.reader, emb.signed_revision)
        metadata = metadata_changes(doc.reader, emb.signed_revision, max(doc.signed_revisions()))
    except Exception:
        logger.info("changes after signing not analysable", exc_info=True)
        analysed = False
        pages = None
        findings.append(Message("finding.changes_unanalysable"))

    kind = _change_kind(level, pages, analysed)
    docmdp = emb.docmdp_level
    docmdp_violated = docmdp is not None and (
        level == ModificationLevel.OTHER or level.value > docmdp.value
    )

    changes = ChangesAfterSigning(
        kind=kind,
        pages_added=pages.pages_added if pages else (),
        pages_removed=pages.pages_removed if pages else 0,
        pages_with_content_changes=pages.content_changed if pages else (),
        pages_with_annotation_changes=pages.annotations_changed if pages else (),
        form_fields_filled=filled,
        later_signatures=later,
        analysed=analysed,
        form_field_changes=fields,
        metadata_changes=metadata,
    )
    findings.extend(_findings(changes, level, docmdp_violated))
    findings.extend(_detail_findings(changes))
    return changes, findings, docmdp_violated


def _modification_level(
    emb: EmbeddedPdfSignature, later: tuple[str, ...]
) -> tuple[ModificationLevel, tuple[str, ...], bool, list[Message]]:
    """pyHanko's verdict on the later revisions: (level, form fields filled, analysed, findings)."""
    findings: list[Message] = []
    level, filled, analysed = ModificationLevel.OTHER, (), True
    try:
        diff = emb.evaluate_modifications(DEFAULT_DIFF_POLICY)
        if isinstance(diff, DiffResult):
            level = diff.modification_level
            filled = tuple(sorted({str(f) for f in diff.changed_form_fields} - set(later)))
        elif _is_vri_rewrite(diff):
            # Rewriting a DSS /VRI entry only replaces validation data (DSS and ETSI treat
            # it as such); pyHanko stops its analysis there, so the page comparison
            # is what still catches content changes made in the same revisions.
            level = ModificationLevel.LTA_UPDATES
    except Exception:  # pyHanko chokes on some shadow-attack files: count as changed
        logger.info("difference analysis failed", exc_info=True)
        analysed = False
        findings.append(Message("finding.changes_unanalysable"))
    return level, filled, analysed, findings


def _written_by_issuer(
    emb: EmbeddedPdfSignature, doc: Document, later: tuple[str, ...]
) -> tuple[ModificationLevel, tuple[str, ...], bool, list[Message]]:
    """The level of changes after ``emb`` in a file that is byte for byte a registered document.

    pyHanko's difference analysis (about 40% of a B-LTA document's verification) answers
    "did someone other than the signer change what was signed?". For a file whose SHA-256
    the register holds, the service itself wrote every revision after the first signature
    (the agency seal, the document timestamps, the validation data) and recorded the result,
    so that question is already answered by the hash; the issued-document policy's own
    checks (pages, field values, metadata, structure) still run. Later signatures are
    FORM_FILLING and the rest validation data, as pyHanko grades them."""
    signatures_after = any(not is_timestamp(e) and e.signed_revision > emb.signed_revision for e in doc.embedded)
    level = ModificationLevel.FORM_FILLING if signatures_after else ModificationLevel.LTA_UPDATES
    return level, (), True, [Message("finding.written_by_issuer")]


def _change_kind(level: ModificationLevel, pages: PageChanges | None, analysed: bool) -> ChangeKind:
    kind = {
        ModificationLevel.NONE: ChangeKind.NONE,
        ModificationLevel.LTA_UPDATES: ChangeKind.NONE,
        ModificationLevel.FORM_FILLING: ChangeKind.FORM_FILLING,
        ModificationLevel.ANNOTATIONS: ChangeKind.ANNOTATIONS,
    }.get(level, ChangeKind.OTHER)
    if pages is not None and kind is ChangeKind.OTHER and analysed:
        # pyHanko reports added annotations as OTHER; say what a reader sees instead
        if pages.annotations_changed and not (
            pages.content_changed or pages.pages_added or pages.pages_removed
        ):
            kind = ChangeKind.ANNOTATIONS
    return kind


def _findings(changes: ChangesAfterSigning, level: ModificationLevel, docmdp_violated: bool) -> list[Message]:
    """The findings that describe ``changes`` to a reader."""
    findings: list[Message] = []
    kind, filled, later = changes.kind, changes.form_fields_filled, changes.later_signatures
    if changes.pages_added:
        findings.append(Message("finding.pages_added", {"pages": _pages(changes.pages_added)}))
    if changes.pages_removed:
        findings.append(Message("finding.pages_removed", {"count": changes.pages_removed}))
    if changes.pages_with_content_changes:
        findings.append(Message("finding.content_changed", {"pages": _pages(changes.pages_with_content_changes)}))
    if changes.pages_with_annotation_changes and kind in (ChangeKind.ANNOTATIONS, ChangeKind.OTHER):
        findings.append(
            Message("finding.annotations_changed", {"pages": _pages(changes.pages_with_annotation_changes)})
        )
    if kind is ChangeKind.OTHER and changes.analysed and not (
        changes.pages_added or changes.pages_removed or changes.pages_with_content_changes
    ):
        findings.append(Message("finding.other_changes"))
    if filled:
        findings.append(Message("finding.form_filled", {"fields": ", ".join(filled)}))
    if later:
        findings.append(Message("finding.later_signatures", {"fields": ", ".join(later)}))
    if level == ModificationLevel.LTA_UPDATES:
        findings.append(Message("finding.ltv_updates"))
    if docmdp_violated:
        findings.append(Message("finding.docmdp_violated"))
    return findings


MAX_NAMED_FIELDS = 10


def _detail_findings(changes: ChangesAfterSigning) -> list[Message]:
    """Field values (old → new) and metadata changed after signing, one finding each."""
    findings: list[Message] = []
    for change in changes.form_field_changes[:MAX_NAMED_FIELDS]:
        params = {"field": change.name, "old": change.old or "", "new": change.new or ""}
        code = "finding.form_field_value"
        if change.replaced:
            code = "finding.form_field_replaced" if change.old != change.new else "finding.form_field_redrawn"
        findings.append(Message(code, params))
    if changes.metadata_changes:
        findings.append(Message("finding.metadata_changed", {"items": ", ".join(changes.metadata_changes)}))
    return findings


def beyond_issued_document(changes: ChangesAfterSigning) -> bool:
    """Whether ``changes`` hold anything but further signatures, document timestamps and
    validation data: what the issued-document policy refuses after a signature.

    pyHanko's modification levels cannot say this alone: signing a further field is
    FORM_FILLING like filling a text field, and /Info or XMP rewrites are LTA_UPDATES
    like adding a DSS; the field values, pages and metadata compared by hand tell them
    apart (pyHanko's own list of changed fields also names fields whose widget was only
    touched by a later signing, so the values are compared instead)."""
    return bool(
        changes.kind in (ChangeKind.ANNOTATIONS, ChangeKind.OTHER)
        or not changes.analysed
        or changes.pages_added
        or changes.pages_removed
        or changes.pages_with_content_changes
        or changes.pages_with_annotation_changes
        or changes.form_field_changes
        or changes.metadata_changes
    )


def _is_vri_rewrite(diff) -> bool:
    text = str(diff)
    return text.startswith("VRI key ") and text.endswith("was modified or deleted.")


def _pages(numbers) -> str:
    return ", ".join(str(n) for n in numbers)
