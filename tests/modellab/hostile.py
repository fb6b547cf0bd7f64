"""Hostile files made byte by byte: malformed zip archives, and an EPS drawing to pose as an image.

A malformed archive is a valid one from zipfile with one field patched.
Offsets follow the ZIP format (APPNOTE 4.3.7 and 4.3.12): a local file header is 30 bytes
(flags at 6, method at 8, CRC-32 at 14, name length at 26, extra length at 28), a central
directory record 46 (flags at 8, method at 10, CRC-32 at 16, name lengths at 28).
"""

from __future__ import annotations

import io
import struct
import zipfile

from PIL import Image

CENTRAL = b"PK\x01\x02"

# Encapsulated PostScript: Pillow's EPS plugin reads this header on its own and runs Ghostscript
# on the file at load().
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n%%EndComments\n0 0 moveto 16 16 lineto stroke\nshowpage\n%%EOF\n"


def record_ghostscript(monkeypatch) -> list:
    """Replace Pillow's Ghostscript call by a recorder; a call in the returned list means untrusted
    PostScript reached an interpreter."""
    from PIL import EpsImagePlugin

    calls = []

    def ghostscript(*args, **kwargs):
        calls.append(args)
        raise OSError("Ghostscript ran")

    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", ghostscript)
    return calls


def png(colour=(200, 10, 10), size=16) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="PNG")
    return out.getvalue()


def good_entries() -> dict[str, bytes]:
    """Two classes of five small PNGs: an archive that prepare_upload accepts."""
    colours = {"red": lambda i: (40 * i, 10, 10), "blue": lambda i: (10, 10, 40 * i)}
    return {f"{c}/{c}{i}.png": png(colour(i)) for c, colour in colours.items() for i in range(5)}


def build(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytearray:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return bytearray(out.getvalue())


def headers(data: bytes | bytearray, name: str) -> tuple[int, int]:
    """(offset of the local file header, offset of the central directory record) of entry ``name``."""
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        local, pos = zf.getinfo(name).header_offset, zf.start_dir
    while data[pos : pos + 4] == CENTRAL:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        if data[pos + 46 : pos + 46 + name_len] == name.encode():
            return local, pos
        pos += 46 + name_len + extra_len + comment_len
    raise KeyError(name)


def data_offset(data: bytes | bytearray, name: str) -> int:
    """Offset of the entry's (compressed) data, right after its local header."""
    local, _ = headers(data, name)
    name_len, extra_len = struct.unpack_from("<HH", data, local + 26)
    return local + 30 + name_len + extra_len


def with_flags(data: bytearray, name: str, bits: int) -> bytearray:
    """Set general purpose flag ``bits`` in both headers of ``name`` (bit 0: encrypted)."""
    local, central = headers(data, name)
    data[local + 6] |= bits
    data[central + 8] |= bits
    return data


def with_method(data: bytearray, name: str, method: int) -> bytearray:
    """Claim compression ``method`` for ``name`` in both headers (99: AES, which zipfile cannot read)."""
    local, central = headers(data, name)
    struct.pack_into("<H", data, local + 8, method)
    struct.pack_into("<H", data, central + 10, method)
    return data


def with_bad_crc(data: bytearray, name: str) -> bytearray:
    """Flip the CRC-32 that both headers record for ``name``; the data no longer matches it."""
    local, central = headers(data, name)
    data[local + 14] ^= 0xFF
    data[central + 16] ^= 0xFF
    return data


def with_broken_deflate(data: bytearray, name: str) -> bytearray:
    """Overwrite the start of the deflate stream of ``name``: block type 3 is invalid."""
    start = data_offset(data, name)
    data[start : start + 4] = b"\xff\xff\xff\xff"
    return data


def with_local_name(data: bytearray, name: str, other: str) -> bytearray:
    """Rename ``name`` in its local header only (same length): the header and the directory disagree."""
    assert len(other.encode()) == len(name.encode())
    local, _ = headers(data, name)
    data[local + 30 : local + 30 + len(name)] = other.encode()
    return data


def with_bad_utf8_name(data: bytearray, name: str) -> bytearray:
    """Mark ``name`` as UTF-8 in the directory and put a byte there that UTF-8 never has."""
    local, central = headers(data, name)
    data[central + 9] |= 0x08  # bit 11 of the flags: the name is UTF-8
    data[central + 46] = 0xFF
    return data


def _malformed() -> list[tuple[str, bytes, str, str]]:
    good = good_entries()
    target = "red/red2.png"
    long_class = {f"{'c' * 256}/{i}.png": png() for i in range(5)}
    wide_class = {f"{'é' * 128}/{i}.png": png() for i in range(5)}  # 128 letters, 256 bytes of UTF-8
    cases = [
        ("bad_crc", with_bad_crc(build(good), target), "damaged_entry", target),
        ("corrupt_deflate", with_broken_deflate(build(good), target), "damaged_entry", target),
        ("header_and_directory_disagree", with_local_name(build(good), target, "red/red9.png"), "damaged_entry", target),
        ("encrypted_flag", with_flags(build(good), target, 0x1), "encrypted", target),
        ("strong_encryption_flag", with_flags(build(good), target, 0x40), "encrypted", target),
        ("method_99", with_method(build(good), target, 99), "unsupported_compression", target),
        ("lzma", build(good, zipfile.ZIP_LZMA), "unsupported_compression", "blue/blue0.png"),
        ("bzip2", build(good, zipfile.ZIP_BZIP2), "unsupported_compression", "blue/blue0.png"),
        ("class_name_over_255_bytes", build(good | long_class), "name_too_long", "c" * 90),
        ("class_name_over_255_utf8_bytes", build(good | wide_class), "name_too_long", "é" * 90),
        ("file_name_over_255_bytes", build(good | {f"red/{'x' * 300}.png": png()}), "name_too_long", "red/xxx"),
        ("name_not_utf8", with_bad_utf8_name(build(good), target), "bad_zip", ""),
    ]
    return [(name, bytes(data), code, entry) for name, data, code, entry in cases]


# (id, archive, the code it must be refused with, text of the entry its message must name)
MALFORMED = _malformed()
