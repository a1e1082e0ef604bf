"""PDFs rewritten with pikepdf (qpdf) without what identifies their author or acts on its own.

Removed: the document information dictionary (``/Author``, ``/Creator``, ``/Producer``...), every
XMP ``/Metadata`` stream (document, page and image level), application private data
(``/PieceInfo``), document and page thumbnails, JavaScript (the ``/Names`` tree, ``/JS``),
automatic actions (``/OpenAction``, ``/AA``), actions other than in-document navigation and
links, embedded files (the ``/EmbeddedFiles`` tree, ``/EF``, file attachment annotations) and
XFA forms. qpdf writes only the objects still reachable, so what was cut is gone from the file.
An encrypted or unreadable PDF is refused. Blocking: run in a thread.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf

# Keys whose values are metadata, scripts, automatic actions or embedded files.
_DROPPED_KEYS = frozenset(
    {
        "/Metadata",
        "/PieceInfo",
        "/Thumb",
        "/JS",
        "/JavaScript",
        "/AA",
        "/OpenAction",
        "/EmbeddedFiles",
        "/EF",
        "/XFA",
        "/RichMediaContent",
        "/RichMediaSettings",
    }
)
# Actions kept: navigation inside the document, named navigation, links.
_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named", "/Thread"})
_DROPPED_ANNOTATIONS = frozenset({"/FileAttachment", "/RichMedia", "/Movie", "/Sound", "/Screen"})


class DocumentRejected(Exception):
    pass


def clean_pdf(source: Path, target: Path) -> None:
    try:
        with pikepdf.open(source) as pdf:
            if pdf.is_encrypted:
                raise DocumentRejected("encrypted")
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            for page in pdf.pages:
                _drop_annotations(page.obj)
            _scrub(pdf.Root, set())
            pdf.save(target, deterministic_id=True, encryption=False)
    except DocumentRejected:
        raise
    except (pikepdf.PdfError, pikepdf.PasswordError, OSError, ValueError, RuntimeError):
        raise DocumentRejected("unreadable") from None


def _drop_annotations(page: pikepdf.Dictionary) -> None:
    annots = page.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return
    kept = [
        a
        for a in annots
        if not (isinstance(a, pikepdf.Dictionary) and a.get("/Subtype") in _DROPPED_ANNOTATIONS)
    ]
    if len(kept) != len(annots):
        page["/Annots"] = pikepdf.Array(kept)


def _scrub(obj: object, seen: set[tuple[int, int]]) -> None:
    """Walk every dictionary and array reachable from ``obj`` once, cutting dropped keys."""
    stack = [obj]
    while stack:
        current = stack.pop()
        if not isinstance(current, pikepdf.Object):
            continue
        if current.is_indirect:
            ref = current.objgen
            if ref in seen:
                continue
            seen.add(ref)
        if isinstance(current, pikepdf.Array):
            stack.extend(current)
            continue
        if not isinstance(current, (pikepdf.Dictionary, pikepdf.Stream)):
            continue
        keys = list(current.keys())
        for key in keys:
            if key in _DROPPED_KEYS:
                del current[key]
        action = current.get("/A")
        if isinstance(action, pikepdf.Dictionary) and action.get("/S") not in _SAFE_ACTIONS:
            del current["/A"]
        if current.get("/S") == "/JavaScript" or current.get("/Type") == "/EmbeddedFile":
            continue
        stack.extend(current[key] for key in keys if key in current and key != "/Parent")
