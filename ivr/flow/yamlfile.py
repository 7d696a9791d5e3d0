"""Read YAML the safe way: plain scalars stay strings, duplicate keys are refused.

YAML 1.1 turns `yes`, `on`, `no` into booleans, `0800` into an octal number and `14`
into an integer; a DTMF key or a département must stay exactly what staff typed.
Only `true`, `false` and `null` keep a meaning; every other plain scalar is a string.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from ..errors import Problem

if TYPE_CHECKING:  # the checker sees one base: both have the safe constructor and resolver used here
    _Base = yaml.SafeLoader
else:  # libyaml's parser when PyYAML was built with it (seven times faster on a large flow).
    _Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StringLoader(_Base):
    """A safe loader whose only implicit types are true, false and null."""


_StringLoader.yaml_implicit_resolvers = {}
_StringLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))
_StringLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:null|~|)$"), ["n", "~", ""])


def _construct_mapping(loader: _StringLoader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen[key] = key_node
    return loader.construct_mapping(node)


_StringLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlFileError(Exception):
    """A YAML file cannot be read or parsed."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class Lines:
    """Where each key of a YAML file is written: the line of a key path such as
    `nodes.welcome.options[2].target`, or of its longest part written in the file."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    def line(self, where: str) -> int | None:
        """The line (from 1) of the key `where` names, or of the nearest key above it; None if none."""
        node, found = self._root, None
        for name, index in _STEP.findall(where):
            if isinstance(node, yaml.SequenceNode) and index and int(index) < len(node.value):
                node = node.value[int(index)]
                found = node.start_mark.line + 1
            elif isinstance(node, yaml.MappingNode) and name:
                hit = next(((k, v) for k, v in node.value if k.value == name), None)
                if hit is None:
                    break
                found = hit[0].start_mark.line + 1  # the key's line: where staff look for it
                node = hit[1]
            else:
                break
        return found


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; raise YamlFileError naming the file and line."""
    return load_yaml_lines(path)[0]


def load_yaml_lines(path: Path) -> tuple[Any, Lines]:
    """Parse one YAML file, with where each of its keys is written; raise YamlFileError naming the
    file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlFileError(Problem(path.name, "", f"cannot read the file: {exc}")) from None
    loader = _StringLoader(text)
    try:
        root = loader.get_single_node()
        return (loader.construct_document(root) if root is not None else None), Lines(root)
    except yaml.YAMLError as exc:
        where, message = _syntax_error(text, exc)
        raise YamlFileError(Problem(path.name, where, message)) from None
    finally:
        loader.dispose()


def _at(line: int, column: int) -> str:
    return f"line {line + 1}, column {column + 1}"


def _syntax_error(text: str, exc: yaml.YAMLError) -> tuple[str, str]:
    """Where a YAML error is and what it is, as staff would look for it.

    The parser notices a mistake where it stops making sense, which can be far below it: a quote
    left open swallows the lines down to the next quote. The place given is the mistake's own.
    """
    mark = getattr(exc, "problem_mark", None)
    reason = getattr(exc, "problem", None) or str(exc)
    if mark is None:
        return "", f"invalid YAML: {reason}"
    if not isinstance(exc, yaml.scanner.ScannerError | yaml.parser.ParserError):  # a duplicate key
        return _at(mark.line, mark.column), f"invalid YAML: {reason}"
    context, opened = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context == "while scanning a quoted scalar" and opened is not None:
        return _at(opened.line, opened.column), "invalid YAML: this quote is never closed"
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    if "\t" in line[: mark.column + 1] and not line[: line.index("\t")].strip():
        return _at(mark.line, line.index("\t")), "invalid YAML: a tab indents this line; indent with spaces"
    before = _scalar_before(text, mark)
    if before is not None and before.style in ("'", '"'):
        start, end = before.start_mark, before.end_mark
        if start.line != end.line:
            return _at(start.line, start.column), (
                f"invalid YAML: this quote is not closed on its line (it closes only on line {end.line + 1})"
            )
        return _at(start.line, start.column), (
            f"invalid YAML: text goes on after this quote closes (column {end.column}); "
            "an apostrophe between ' quotes is written twice ('')"
            if before.style == "'"
            else f"invalid YAML: text goes on after this quote closes (column {end.column})"
        )
    indent = len(line) - len(line.lstrip(" "))
    continued = before is not None and before.start_mark.line != mark.line  # a plain text that ran on
    if reason.startswith("mapping values are not allowed") and continued:
        return _at(mark.line, indent), "invalid YAML: this line is indented deeper than the line above"
    if isinstance(exc, yaml.parser.ParserError) and mark.column == indent:
        return _at(mark.line, indent), "invalid YAML: this line is not indented like the lines above"
    return _at(mark.line, mark.column), f"invalid YAML: {reason}"


def _scalar_before(text: str, mark: Any) -> yaml.ScalarToken | None:
    """The scalar that ends where the parser stopped (spaces apart), if any."""
    last: yaml.Token | None = None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if (token.start_mark.line, token.start_mark.column) >= (mark.line, mark.column):
                break
            last = token
    except yaml.YAMLError:
        pass
    if not isinstance(last, yaml.ScalarToken):
        return None
    return last
