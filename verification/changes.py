"""Which pages changed after a signed revision, and how.

pyHanko's difference analysis says *how bad* the changes are (a modification level) but
not *where*; a person checking a result needs the page numbers. This walks the page tree
of the signed revision and of the final file and compares them through the xref history,
which pyHanko exposes but does not summarise per page.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyhanko.pdf_utils import generic

MAX_PAGES = 5000
"""Stop walking a page tree beyond this (hostile files can claim millions of pages)."""


@dataclass(frozen=True)
class PageChanges:
    """Per-page differences between a signed revision and the final document."""

    pages_added: tuple[int, ...]
    """1-based page numbers, in the final document, of pages not in the signed revision."""
    pages_removed: int
    """Pages of the signed revision no longer in the document."""
    content_changed: tuple[int, ...]
    """Pages (final numbering) whose page dictionary or content streams changed."""
    annotations_changed: tuple[int, ...]
    """Pages whose annotations changed, new signature widgets excluded."""


def _page_refs(root) -> list[generic.Reference]:
    """References of the leaf pages, in order, with loop and size guards."""
    pages: list[generic.Reference] = []
    seen: set[generic.Reference] = set()
    stack = [root.raw_get("/Pages")]
    while stack and len(pages) < MAX_PAGES:
        node_ref = stack.pop()
        if not isinstance(node_ref, generic.IndirectObject):
            continue
        if node_ref.reference in seen:
            continue
        seen.add(node_ref.reference)
        node = node_ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            continue
        kids = node.get("/Kids") if node.get("/Type") != "/Page" else None
        if kids is None:
            pages.append(node_ref.reference)
            continue
        kids = kids.get_object() if isinstance(kids, generic.IndirectObject) else kids
        if isinstance(kids, generic.ArrayObject):
            stack.extend(reversed(list(kids)))
    return pages


def _refs_in(value) -> list[generic.Reference]:
    value_obj = value
    refs = []
    if isinstance(value, generic.IndirectObject):
        refs.append(value.reference)
        value_obj = value.get_object()
    if isinstance(value_obj, generic.ArrayObject):
        refs.extend(v.reference for v in value_obj if isinstance(v, generic.IndirectObject))
    return refs


def _is_signature_widget(annot_ref: generic.Reference, reader) -> bool:
    annot = reader.get_object(annot_ref)
    if not isinstance(annot, generic.DictionaryObject):
        return False
    field = annot
    if "/FT" not in field and "/Parent" in field:
        field = field["/Parent"]
    return isinstance(field, generic.DictionaryObject) and field.get("/FT") == "/Sig"


def page_changes(reader, signed_revision: int) -> PageChanges:
    """Compare the pages of ``signed_revision`` with the final document."""
    xrefs = reader.xrefs
    changed: set[generic.Reference] = set()
    for revision in range(signed_revision + 1, xrefs.total_revisions):
        changed |= set(xrefs.explicit_refs_in_revision(revision))

    old_root = reader.get_historical_root(signed_revision)
    old_pages = _page_refs(old_root)
    new_pages = _page_refs(reader.root)
    old_set = set(old_pages)
    old_resolver = reader.get_historical_resolver(signed_revision)

    added, content, annots = [], [], []
    for number, ref in enumerate(new_pages, start=1):
        if ref not in old_set:
            added.append(number)
            continue
        new_page = reader.get_object(ref)
        old_page = old_resolver(ref) if ref in changed else new_page
        keys = set(new_page.keys()) | set(old_page.keys())
        if any(
            k != "/Annots" and new_page.raw_get(k, None) != old_page.raw_get(k, None) for k in keys
        ):
            content.append(number)
        elif any(r in changed for r in _refs_in(new_page.raw_get("/Contents", None))):
            content.append(number)
        old_annots = set(_refs_in(old_page.raw_get("/Annots", None))) if "/Annots" in old_page else set()
        new_annots = set(_refs_in(new_page.raw_get("/Annots", None))) if "/Annots" in new_page else set()
        touched = {r for r in new_annots if r in changed or r not in old_annots}
        touched = {r for r in touched if not _is_signature_widget(r, reader)}
        if touched or (old_annots - new_annots):
            annots.append(number)
    removed = len(old_set - set(new_pages))
    return PageChanges(tuple(added), removed, tuple(content), tuple(annots))
