"""`manage.py fetch_data cifar10`: its refusals and messages, offline (the network is replaced; nothing downloads)."""

import urllib.error
import urllib.request

import pytest
from django.core.management import CommandError, call_command

from modellab.engine import builtin
from tests.modellab.cifar_archive import write_cifar_archive


def test_an_unknown_dataset_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'mnist'"):
        call_command("fetch_data", "mnist")


def test_without_network_it_says_how_to_fetch_by_hand(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(CommandError) as err:
        call_command("fetch_data", "cifar10", "--root", str(tmp_path / "cifar"))
    message = str(err.value)
    assert "Network is unreachable" in message and builtin.CIFAR10_URL in message
    assert str(tmp_path / "cifar" / "cifar-10-batches-py") in message
    assert not (tmp_path / "cifar" / "cifar-10-batches-py").exists()


def test_a_download_that_fails_its_md5_is_not_kept(tmp_path, monkeypatch):
    """torchvision checks the archive's md5; a damaged download is deleted and nothing is extracted."""
    from torchvision.datasets import utils

    monkeypatch.setattr(utils, "_get_redirect_url", lambda url, max_hops: url)
    monkeypatch.setattr(utils, "_urlretrieve", lambda url, path, *a, **k: open(path, "wb").write(b"not the archive"))
    with pytest.raises(CommandError, match="did not pass its md5 check"):
        call_command("fetch_data", "cifar10", "--root", str(tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_a_fetched_archive_is_read_back_and_reported(tmp_path, monkeypatch, capsys):
    """After the download (here: the small archive in CIFAR's format) the command reads it back and says so."""
    from modellab.management.commands import fetch_data

    monkeypatch.setattr(fetch_data, "fetch_cifar10", lambda root: write_cifar_archive(root) / "cifar-10-batches-py")
    call_command("fetch_data", "cifar10", "--root", str(tmp_path))
    out = capsys.readouterr().out
    assert "40 training images" in out and "cat, dog and bird" in out
