"""Server-written text made fit for a learner's page: no server path, no Python object repr.

Reasons a page shows (why a backbone is unavailable, why a run failed, why a file was
skipped) are written by the engine, by workers and by exceptions; some name files on the
server (``/srv/data/cifar``, ``~/.cache/torch/hub/...``, ``site-packages``) or print an
object (``<_io.BytesIO object at 0x7f...>``). Those tell an attacker where things are and a
learner nothing, so :func:`public_text` replaces them. Staff read the full text in the admin.
"""

from __future__ import annotations

import re

SERVER_PATH = "[server path]"  # what a path becomes
OBJECT = "[object]"  # what an object's repr becomes

# An absolute POSIX path, a home-relative one or a Windows one, not inside a URL or a word
# ("https://x.org/a", "img/s", "3/4" stay). A sentence's closing "." or ":" is not part of it.
_PATH = re.compile(r"""(?<![\w.:/~\\-])(?:~?/|[A-Za-z]:[\\/])[^\s'"`<>()\[\]{},;]*[^\s'"`<>()\[\]{},;.:]""")
# Python's default repr of an object, a function or a method: "<... at 0x7f3a...>".
_REPR = re.compile(r"<[^<>]*\bat 0x[0-9a-fA-F]+>")


def public_text(text: str) -> str:
    """``text`` with every server path replaced by SERVER_PATH and every object repr by OBJECT."""
    return _PATH.sub(SERVER_PATH, _REPR.sub(OBJECT, text or ""))


def not_on_this_site(what: str) -> str:
    """The plain sentence a learner reads for something this site cannot offer; how to set it up
    (commands, settings, paths) is for staff who may view workers, on the admin's Lab status page."""
    return f"{what} is not available on this site."


def backbone_unavailable_text(label: str) -> str:
    """What a learner reads of a backbone whose weights this site lacks (it can still train from scratch)."""
    return f"{label}: its pre-trained weights are not available on this site, so it can only train from scratch."
