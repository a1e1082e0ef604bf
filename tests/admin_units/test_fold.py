from __future__ import annotations

import pytest

from app.admin_units.fold import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Phường Bến Nghé", "phuong ben nghe"),
        ("Đặc khu Côn Đảo", "dac khu con dao"),
        ("  Thành phố   Hồ Chí Minh ", "thanh pho ho chi minh"),
        ("ĐỒNG NAI", "dong nai"),
        ("Bà Rịa - Vũng Tàu", "ba ria - vung tau"),
        ("ben nghe", "ben nghe"),
    ],
)
def test_fold_strips_diacritics_case_and_extra_spaces(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_tone_placement_variants_fold_the_same() -> None:
    assert fold("Hoà") == fold("Hòa") == "hoa"
    assert fold("Thuỷ") == fold("Thủy") == "thuy"
    # Decomposed input (as some keyboards send it) folds like the composed form.
    assert fold("Ho\u0300a") == fold("Hòa")
