"""A4 PDFs in Vietnamese with the shipped DejaVu Sans font (never a system font): the biên
bản tiếp nhận of one tip and a unit's sổ tiếp nhận. Pure: plain data in, bytes out (CPU work:
callers run it in a thread)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

FONTS = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"
LINE = 6.0  # mm


@dataclass(frozen=True)
class Letterhead:
    parent_name: str  # the unit above (the provincial police), or ""
    unit_name: str
    number: str  # "Số: ..."
    place_and_date: str  # "Thành phố Hồ Chí Minh, ngày 20 tháng 11 năm 2026"


@dataclass(frozen=True)
class IntakeRecordDoc:
    letterhead: Letterhead
    title: str
    subtitle: str
    opening: str  # "Hồi ... giờ ..., tại ..."
    facts: Sequence[tuple[str, str]]  # (label, value)
    content: str  # what was received
    closing: str
    signatures: tuple[str, str] = ("NGƯỜI BÁO TIN", "CÁN BỘ TIẾP NHẬN")
    signers: tuple[str, str] = ("", "")


@dataclass(frozen=True)
class RegisterDoc:
    letterhead: Letterhead
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    col_widths: Sequence[float]
    footer: str = ""
    notes: Sequence[str] = field(default_factory=tuple)


class _Document(FPDF):
    def __init__(self, *, orientation: str, title: str, created: datetime) -> None:
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_margins(20, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)
        self.set_title(title)
        self.set_lang("vi")
        self.set_creator("TinBáo")
        self.set_creation_date(created)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align="C")

    def line_of(self, text: str, *, size: float = 11, bold: bool = False, align: str = "L") -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.multi_cell(0, LINE, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _column(doc: _Document, width: float, lines: Sequence[tuple[str, str]]) -> float:
    """Lines (style, text) centred in a column starting at the current x; the bottom y."""
    for style, text in lines:
        doc.set_font(FONT, style, 10)
        doc.multi_cell(width, 5, text, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return doc.get_y()


def _letterhead(doc: _Document, head: Letterhead) -> None:
    half = (doc.w - doc.l_margin - doc.r_margin) / 2
    top = doc.get_y()
    left = [("", head.parent_name.upper())] if head.parent_name else []
    left += [("B", head.unit_name.upper()), ("", head.number)]
    left_bottom = _column(doc, half, left)
    doc.set_xy(doc.l_margin + half, top)
    right = [
        ("B", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
        ("B", "Độc lập - Tự do - Hạnh phúc"),
        ("", head.place_and_date),
    ]
    right_bottom = _column(doc, half, right)
    doc.set_xy(doc.l_margin, max(left_bottom, right_bottom) + 6)


def intake_record_pdf(record: IntakeRecordDoc, *, created: datetime) -> bytes:
    doc = _Document(orientation="portrait", title=record.title, created=created)
    doc.add_page()
    _letterhead(doc, record.letterhead)
    doc.line_of(record.title.upper(), size=14, bold=True, align="C")
    doc.line_of(record.subtitle, size=11, align="C")
    doc.ln(4)
    doc.line_of(record.opening)
    doc.ln(1)
    for label, value in record.facts:
        doc.set_font(FONT, "B", 11)
        doc.write(LINE, f"{label}: ")
        doc.set_font(FONT, "", 11)
        doc.write(LINE, value or "…")
        doc.ln(LINE)
    doc.ln(1)
    doc.line_of("Nội dung tiếp nhận:", bold=True)
    doc.line_of(record.content)
    doc.ln(2)
    doc.line_of(record.closing, size=10)
    _signatures(doc, record.signatures, record.signers)
    return bytes(doc.output())


def _signatures(doc: _Document, titles: tuple[str, str], names: tuple[str, str]) -> None:
    if doc.get_y() > doc.h - 70:
        doc.add_page()
    doc.ln(8)
    half = (doc.w - doc.l_margin - doc.r_margin) / 2
    top = doc.get_y()
    for column, (title, name) in enumerate(zip(titles, names, strict=True)):
        doc.set_xy(doc.l_margin + column * half, top)
        doc.set_font(FONT, "B", 11)
        doc.cell(half, LINE, title, align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        doc.set_font(FONT, "", 9)
        doc.cell(half, 5, "(Ký, ghi rõ họ tên)", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
        doc.set_y(top + 35)
        doc.set_x(doc.l_margin + column * half)
        doc.set_font(FONT, "B", 11)
        doc.cell(half, LINE, name, align="C")


def register_pdf(register: RegisterDoc, *, created: datetime) -> bytes:
    doc = _Document(orientation="landscape", title=register.title, created=created)
    doc.add_page()
    _letterhead(doc, register.letterhead)
    doc.line_of(register.title.upper(), size=14, bold=True, align="C")
    for note in register.notes:
        doc.line_of(note, size=10, align="C")
    doc.ln(3)
    doc.set_font(FONT, "", 9)
    with doc.table(
        col_widths=tuple(register.col_widths),
        headings_style=FontFace(emphasis="BOLD"),
        line_height=5,
        first_row_as_headings=True,
    ) as table:
        heading = table.row()
        for text in register.header:
            heading.cell(text)
        for values in register.rows:
            row = table.row()
            for text in values:
                row.cell(text)
    if register.footer:
        doc.ln(3)
        doc.line_of(register.footer, size=10)
    return bytes(doc.output())
