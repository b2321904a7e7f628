"""Licence and credits inside WAV files: a RIFF ``LIST/INFO`` chunk and a Broadcast Wave
(EBU Tech 3285) ``bext`` chunk, added to a file soundfile wrote.

``LIST/INFO`` carries ``INAM`` (title), ``ICOP`` (the licence line), ``ICMT`` (the credits and
provenance), ``ISFT`` (stretto and the engine) and ``ICRD`` (the score version's date);
``bext`` carries the description (the licence line, cut to 256 bytes), the originator
(stretto), the originator reference (the score.json's sha256, first 32 hex digits), the
score version's date and time and a coding history line. Both are placed as BWF readers
expect: ``bext`` before ``fmt``, ``LIST`` after ``data``. Nothing depends on the clock: the
same score and inputs give the same bytes.

Pure Python (struct); :func:`read_wav_tags` reads them back.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

INFO_IDS = {"title": b"INAM", "copyright": b"ICOP", "comment": b"ICMT", "software": b"ISFT",
            "date": b"ICRD", "artist": b"IART"}
BEXT_FIXED = 602  # bytes before the coding history (version 2)


@dataclass(frozen=True)
class WavTags:
    """What a stretto WAV says about itself: ``title``, ``copyright`` (the licence line),
    ``comment`` (credits, provenance), ``software``, ``date`` (``YYYY-MM-DD``), ``artist``,
    and the bext ``reference`` (score sha256 prefix), ``time`` (``HH:MM:SS``) and
    ``history`` (coding history)."""

    title: str = ""
    copyright: str = ""
    comment: str = ""
    software: str = ""
    date: str = ""
    artist: str = ""
    reference: str = ""
    time: str = ""
    history: str = ""


def _chunk(cid: bytes, body: bytes) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _text(s: str) -> bytes:
    return s.encode("utf-8", "replace")


def info_chunk(tags: WavTags) -> bytes:
    """The ``LIST`` chunk of type ``INFO`` holding the non-empty fields (UTF-8, NUL-ended)."""
    body = b"INFO"
    for field, cid in INFO_IDS.items():
        value = getattr(tags, field)
        if value:
            body += _chunk(cid, _text(value) + b"\0")
    return _chunk(b"LIST", body)


def _fixed(s: str, n: int) -> bytes:
    raw = _text(s)[:n]
    return raw + b"\0" * (n - len(raw))


def bext_chunk(tags: WavTags) -> bytes:
    """The BWF ``bext`` chunk (version 2; loudness fields zero, as unmeasured)."""
    body = (_fixed(tags.copyright, 256) + _fixed("stretto", 32) + _fixed(tags.reference, 32)
            + _fixed(tags.date, 10) + _fixed(tags.time, 8) + struct.pack("<Q", 0)
            + struct.pack("<H", 2) + b"\0" * 64 + b"\0" * 10 + b"\0" * 180)
    assert len(body) == BEXT_FIXED
    history = _text(tags.history + "\r\n") if tags.history else b""
    return _chunk(b"bext", body + history)


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF WAVE file")
    out, pos = [], 12
    while pos + 8 <= len(data):
        cid, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        out.append((cid, data[pos + 8:pos + 8 + size]))
        pos += 8 + size + (size % 2)
    return out


def tag_wav(data: bytes, tags: WavTags) -> bytes:
    """``data`` (a WAV file's bytes) with ``bext`` before ``fmt`` and ``LIST/INFO`` after
    ``data``; any earlier ``bext`` or ``LIST/INFO`` is replaced."""
    kept = [(c, b) for c, b in _chunks(data)
            if c != b"bext" and not (c == b"LIST" and b[:4] == b"INFO")]
    body = b"WAVE" + bext_chunk(tags)
    for cid, chunk in kept:
        body += _chunk(cid, chunk)
    body += info_chunk(tags)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def tag_file(path: str | Path, tags: WavTags) -> None:
    """Add the tags to the WAV file at ``path`` in place."""
    p = Path(path)
    p.write_bytes(tag_wav(p.read_bytes(), tags))


def _cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("utf-8", "replace")


def read_wav_tags(path: str | Path) -> WavTags:
    """The tags of a WAV file (empty fields where it has none)."""
    fields: dict[str, str] = {}
    by_id = {v: k for k, v in INFO_IDS.items()}
    for cid, body in _chunks(Path(path).read_bytes()):
        if cid == b"LIST" and body[:4] == b"INFO":
            for sub, value in _chunks(b"RIFF\0\0\0\0WAVE" + body[4:]):
                if sub in by_id:
                    fields[by_id[sub]] = _cstr(value)
        elif cid == b"bext" and len(body) >= BEXT_FIXED:
            fields.setdefault("copyright", _cstr(body[:256]))
            fields["reference"] = _cstr(body[288:320])
            fields.setdefault("date", _cstr(body[320:330]))
            fields["time"] = _cstr(body[330:338])
            fields["history"] = body[BEXT_FIXED:].decode("utf-8", "replace").strip("\0\r\n")
    return WavTags(**fields)


def has_bext(path: str | Path) -> bool:
    return any(c == b"bext" for c, _ in _chunks(Path(path).read_bytes()))


__all__ = ["WavTags", "bext_chunk", "has_bext", "info_chunk", "read_wav_tags", "tag_file",
           "tag_wav"]
