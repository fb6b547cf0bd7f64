"""The suite needs nothing beside the repository: its test data is inside, with a note of where it comes from."""

import os
import shutil
import subprocess
import sys

from tests.conftest import MOODLE_GIFT_EXAMPLES, ROOT

GIFT_TESTS = ["tests/quizzes/interchange/test_gift_conformance.py"]


def test_the_gift_examples_are_in_the_repository_with_their_origin():
    assert MOODLE_GIFT_EXAMPLES.is_relative_to(ROOT) and MOODLE_GIFT_EXAMPLES.is_file()
    assert MOODLE_GIFT_EXAMPLES.read_text().startswith("//  EXAMPLE QUESTIONS for the GIFT import filter")
    note = (MOODLE_GIFT_EXAMPLES.parent / "README.md").read_text()
    assert "question/format/gift/examples.txt" in note and "GPL-3.0" in note


def test_the_tests_that_read_test_data_pass_in_a_copy_with_nothing_beside_it(tmp_path):
    """The repository's files (tracked and new, as git lists them) copied into an empty folder:
    the conformance tests, which read the GIFT examples, pass there, with no shared folder of test data beside the copy."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    clone = tmp_path / "alone" / "repo"
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / name)
    assert "shared" not in {p.name for p in clone.parent.iterdir()}  # nothing of the workplace beside the copy
    env = {k: v for k, v in os.environ.items() if k not in {"DATA_DIR", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *GIFT_TESTS],
        cwd=clone,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout
