"""Read YAML while keeping each value's line, so content errors can say where they are.

`Node` wraps a composed YAML node with its field path; its accessors validate the type and
raise `content_error(...)`: a ValidationError whose message reads `file:line: field: what is
wrong`, with a code of this module (or of the rule that failed) and each part in `params`
(`source`, `line`, `field`, `problem`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, Callable

import yaml
from django.core.exceptions import ValidationError

from common.codes import NOT_A_NUMBER

# Error codes of a malformed content file (the ValidationError's code), NOT_A_NUMBER too.
INVALID_YAML = "invalid_yaml"
EMPTY_FILE = "empty_file"
NOT_MAPPING = "not_mapping"
UNKNOWN_FIELD = "unknown_field"
DUPLICATE_FIELD = "duplicate_field"
MISSING_FIELD = "missing_field"
NOT_LIST = "not_list"
TOO_FEW_ITEMS = "too_few_items"
NOT_SINGLE_VALUE = "not_single_value"
EMPTY_VALUE = "empty_value"
TOO_LONG = "too_long"
BELOW_MINIMUM = "below_minimum"
ABOVE_MAXIMUM = "above_maximum"
NOT_BOOLEAN = "not_boolean"


def content_error(problem: str, *, code: str, source: str, line: int | None = None, field: str = "") -> ValidationError:
    """A content file is malformed: which file, line and field, and what is wrong.

    The message for people is `file:line: field: problem` (line and field where known).
    """
    where = source or "<content>"
    if line:
        where += f":{line}"
    if field:
        where += f": {field}"
    return ValidationError(
        "%(where)s: %(problem)s",
        code=code,
        params={"where": where, "source": source, "line": line, "field": field, "problem": problem},
    )


class Node:
    def __init__(self, node: yaml.Node, field: str, source: str):
        self.node, self.field, self.source = node, field, source

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def error(self, problem: str, code: str) -> ValidationError:
        """The error to raise for this value: `problem` says what is wrong, `code` which rule."""
        return content_error(problem, code=code, field=self.field, line=self.line, source=self.source)

    def error_from(self, error: ValidationError) -> ValidationError:
        """A rule's ValidationError (e.g. from quizzes.grading) placed at this value, its code kept."""
        return self.error(" ".join(error.messages), error.code)

    def _child(self, node: yaml.Node, name: str) -> Node:
        return Node(node, f"{self.field}.{name}" if self.field else name, self.source)

    def mapping(self, allowed: set[str], required: set[str] = frozenset()) -> dict[str, Node]:
        if not isinstance(self.node, yaml.MappingNode):
            raise self.error("must be a mapping of 'key: value' lines", NOT_MAPPING)
        out: dict[str, Node] = {}
        for key_node, value_node in self.node.value:
            key = key_node.value
            if key not in allowed:
                raise content_error(
                    f"unknown field '{key}' (expected one of: {', '.join(sorted(allowed))})",
                    code=UNKNOWN_FIELD,
                    field=f"{self.field}.{key}" if self.field else key,
                    line=key_node.start_mark.line + 1,
                    source=self.source,
                )
            if key in out:
                raise content_error(
                    "appears twice", code=DUPLICATE_FIELD, field=key, line=key_node.start_mark.line + 1, source=self.source
                )
            out[key] = self._child(value_node, key)
        missing = sorted(required - out.keys())
        if missing:
            raise self.error(f"missing required field '{missing[0]}'", MISSING_FIELD)
        return out

    def items(self, min_items: int = 0) -> list[Node]:
        if not isinstance(self.node, yaml.SequenceNode):
            raise self.error("must be a list (lines starting with '- ')", NOT_LIST)
        if len(self.node.value) < min_items:
            raise self.error(f"needs at least {min_items} item(s), found {len(self.node.value)}", TOO_FEW_ITEMS)
        return [Node(n, f"{self.field}[{i + 1}]", self.source) for i, n in enumerate(self.node.value)]

    def _scalar(self) -> str:
        if not isinstance(self.node, yaml.ScalarNode):
            raise self.error("must be a single value, not a list or mapping", NOT_SINGLE_VALUE)
        return self.node.value

    def text(self, *, max_length: int | None = None, blank: bool = False) -> str:
        value = self._scalar().strip() if self.node.tag != "tag:yaml.org,2002:null" else ""
        if not value and not blank:
            raise self.error("must not be empty", EMPTY_VALUE)
        if max_length and len(value) > max_length:
            raise self.error(f"is {len(value)} characters long; the limit is {max_length}", TOO_LONG)
        return value

    def _number(self, convert: Callable[[str], Any], kind: str, low=None, high=None):
        raw = self._scalar()
        try:
            value = convert(raw)
        except (ValueError, InvalidOperation):
            raise self.error(f"'{raw}' is not {kind}", NOT_A_NUMBER) from None
        if low is not None and value < low:
            raise self.error(f"{raw} is below the minimum {low}", BELOW_MINIMUM)
        if high is not None and value > high:
            raise self.error(f"{raw} is above the maximum {high}", ABOVE_MAXIMUM)
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
        raise self.error(f"'{raw}' is not true or false", NOT_BOOLEAN)


def parse_document(text: str, source: str) -> Node:
    """Compose a YAML document into a Node tree, turning syntax errors into content errors."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise content_error(
            f"not valid YAML: {exc.problem or exc.context}",
            code=INVALID_YAML,
            line=mark.line + 1 if mark else None,
            source=source,
        ) from None
    except yaml.YAMLError as exc:
        raise content_error(f"not valid YAML: {exc}", code=INVALID_YAML, source=source) from None
    if root is None:
        raise content_error("the file is empty", code=EMPTY_FILE, line=1, source=source)
    return Node(root, "", source)
