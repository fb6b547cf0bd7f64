"""Reading an untrusted zip: its directory within bounds, each entry in bounded chunks, damage as DatasetError.

zipfile raises a dozen kinds of exception on damaged bytes (BadZipFile, zlib.error, EOFError,
NotImplementedError, RuntimeError, UnicodeDecodeError, ...), some with a ZipInfo's repr in
the text. Here each becomes a :class:`DatasetError` with a code and a message of our own
that names the entry. Memory stays bounded whatever the archive declares: the central
directory is sized before zipfile builds an object per record, and an entry is handed out
:data:`CHUNK_BYTES` at a time by a decoder that zipfile bounds (stored and deflate only).
"""

from __future__ import annotations

import os
import struct
import zipfile
import zlib
from typing import Iterator

from .errors import DatasetError

BAD_ZIP = "bad_zip"  # not a readable zip archive (its directory is missing, damaged or undecodable)
TOO_MANY_FILES = "too_many_files"  # more entries than allowed, or a directory larger than they need
TOO_LARGE = "too_large"  # an entry holds more than it declares, or more than the remaining budget
ENCRYPTED = "encrypted"  # an entry needs a password
UNSUPPORTED_COMPRESSION = "unsupported_compression"  # an entry is compressed by a method outside READABLE_METHODS
DAMAGED_ENTRY = "damaged_entry"  # an entry fails its CRC, is cut short, or its compressed data is broken

# Bytes of an entry held in memory at once.
CHUNK_BYTES = 1 << 20
# Methods whose decoder zipfile bounds by the bytes asked for. Not bzip2 or LZMA: zipfile feeds
# their decoders a whole compressed chunk with no bound on the output, so a few hundred bytes of
# bzip2 expand in memory to hundreds of MB before any size check can stop them.
READABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
# Central directory bytes allowed per permitted entry: a record is 46 bytes plus its name and
# extra fields (about 100 bytes in archives zip tools make); zipfile keeps ~0.5 KB per record.
DIRECTORY_BYTES_PER_ENTRY = 1024
_ENCRYPTED_FLAGS = 0x1 | 0x40  # general purpose bits 0 (encrypted) and 6 (strong encryption)
_PATCHED_FLAG = 0x20  # bit 5: "compressed patched data", which only PKWARE's tools read
# What zipfile raises on damaged bytes, besides BadZipFile.
_DAMAGE = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    struct.error,
    OverflowError,
    NotImplementedError,
    RuntimeError,
)


def open_zip(path: str | os.PathLike, max_files: int) -> zipfile.ZipFile:
    """The archive at ``path``, opened once its directory is known to fit ``max_files`` entries.

    Raises DatasetError: BAD_ZIP (not a zip, damaged, names that are not valid UTF-8),
    TOO_MANY_FILES (the directory declares more entries, or is larger than they need).
    """
    try:
        with open(path, "rb") as fh:
            # zipfile's own reader of the end record, so that we size the directory zipfile will read.
            end = zipfile._EndRecData(fh)  # noqa: SLF001
        if end is None:
            raise zipfile.BadZipFile("no end of central directory record")
        entries, directory_bytes = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]  # noqa: SLF001
        if entries > max_files or directory_bytes > max_files * DIRECTORY_BYTES_PER_ENTRY:
            raise DatasetError(
                TOO_MANY_FILES,
                f"The archive declares {entries} entries in a directory of {directory_bytes / 1e6:.1f} MB; "
                f"at most {max_files} entries are allowed.",
            )
        return zipfile.ZipFile(path)
    except _DAMAGE as exc:
        reason = "its file names are not valid UTF-8" if isinstance(exc, UnicodeDecodeError) else "or it is damaged"
        raise DatasetError(BAD_ZIP, f"The upload is not a readable zip archive ({reason}).") from exc


def shown(info: zipfile.ZipInfo) -> str:
    """An entry's name for a message: quoted, and cut short when it is long."""
    name = info.filename
    return repr(name if len(name) <= 120 else name[:100] + "...")


def check_readable(info: zipfile.ZipInfo) -> None:
    """Raise ENCRYPTED or UNSUPPORTED_COMPRESSION for an entry that zipfile cannot, or must not, read."""
    if info.flag_bits & _ENCRYPTED_FLAGS:
        raise DatasetError(
            ENCRYPTED, f"The archive entry {shown(info)} is encrypted (password-protected). Zip the folders without a password."
        )
    if info.compress_type not in READABLE_METHODS or info.flag_bits & _PATCHED_FLAG:
        raise DatasetError(
            UNSUPPORTED_COMPRESSION,
            f"The archive entry {shown(info)} is compressed with method {info.compress_type}; only "
            f"{' and '.join(READABLE_METHODS.values())} are accepted (what zip tools write by default).",
        )


def entry_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> Iterator[bytes]:
    """The entry's bytes in pieces of at most CHUNK_BYTES, read to the end so that zipfile checks the CRC.

    Raises DatasetError: ENCRYPTED, UNSUPPORTED_COMPRESSION, TOO_LARGE (more than declared or
    than ``budget``), DAMAGED_ENTRY (bad CRC, broken compressed data, header and directory disagree).
    """
    check_readable(info)
    limit = min(info.file_size, budget)
    seen = 0
    try:
        with zf.open(info) as fh:
            while chunk := fh.read(min(CHUNK_BYTES, limit + 1 - seen)):
                seen += len(chunk)
                if seen > limit:
                    raise DatasetError(TOO_LARGE, f"The entry {shown(info)} is larger than declared or than the limit.")
                yield chunk
    except _DAMAGE as exc:
        raise DatasetError(
            DAMAGED_ENTRY, f"The archive entry {shown(info)} is damaged: {_damage(exc)}. Zip the folders again."
        ) from exc


def _damage(exc: Exception) -> str:
    """What is wrong, in words (zipfile's own text names its internals, or a ZipInfo's repr)."""
    if isinstance(exc, zipfile.BadZipFile) and "CRC" in str(exc):
        return "its checksum (CRC-32) does not match its data"
    if isinstance(exc, zipfile.BadZipFile):
        return "its header does not match the archive's directory"
    return "its compressed data is broken or cut short"
