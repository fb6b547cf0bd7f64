"""Read YAML while keeping each value's line, so content errors can say where they are.

`Node` wraps a composed YAML node with its field path; its accessors validate the
type and raise ContentError(path_in_file, line, field, message).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import yaml


class ContentError(Exception):
    """A content file is malformed: says which file, line and field, and what is wrong."""

    def __init__(self, message: str, *, field: str = "", line: int | None = None, source: str = ""):
        self.message, self.field, self.line, self.source = message, field, line, source
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.source or "<content>"
        if self.line:
            where += f":{self.line}"
        if self.field:
            where += f": {self.field}"
        return f"{where}: {self.message}"


class Node:
    def __init__(self, node: yaml.Node, field: str, source: str):
        self.node, self.field, self.source = node, field, source

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def error(self, message: str) -> ContentError:
        return ContentError(message, field=self.field, line=self.line, source=self.source)

    def _child(self, node: yaml.Node, name: str) -> Node:
        return Node(node, f"{self.field}.{name}" if self.field else name, self.source)

    def mapping(self, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error("must be a mapping of 'key: value' lines")
        out: dict[str, Node] = {}
        for key_node, value_node in self.node.value:
            key = key_node.value
            if key not in allowed:
                raise ContentError(
                    f"unknown field '{key}' (expected one of: {', '.join(sorted(allowed))})",
                    field=f"{self.field}.{key}" if self.field else key,
                    line=key_node.start_mark.line + 1,
                    source=self.source,
                )
            if key in out:
                raise ContentError("appears twice", field=key, line=key_node.start_mark.line + 1, source=self.source)
            out[key] = self._child(value_node, key)
        missing = sorted(required - out.keys())
        if missing:
            raise self.error(f"missing required field '{missing[0]}'")
        return out

    def items(self, min_items: int = 0) -> list[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error("must be a list (lines starting with '- ')")
        if len(self.node.value) < min_items:
            raise self.error(f"needs at least {min_items} item(s), found {len(self.node.value)}")
        return [Node(n, f"{self.field}[{i + 1}]", self.source) for i, n in enumerate(self.node.value)]

    def _scalar(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error("must be a single value, not a list or mapping")
        return self.node.value

    def text(self, *, max_length: int | None = None, blank: bool = False) -> str:
        value = self._scalar().strip() if self.node.tag != "tag:yaml.org,2002:null" else ""
        if not value and not blank:
            raise self.error("must not be empty")
        if max_length and len(value) > max_length:
            raise self.error(f"is {len(value)} characters long; the limit is {max_length}")
        return value

    def _number(self, convert: Callable[[str], Any], kind: str, low=None, high=None):
        raw = self._scalar()
        try:
            value = convert(raw)
        except (ValueError, InvalidOperation):
            raise self.error(f"'{raw}' is not {kind}") from None
        if low is not None and value < low:
            raise self.error(f"{raw} is below the minimum {low}")
        if high is not None and value > high:
            raise self.error(f"{raw} is above the maximum {high}")
        return value

    def integer(self, low: int | None = None, high: int | None = None) -> int:
        return self._number(int, "a whole number", low, high)

    def number(self, low: float | None = None, high: float | None = None) -> float:
        return self._number(float, "a number", low, high)

    def decimal(self, low=None, high=None) -> Decimal:
        return self._number(Decimal, "a number", low, high)

    def boolean(self) -> bool:
        raw = self._scalar().lower()
        if raw in {"true", "yes", "on"}:
            return True
        if raw in {"false", "no", "off"}:
            return False
        raise self.error(f"'{raw}' is not true or false")


def parse_document(text: str, source: str) -> Node:
    """Compose a YAML document into a Node tree, turning syntax errors into ContentError."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ContentError(
            f"not valid YAML: {exc.problem or exc.context}",
            line=mark.line + 1 if mark else None,
            source=source,
        ) from None
    except yaml.YAMLError as exc:
        raise ContentError(f"not valid YAML: {exc}", source=source) from None
    if root is None:
        raise ContentError("the file is empty", line=1, source=source)
    return Node(root, "", source)
