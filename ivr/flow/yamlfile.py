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


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; raise YamlFileError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise YamlFileError(Problem(path.name, "", f"cannot read the file: {exc}")) from None
    try:
        return yaml.load(text, Loader=_StringLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        raise YamlFileError(Problem(path.name, where, f"invalid YAML: {reason}")) from None
