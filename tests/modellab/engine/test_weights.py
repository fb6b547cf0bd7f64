"""fetch_weights: a real download over HTTP from a server on 127.0.0.1, checked against the pinned sha256."""

import hashlib
import http.server
import threading
import urllib.error
from dataclasses import replace
from functools import partial

import pytest
import torch

from modellab.engine import WeightsMismatch, build_backbone, fetch_weights, list_backbones
from modellab.engine import backbones
from modellab.engine.adapters import mobilenet_v3_small_build
from modellab.engine.backbones import get_spec

TORCHVISION = ("resnet18", "mobilenet_v3_small", "efficientnet_b0")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep the test output clean
        pass


@pytest.fixture
def server(tmp_path):
    """(folder served, base URL): a static file server on 127.0.0.1 for the duration of the test."""
    folder = tmp_path / "served"
    folder.mkdir()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield folder, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def served_weights(server):
    """A real mobilenet_v3_small state dict (random init) served over HTTP: (url, sha256 of the file, state)."""
    folder, base = server
    torch.manual_seed(0)
    parts = mobilenet_v3_small_build()
    state = parts.body._tv_model.state_dict()
    torch.save(state, folder / "weights.pth")
    digest = hashlib.sha256((folder / "weights.pth").read_bytes()).hexdigest()
    return f"{base}/weights.pth", digest, state


def _pin(monkeypatch, url: str, sha256_prefix: str) -> None:
    """The registry entry of mobilenet_v3_small, downloading from ``url`` with pin ``sha256_prefix``."""
    spec = replace(get_spec("mobilenet_v3_small"), weights_url=url, weights_sha256=sha256_prefix)
    monkeypatch.setitem(backbones._REGISTRY, spec.name, spec)


def _available(name: str) -> bool:
    return next(b for b in list_backbones() if b.name == name).available


def test_downloaded_weights_are_stored_verified_and_loaded(monkeypatch, empty_hub, served_weights):
    """A file whose sha256 matches the pin lands in the hub cache; the backbone then loads exactly those weights."""
    url, digest, state = served_weights
    _pin(monkeypatch, url, digest[:8])
    assert not _available("mobilenet_v3_small")

    path = fetch_weights("mobilenet_v3_small")

    assert path == empty_hub / "checkpoints" / "mobilenet_v3_small-047dcff4.pth"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert _available("mobilenet_v3_small")
    loaded = build_backbone("mobilenet_v3_small").body._tv_model.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    assert fetch_weights("mobilenet_v3_small") == path  # present and verified: no second download


def test_download_with_the_wrong_hash_is_refused_and_not_stored(monkeypatch, empty_hub, served_weights):
    """Bytes that are not the pinned weights raise WeightsMismatch naming the URL and leave no file behind."""
    url, digest, _ = served_weights
    wrong = "0" * 8 if not digest.startswith("0" * 8) else "f" * 8
    _pin(monkeypatch, url, wrong)

    with pytest.raises(WeightsMismatch) as err:
        fetch_weights("mobilenet_v3_small")

    assert err.value.code == "weights_mismatch"
    assert url in err.value.message and wrong in err.value.message
    checkpoints = empty_hub / "checkpoints"
    assert not checkpoints.exists() or list(checkpoints.iterdir()) == []
    assert not _available("mobilenet_v3_small")


def test_failed_download_leaves_nothing(monkeypatch, empty_hub, server):
    """An HTTP error propagates (an OSError the command reports) and stores nothing."""
    _, base = server
    _pin(monkeypatch, f"{base}/missing.pth", "047dcff4")
    with pytest.raises(urllib.error.HTTPError, match="404"):
        fetch_weights("mobilenet_v3_small")
    checkpoints = empty_hub / "checkpoints"
    assert not checkpoints.exists() or list(checkpoints.iterdir()) == []


@pytest.mark.parametrize("name", TORCHVISION)
def test_registry_urls_are_torchvisions_own(name):
    """The URL fetch_weights uses is the one torchvision publishes for the weights, and its file is the one looked for."""
    from torchvision.models import get_model_weights

    spec = get_spec(name)
    assert spec.weights_url == get_model_weights(name).DEFAULT.url
    assert spec.weights_url.rsplit("/", 1)[1] == spec.weights_file().name
    assert spec.weights_sha256 in spec.weights_file().name
