"""prepare_upload: one crafted zip per validation rule."""

import io
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modellab.engine import DatasetError, UploadLimits, prepare_upload, zipread
from tests.modellab import hostile

DEFAULT_LIMITS = UploadLimits()


def png_bytes(mode="RGB", size=(16, 16), colour=None) -> bytes:
    rng = np.random.default_rng(sum(size))
    if colour is None:
        channels = {"RGB": 3, "RGBA": 4, "L": None}[mode]
        shape = (size[1], size[0]) if channels is None else (size[1], size[0], channels)
        im = Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode)
    else:
        im = Image.new(mode, size, colour)
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def jpeg_bytes(size=(32, 32)) -> bytes:
    rng = np.random.default_rng(1)
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def good_entries(classes=("cat", "dog"), n=5) -> dict[str, bytes]:
    return {f"{c}/{c}{i}.png": png_bytes() for c in classes for i in range(n)}


def make_zip(path: Path, entries: dict, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in entries.items():
            if isinstance(data, zipfile.ZipInfo):
                zf.writestr(data, b"target")
            else:
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return path


@pytest.fixture
def work(tmp_path):
    """(zip path, dest dir) with the zip outside dest's parent, so leftovers are easy to see."""
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    return tmp_path / "in" / "upload.zip", tmp_path / "out" / "dataset"


def assert_nothing_written(dest: Path):
    assert list(dest.parent.iterdir()) == [], "a failed upload must leave nothing behind"


def expect_error(zip_path, dest, code, limits=DEFAULT_LIMITS):
    with pytest.raises(DatasetError) as err:
        prepare_upload(zip_path, dest, limits)
    assert err.value.code == code
    assert err.value.message
    assert_nothing_written(dest)
    return err.value


def test_good_upload_reports_classes_and_counts(work):
    zip_path, dest = work
    make_zip(zip_path, good_entries())
    report = prepare_upload(zip_path, dest)
    assert report.classes == ["cat", "dog"]
    assert report.counts == {"cat": 5, "dog": 5}
    assert report.skipped == []
    assert sorted(p.name for p in dest.iterdir()) == ["cat", "dog"]
    assert len(list((dest / "cat").iterdir())) == 5
    # Only the final directory remains next to dest: the temporary one was renamed.
    assert [p.name for p in dest.parent.iterdir()] == ["dataset"]


def test_an_entry_with_an_empty_name_holds_no_image(work):
    """A zip entry named "" (found by the fuzz test: zipfile's own is_dir fails on it) is passed over."""
    zip_path, dest = work
    make_zip(zip_path, {"": b"no name", **good_entries()})
    assert prepare_upload(zip_path, dest).counts == {"cat": 5, "dog": 5}


def test_single_wrapping_folder_is_stripped(work):
    zip_path, dest = work
    make_zip(zip_path, {f"pets/{k}": v for k, v in good_entries().items()})
    assert prepare_upload(zip_path, dest).classes == ["cat", "dog"]


def test_path_traversal_rejected(work):
    zip_path, dest = work
    make_zip(zip_path, {**good_entries(), "cat/../../x.png": png_bytes()})
    expect_error(zip_path, dest, "path_traversal")


def test_absolute_path_rejected(work):
    zip_path, dest = work
    make_zip(zip_path, {**good_entries(), "/tmp/evil/x.png": png_bytes()})
    expect_error(zip_path, dest, "absolute_path")


def test_symlink_entry_rejected(work):
    zip_path, dest = work
    link = zipfile.ZipInfo("cat/link.png")
    link.external_attr = 0o120777 << 16  # S_IFLNK
    link.create_system = 3
    make_zip(zip_path, {**good_entries(), "cat/link.png": link})
    expect_error(zip_path, dest, "symlink")


def test_too_many_files(work):
    zip_path, dest = work
    make_zip(zip_path, good_entries(n=6))
    expect_error(zip_path, dest, "too_many_files", UploadLimits(max_files=11))


def test_too_large_total(work):
    zip_path, dest = work
    entries = good_entries()
    entries["cat/big.png"] = np.random.default_rng(0).bytes(50_000)  # incompressible
    expect = expect_error(make_zip(zip_path, entries), dest, "too_large", UploadLimits(max_total_bytes=40_000))
    assert "MB" in expect.message


def test_compression_ratio_bomb(work):
    zip_path, dest = work
    entries = good_entries()
    entries["cat/zeros.png"] = b"\0" * (8 * 1024 * 1024)  # deflates ~1000x
    expect_error(make_zip(zip_path, entries), dest, "compression_ratio")


def _png_with_header_size(width: int, height: int) -> bytes:
    """A small valid PNG whose IHDR claims another size (a decompression bomb header)."""
    data = bytearray(png_bytes(mode="L", size=(8, 8), colour=0))
    ihdr = data[8 + 8 : 8 + 8 + 13]
    ihdr[0:8] = struct.pack(">II", width, height)
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + bytes(ihdr)) & 0xFFFFFFFF)
    return bytes(data)


def test_pixel_bomb_header_skipped(work):
    zip_path, dest = work
    entries = {**good_entries(), "cat/bomb.png": _png_with_header_size(100_000, 100_000)}
    report = prepare_upload(make_zip(zip_path, entries), dest)
    assert [(s.path, s.reason) for s in report.skipped] == [("cat/bomb.png", "too_many_pixels")]
    assert report.counts == {"cat": 5, "dog": 5}


def test_image_over_pixel_limit_skipped(work):
    zip_path, dest = work
    entries = {**good_entries(), "dog/large.png": png_bytes(size=(120, 100))}
    report = prepare_upload(make_zip(zip_path, entries), dest, UploadLimits(max_image_pixels=110 * 100))
    assert [(s.path, s.reason) for s in report.skipped] == [("dog/large.png", "too_many_pixels")]


def test_corrupt_and_truncated_images_skipped(work):
    zip_path, dest = work
    jpg = jpeg_bytes()
    png = png_bytes(size=(64, 64))
    entries = {
        **good_entries(),
        "cat/corrupt.jpg": b"this is not a jpeg at all",
        "cat/truncated.jpg": jpg[: len(jpg) // 2],
        "dog/truncated.png": png[: len(png) // 2],
    }
    report = prepare_upload(make_zip(zip_path, entries), dest)
    assert {s.path: s.reason for s in report.skipped} == {
        "cat/corrupt.jpg": "corrupt_image",
        "cat/truncated.jpg": "corrupt_image",
        "dog/truncated.png": "corrupt_image",
    }
    assert report.counts == {"cat": 5, "dog": 5}


def test_non_image_skipped_and_counted(work):
    zip_path, dest = work
    entries = {**good_entries(), "cat/notes.txt": b"hello", "readme.md": b"# hi"}
    report = prepare_upload(make_zip(zip_path, entries), dest)
    reasons = {s.path: s.reason for s in report.skipped}
    assert reasons == {"cat/notes.txt": "not_image", "readme.md": "outside_class_folder"}
    assert not (dest / "cat" / "notes.txt").exists()


def test_hidden_files_and_macosx_ignored(work):
    zip_path, dest = work
    entries = {
        **good_entries(),
        ".DS_Store": b"\0\0\0\1Bud1",
        "cat/.DS_Store": b"\0\0\0\1Bud1",
        "__MACOSX/cat/._cat0.png": b"\0\5\26\7",
    }
    report = prepare_upload(make_zip(zip_path, entries), dest)
    assert report.ignored == 3
    assert report.skipped == []
    assert report.classes == ["cat", "dog"]  # __MACOSX is not a class
    assert sorted(p.name for p in dest.rglob(".*")) == []


def test_one_class_only(work):
    zip_path, dest = work
    err = expect_error(make_zip(zip_path, good_entries(classes=("cat",))), dest, "too_few_classes")
    assert "cat" in err.message


def test_too_few_images_in_a_class(work):
    zip_path, dest = work
    entries = {**good_entries(classes=("cat",), n=5), **good_entries(classes=("dog",), n=2)}
    err = expect_error(make_zip(zip_path, entries), dest, "too_few_images")
    assert "dog (2)" in err.message


def test_skipped_files_count_against_min_per_class(work):
    zip_path, dest = work
    entries = {**good_entries(classes=("cat",)), **good_entries(classes=("dog",), n=4), "dog/bad.png": b"junk"}
    expect_error(make_zip(zip_path, entries), dest, "too_few_images")


def test_grayscale_and_rgba_converted_to_rgb(work):
    zip_path, dest = work
    entries = {
        **good_entries(),
        "cat/gray.png": png_bytes(mode="L", size=(10, 10), colour=128),
        "dog/alpha.png": png_bytes(mode="RGBA", size=(10, 10), colour=(255, 0, 0, 0)),
        "dog/photo.jpg": jpeg_bytes(),
    }
    report = prepare_upload(make_zip(zip_path, entries), dest)
    assert report.counts == {"cat": 6, "dog": 7}
    for path in dest.rglob("*.*"):
        with Image.open(path) as im:
            assert im.mode == "RGB", path
    with Image.open(dest / "cat" / "gray.png") as im:
        assert im.getpixel((0, 0)) == (128, 128, 128)
    with Image.open(dest / "dog" / "alpha.png") as im:
        assert im.getpixel((0, 0)) == (255, 255, 255)  # fully transparent -> white background
    # An RGB JPEG is kept byte for byte.
    assert (dest / "dog" / "photo.jpg").read_bytes() == jpeg_bytes()


def test_not_a_zip(work):
    zip_path, dest = work
    zip_path.write_bytes(b"PK but not really")
    expect_error(zip_path, dest, "bad_zip")


def test_dest_must_be_empty(work):
    zip_path, dest = work
    make_zip(zip_path, good_entries())
    dest.mkdir()
    (dest / "keep.txt").write_text("x")
    with pytest.raises(DatasetError) as err:
        prepare_upload(zip_path, dest)
    assert err.value.code == "dest_not_empty"
    assert [p.name for p in dest.iterdir()] == ["keep.txt"]


# ----------------------------------------------------------------------------- malformed archives


@pytest.mark.parametrize("archive, code, entry", [c[1:] for c in hostile.MALFORMED], ids=[c[0] for c in hostile.MALFORMED])
def test_a_malformed_archive_is_refused_with_its_code_and_entry(work, archive, code, entry):
    """Every malformed archive gives a DatasetError (never zipfile's or zlib's own exception, never
    an OSError from the file system) naming the entry, and leaves nothing behind."""
    zip_path, dest = work
    zip_path.write_bytes(bytes(archive))
    err = expect_error(zip_path, dest, code)
    assert entry in err.message
    assert "object at 0x" not in err.message and "ZipInfo" not in err.message


def test_many_long_names_that_clash_are_stored_under_names_the_file_system_takes(work):
    """62 four-byte letters and an arrow make a legal 255-byte name. 101 such names that differ only
    in the arrow all become the same safe name; its "_100" suffix must not push it past 255 bytes."""
    zip_path, dest = work
    wide = "\U0001d538" * 62  # MATHEMATICAL DOUBLE-STRUCK CAPITAL A, 4 bytes in UTF-8
    clashing = {f"cat/{wide}{chr(0x2190 + i)}.png": png_bytes() for i in range(101)}
    assert all(len(name.split("/")[1].encode()) == 255 for name in clashing)
    report = prepare_upload(make_zip(zip_path, {**good_entries(), **clashing}), dest)
    assert report.counts == {"cat": 106, "dog": 5}
    assert all(len(p.name.encode()) <= 255 for p in dest.rglob("*"))


def test_an_eps_file_named_png_is_skipped_and_ghostscript_never_runs(work, monkeypatch):
    """Pillow would open EPS bytes as an image and run Ghostscript on load(); the upload
    opens the accepted formats only, so the file is skipped as not an image."""
    ran = hostile.record_ghostscript(monkeypatch)
    zip_path, dest = work
    report = prepare_upload(make_zip(zip_path, {**good_entries(), "cat/drawing.png": hostile.EPS}), dest)
    assert [(s.path, s.reason) for s in report.skipped] == [("cat/drawing.png", "corrupt_image")]
    assert "accepted format" in report.skipped[0].detail
    assert ran == []


def test_skipped_details_are_our_words_not_an_exception_text(work):
    """Pillow's own message names a file object's repr or a temporary path; the report never does."""
    zip_path, dest = work
    entries = {**good_entries(), "cat/junk.png": b"not an image", "dog/cut.png": png_bytes(size=(64, 64))[:80]}
    report = prepare_upload(make_zip(zip_path, entries), dest)
    details = {s.path: s.detail for s in report.skipped}
    assert set(details) == {"cat/junk.png", "dog/cut.png"}
    for detail in details.values():
        assert "0x" not in detail and "/" not in detail and "Image" not in detail, detail


def test_an_archive_declaring_too_many_entries_is_refused_before_zipfile_reads_its_directory(work, monkeypatch):
    """zipfile keeps an object per directory record; the end record's count and the directory's
    size are checked first, and a count that lies is caught by the size."""
    zip_path, dest = work
    data = hostile.build({f"cat/{i}.png": b"" for i in range(2000)}, zipfile.ZIP_STORED)
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 5, 5)  # entries on this disk, entries in all
    zip_path.write_bytes(bytes(data))
    monkeypatch.setattr(zipread.zipfile, "ZipFile", lambda *a, **k: pytest.fail("zipfile read the directory"))
    err = expect_error(zip_path, dest, "too_many_files", UploadLimits(max_files=100))
    assert "at most 100 entries" in err.message
