"""A small PDF writer for text documents (the authorship statement): A4 pages of lines in the
PDF standard fonts, no dependency, no clock (the same text gives the same bytes).

It reads the Markdown stretto writes: ``#``/``##`` headings in Helvetica-Bold, tables (``|``)
as aligned columns and indented code in Courier, other lines in Helvetica, wrapped to the page
width.
Text is encoded as WinAnsi (Latin-1); a character outside it is written as ``?``.
"""

from __future__ import annotations

import textwrap

PAGE_W, PAGE_H, MARGIN = 595, 842, 50  # A4 in points
FONTS = {"F1": "Helvetica", "F2": "Helvetica-Bold", "F3": "Courier"}


def _escape(s: str) -> str:
    s = s.encode("latin-1", "replace").decode("latin-1")
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


TABLE_CHARS = 118  # Courier 7.5 pt across the text width


def table_lines(rows: list[str]) -> list[str]:
    """Markdown table rows as aligned Courier lines: columns padded, the widest columns
    narrowed (their cells wrapped) until the row fits the page, a rule under the header."""
    cells = [[c.strip().replace("`", "") for c in r.strip().strip("|").split("|")]
             for r in rows if not set(r.replace("|", "").strip()) <= set("-: ")]
    n = max(len(r) for r in cells)
    cells = [r + [""] * (n - len(r)) for r in cells]
    widths = [max(len(r[k]) for r in cells) for k in range(n)]
    while sum(widths) + 2 * (n - 1) > TABLE_CHARS and max(widths) > 8:
        widths[widths.index(max(widths))] -= 1
    out = []
    for i, row in enumerate(cells):
        wrapped = [textwrap.wrap(c, w) or [""] for c, w in zip(row, widths)]
        for k in range(max(len(w) for w in wrapped)):
            out.append("  ".join((w[k] if k < len(w) else "").ljust(widths[j])
                                 for j, w in enumerate(wrapped)).rstrip())
        if i == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _styled(markdown: str) -> list[tuple[str, float, str]]:
    """(font, size, text) per printed line, wrapped."""
    out: list[tuple[str, float, str]] = []
    lines = markdown.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        i += 1
        if line.startswith("|"):
            rows = [line]
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(lines[i].rstrip())
                i += 1
            out += [("F3", 7.5, text) for text in table_lines(rows)]
        elif line.startswith("# "):
            out += [("F2", 15, t) for t in textwrap.wrap(line[2:], 60)] + [("F1", 6, "")]
        elif line.startswith("## "):
            out += [("F1", 6, "")] + [("F2", 12, t) for t in textwrap.wrap(line[3:], 75)]
        elif line.startswith("    "):
            text = line.replace("`", "")
            out += [("F3", 7.5, t) for t in textwrap.wrap(text, 118, subsequent_indent="  ",
                                                          drop_whitespace=False) or [""]]
        else:
            text = line.replace("**", "").replace("`", "")
            indent = "  " if text.startswith("- ") else ""
            out += [("F1", 9.5, t) for t in textwrap.wrap(text, 100,
                                                          subsequent_indent=indent) or [""]]
    return out


def text_pdf(markdown: str, *, title: str = "") -> bytes:
    """The PDF of ``markdown`` (see the module text)."""
    pages: list[list[str]] = [[]]
    y = PAGE_H - MARGIN
    for font, size, text in _styled(markdown):
        step = size * 1.35
        if y - step < MARGIN:
            pages.append([])
            y = PAGE_H - MARGIN
        y -= step
        if text:
            pages[-1].append(f"BT /{font} {size:g} Tf {MARGIN} {y:.2f} Td ({_escape(text)}) Tj ET")
    total = len(pages)
    for n, ops in enumerate(pages, 1):
        ops.append(f"BT /F1 8 Tf {PAGE_W / 2 - 20:.0f} 30 Td (page {n} of {total}) Tj ET")
    objects: list[bytes] = []
    font_ids = {}
    for key, name in FONTS.items():
        objects.append(f"<< /Type /Font /Subtype /Type1 /BaseFont /{name} "
                       "/Encoding /WinAnsiEncoding >>".encode())
        font_ids[key] = len(objects)
    fonts = " ".join(f"/{k} {v} 0 R" for k, v in font_ids.items())
    pages_id = len(objects) + 2 * total + 1
    kids = []
    for ops in pages:
        stream = "\n".join(ops).encode("latin-1", "replace")
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        objects.append(f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 {PAGE_W} "
                       f"{PAGE_H}] /Resources << /Font << {fonts} >> >> /Contents "
                       f"{len(objects)} 0 R >>".encode())
        kids.append(len(objects))
    objects.append(f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] "
                   f"/Count {total} >>".encode())
    assert len(objects) == pages_id
    objects.append(f"<< /Type /Catalog /Pages {pages_id} 0 R >>".encode())
    catalog = len(objects)
    objects.append(f"<< /Title ({_escape(title)}) /Producer (stretto) >>".encode())
    info = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += (b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objects) + 1, catalog, info, xref))
    return bytes(out)


__all__ = ["table_lines", "text_pdf"]
