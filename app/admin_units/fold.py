"""Diacritic folding for name search.

``fold("Phường Bến Nghé") == "phuong ben nghe"``: decompose (NFD), drop the combining marks,
map đ/Đ to d, lower-case and collapse white space. Because every tone mark is dropped, the two
tone-placement spellings in use ("Hoà"/"Hòa", "Thuỷ"/"Thủy") fold to the same text, and so do
names typed without diacritics. Stored in ``name_folded`` columns and applied to the query.
"""

from __future__ import annotations

import unicodedata

_D_MAP = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
