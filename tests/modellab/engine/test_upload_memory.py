"""Peak memory while an upload is checked does not grow with the size of its entries.

The probe of issue 15 sent a 2.6 MB zip with one 480 MB entry (it expands 184 times, under
both zip-bomb limits) and the web process grew by 0.9 GB: the entry was read whole before
Pillow looked at it. Here the check runs in a fresh Python process, which resets its peak
resident set after its imports (Linux: ``/proc/self/clear_refs``) and reports how far the
peak (``VmHWM``) rose above the resident set of that moment. (``ru_maxrss`` cannot be reset,
and the peak of importing torch hides growth below it.)
"""

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from tests.modellab import hostile

ROOT = Path(__file__).resolve().parents[3]
MB = 1024 * 1024
GROWTH_LIMIT_MB = 64  # a chunk, Pillow's buffers and the small images: not the entry

CHECK = """
import json, re, sys
from modellab.engine import DatasetError
from modellab.engine.upload import UploadLimits, prepare_upload

def kib(field):
    return int(re.search(field + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))

before = kib("VmRSS")
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # the peak (VmHWM) starts again from the resident set of now
try:
    report = prepare_upload(sys.argv[1], sys.argv[2], UploadLimits(max_total_bytes=2 * 1024 ** 3))
    result = {"counts": report.counts, "skipped": [[s.path, s.reason] for s in report.skipped]}
except DatasetError as exc:
    result = {"code": exc.code}
print(json.dumps(result | {"growth_mb": (kib("VmHWM") - before) / 1024}))
"""


def jpeg_bytes() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)).save(out, format="JPEG")
    return out.getvalue()


def write_padded(zf: zipfile.ZipFile, name: str, head: bytes, size: int) -> None:
    """An entry of ``size`` bytes: ``head``, then 1 MB blocks of zeros that each start with 8 KB of
    noise, so that deflate shrinks it about 110 times (a bomb would be refused before reading)."""
    noise = np.random.default_rng(1).bytes(8 * 1024)
    block = noise + bytes(MB - len(noise))
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with zf.open(info, "w") as out:
        out.write(head)
        left = size - len(head)
        while left > 0:
            out.write(block[: min(MB, left)])
            left -= MB


def big_entry_zip(path: Path, size: int) -> Path:
    """Two classes of small images plus two entries of ``size`` bytes: a non-image named .png and
    a real JPEG followed by padding (kept byte for byte, as an RGB JPEG is)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in hostile.good_entries().items():
            zf.writestr(name, data)
        write_padded(zf, "red/huge.png", b"", size)
        write_padded(zf, "blue/huge.jpg", jpeg_bytes(), size)
    return path


def peak_growth(zip_path: Path, dest: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(zip_path), str(dest)], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_peak_memory_of_the_check_does_not_grow_with_entry_size(tmp_path):
    """Entries of 50 MB and of 400 MB: the process grows by less than GROWTH_LIMIT_MB either way,
    and the large entries are really read (the padded JPEG is kept, the non-image is skipped)."""
    growth = {}
    for size_mb in (50, 400):
        zip_path = big_entry_zip(tmp_path / f"{size_mb}.zip", size_mb * MB)
        assert zip_path.stat().st_size < size_mb * MB * 2 / 100  # it expands more than 50 times
        result = peak_growth(zip_path, tmp_path / f"out-{size_mb}")
        assert result["counts"] == {"blue": 6, "red": 5}
        assert result["skipped"] == [["red/huge.png", "corrupt_image"]]
        assert (tmp_path / f"out-{size_mb}" / "blue" / "huge.jpg").stat().st_size == size_mb * MB
        zip_path.unlink()
        growth[size_mb] = result["growth_mb"]
    assert max(growth.values()) < GROWTH_LIMIT_MB, growth


def test_peak_memory_of_an_archive_of_many_entries_is_bounded(tmp_path):
    """200,000 empty entries make a 17 MB zip, under the upload limit; zipfile would keep an object
    of about half a KB for each before the entry count is checked. The directory is sized first."""
    zip_path = tmp_path / "many.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(200_000):
            zf.writestr(f"red/{i:x}.png", b"")
    result = peak_growth(zip_path, tmp_path / "out")
    assert result["code"] == "too_many_files"
    assert result["growth_mb"] < GROWTH_LIMIT_MB, result
