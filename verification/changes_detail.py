"""What pyHanko's difference analysis accepts without naming it: form field values and
document metadata changed after a signature.

pyHanko reports *that* form fields were filled (their names) and files changes to the
document information dictionary and the XMP metadata stream under "LTA updates" (its
``DocInfoRule`` and ``MetadataUpdateRule`` whitelist them). A person checking a document
needs the old and new value of a field (a field refilled after signing is the shadow
"replace" attack) and to know that the title or author was rewritten, so both are compared
here by hand between the signed revision and the final document.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pyhanko.pdf_utils import generic

MAX_FIELDS = 2000
MAX_VALUE_CHARS = 120
INFO_KEYS_SET_BY_SIGNING = frozenset({"/ModDate", "/Producer"})
"""/Info entries that signing software updates in the revision it signs or extends."""
XMP = "XMP"


@dataclass(frozen=True)
class FieldChange:
    """A non-signature form field whose value differs from the signed revision's."""

    name: str
    old: str | None
    """The value in the signed revision; None when the field was empty or absent."""
    new: str | None
    appearance_changed: bool = False
    """The field's appearance (what a viewer shows) differs from the signed one."""

    @property
    def replaced(self) -> bool:
        """A value that was signed was replaced, or its appearance redrawn (not a first filling)."""
        return self.old is not None

    def to_dict(self) -> dict:
        return {"name": self.name, "old": self.old, "new": self.new, "appearance_changed": self.appearance_changed}


def _get(dictionary, key: str, default=None):
    """``dictionary[key]`` with indirect references resolved (``get`` returns them raw)."""
    if not isinstance(dictionary, generic.DictionaryObject) or key not in dictionary:
        return default
    return dictionary[key]


def _text(value) -> str | None:
    if isinstance(value, generic.IndirectObject):
        value = value.get_object()
    if value is None or isinstance(value, generic.NullObject):
        return None
    if isinstance(value, (generic.TextStringObject, generic.ByteStringObject)):
        text = value if isinstance(value, str) else bytes(value).decode("latin-1")
    elif isinstance(value, generic.NameObject):
        text = str(value)[1:]
    elif isinstance(value, generic.ArrayObject):
        text = ", ".join(t for t in (_text(v) for v in value) if t)
    else:
        text = f"<{type(value).__name__}>"
    text = str(text)
    if not text:
        return None  # an empty value is an empty field
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _appearance(field: generic.DictionaryObject, kids) -> str:
    """Digest of the normal appearance streams of a field and its widgets."""
    digest = hashlib.sha256()
    widgets = [field] + [k.get_object() for k in kids] if isinstance(kids, generic.ArrayObject) else [field]
    for widget in widgets:
        normal = _get(_get(widget, "/AP"), "/N")
        states = [normal] if isinstance(normal, generic.StreamObject) else (
            [normal[k] for k in sorted(normal)] if isinstance(normal, generic.DictionaryObject) else []
        )
        for stream in states:
            if isinstance(stream, generic.StreamObject):
                digest.update(hashlib.sha256(stream.data).digest())
    return digest.hexdigest()


def field_values(root) -> dict[str, tuple[str | None, str]]:
    """Fully qualified name → (value, appearance digest) of every terminal non-signature
    field under ``root``."""
    values: dict[str, tuple[str | None, str]] = {}
    fields = _get(_get(root, "/AcroForm"), "/Fields")
    if not isinstance(fields, generic.ArrayObject):
        return values
    stack = [(ref, "", None) for ref in reversed(list(fields))]
    seen: set = set()
    while stack and len(seen) < MAX_FIELDS:
        ref, prefix, inherited_type = stack.pop()
        key = ref.reference if isinstance(ref, generic.IndirectObject) else id(ref)
        field = ref.get_object() if isinstance(ref, generic.IndirectObject) else ref
        if key in seen or not isinstance(field, generic.DictionaryObject):
            continue
        seen.add(key)
        partial = _get(field, "/T")
        name = f"{prefix}.{partial}" if prefix and partial is not None else str(partial or prefix)
        field_type = _get(field, "/FT", inherited_type)
        kids = _get(field, "/Kids")
        named_kids = isinstance(kids, generic.ArrayObject) and any(
            _get(k.get_object(), "/T") is not None for k in kids
        )
        if named_kids:
            stack.extend((kid, name, field_type) for kid in reversed(list(kids)))
        elif field_type != "/Sig":
            values[name] = (_text(_get(field, "/V")), _appearance(field, kids))
    return values


def field_changes(reader, signed_revision: int) -> tuple[FieldChange, ...]:
    """Fields whose value or appearance in the final document differs from the signed
    revision's (a redrawn appearance with the same value is the shadow "replace" attack)."""
    old = field_values(reader.get_historical_root(signed_revision))
    new = field_values(reader.root)
    absent = (None, "")
    return tuple(
        FieldChange(name, old.get(name, absent)[0], new.get(name, absent)[0],
                    old.get(name, absent)[1] != new.get(name, absent)[1])
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    )


def _info(resolver) -> dict:
    try:  # resolved in this revision (the trailer view alone resolves in the final one)
        raw = resolver.trailer_view.raw_get("/Info")
        info = resolver(raw.reference) if isinstance(raw, generic.IndirectObject) else raw
    except Exception:  # a broken /Info reference reads as no information dictionary
        return {}
    return dict(info.items()) if isinstance(info, generic.DictionaryObject) else {}


def _xmp_key(root):
    """What identifies the XMP stream of a revision: its reference (or a direct copy)."""
    if not isinstance(root, generic.DictionaryObject) or "/Metadata" not in root:
        return None
    raw = root.raw_get("/Metadata")
    return raw.reference if isinstance(raw, generic.IndirectObject) else raw


def metadata_changes(reader, signed_revision: int, last_signed_revision: int) -> tuple[str, ...]:
    """/Info entries and the XMP stream changed after ``signed_revision`` in revisions no
    signature or document timestamp covers (after ``last_signed_revision``). Earlier ones were
    signed by a later signer (tools adding validation data between signatures update XMP)."""
    changed: set[str] = set()
    for revision in range(max(signed_revision, last_signed_revision) + 1, reader.xrefs.total_revisions):
        before = reader.get_historical_resolver(revision - 1)
        after = reader.get_historical_resolver(revision)
        old_info, new_info = _info(before), _info(after)
        for key in set(old_info) | set(new_info):
            if key not in INFO_KEYS_SET_BY_SIGNING and old_info.get(key) != new_info.get(key):
                changed.add(f"/Info {key}")
        old_root = reader.get_historical_root(revision - 1)
        new_root = reader.get_historical_root(revision)
        new_xmp = _xmp_key(new_root)
        explicit = set(reader.xrefs.explicit_refs_in_revision(revision))
        if _xmp_key(old_root) != new_xmp or (
            isinstance(new_xmp, generic.Reference) and new_xmp in explicit
        ):
            changed.add(XMP)
    return tuple(sorted(changed))
