"""The small PDF writer of the authorship statement: valid structure, page breaks, and the
same text gives the same bytes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from stretto.io.engrave import pdf_pages
from stretto.io.textpdf import text_pdf

DOC = "# Title (one)\n\nA line with (parens), a back\\slash and é.\n\n## Table\n\n| a | b |\n"


def _xref_ok(pdf: bytes) -> bool:
    start = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    if not pdf[start:].startswith(b"xref"):
        return False
    offsets = [int(m) for m in re.findall(rb"(\d{10}) 00000 n", pdf)]
    return all(re.match(rb"\d+ 0 obj", pdf[o:o + 12]) for o in offsets)


@pytest.mark.parametrize("lines, pages", [(1, 1), (200, 4)], ids=["short", "long"])
def test_pages_and_xref(lines, pages):
    pdf = text_pdf(DOC + "\n".join(f"- item {k}" for k in range(lines)), title="T")
    assert pdf_pages(pdf) == pages
    assert _xref_ok(pdf)


def test_deterministic():
    assert text_pdf(DOC, title="T") == text_pdf(DOC, title="T")


def test_text_is_readable():
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) reads the text back")
    pdf = text_pdf(DOC, title="T")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                          check=True).stdout.decode("utf-8")
    assert "Title (one)" in text and "back\\slash and é" in text


def test_tables_are_aligned_and_fit_the_page():
    from stretto.io.textpdf import TABLE_CHARS, table_lines

    rows = ["| voice | notes |", "|---|---|", "| Soprano | 36 |", "| all | 108 |"]
    assert table_lines(rows) == ["voice    notes", "-------  -----", "Soprano  36", "all      108"]
    wide = ["| a | b |", "|---|---|", f"| {'x' * 100} | {'y ' * 60} |"]
    lines = table_lines(wide)
    assert all(len(line) <= TABLE_CHARS for line in lines) and len(lines) > 3
