"""YAML files that remember where each value came from.

Config and scenario errors must name the file, the line and the column of the offending
value, not only its path in the document; ``load`` returns the plain data (``yaml.safe_load``
semantics) together with a map from each value's path to its position.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Located:
    data: Any
    marks: dict[PathKey, tuple[int, int]]  # path -> (line, column) of its value, both 1-based
    source: str
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)  # path -> its key's position

    def position(self, path: PathKey, *, key: bool = False) -> tuple[int, int]:
        """(line, column) of the deepest known node on ``path``; of its key with ``key``
        (an unknown key is best shown where it is written, not where its value starts)."""
        path = tuple(path)
        if key and path in self.keys:
            return self.keys[path]
        while path not in self.marks and path:
            path = path[:-1]
        return self.marks.get(path, (1, 1))

    def where(self, path: PathKey, *, key: bool = False) -> str:
        """``file:line:column`` of the deepest known node on ``path`` (see :meth:`position`)."""
        line, col = self.position(path, key=key)
        return f"{self.source}:{line}:{col}"


class YamlSyntaxError(ValueError):
    def __init__(self, source: str, line: int, column: int, problem: str) -> None:
        super().__init__(f"{source}:{line}:{column}: {problem}")
        self.source, self.line, self.column, self.problem = source, line, column, problem


def loads(text: str, source: str = "<string>") -> Located:
    # Constructing is inside the try too: a tag the safe loader does not know (``!!python/object``,
    # ``!custom``) or bad ``!!binary`` data is the document's error, with its position.
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is None:
            return Located(None, {(): (1, 1)}, source)
        data = yaml.SafeLoader(text).construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlSyntaxError(source, line, col, str(exc.problem or exc)) from None
    except RecursionError:
        raise YamlSyntaxError(source, 1, 1, "nested too deeply") from None
    marks: dict[PathKey, tuple[int, int]] = {}
    keys: dict[PathKey, tuple[int, int]] = {}
    _walk(node, (), marks, keys)
    return Located(data, marks, source, keys)


def load(path: str | Path) -> Located:
    path = Path(path)
    return loads(path.read_text(encoding="utf-8"), str(path))


Marks = dict[PathKey, tuple[int, int]]


def _walk(node: yaml.Node, path: PathKey, marks: Marks, keys: Marks) -> None:
    marks[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, key_node.value)
            keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(value_node, child, marks, keys)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), marks, keys)


def format_path(path: PathKey) -> str:
    """``vendors.smartsmsbulk.accounts[0].apiKey`` style."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"
