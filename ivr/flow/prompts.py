"""The French sentences the caller hears, by key, with numbers spelled in words."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..errors import Problem
from .directory import Service
from .fields import Fields

_DIGIT = re.compile(r"\d")


def placeholders(template: str) -> list[str]:
    """List the {service} placeholders of a prompt; raise ValueError on bad braces."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]


def parse_prompts(raw: Any, file: str, services: Mapping[str, Service],
                  problems: list[Problem]) -> tuple[Mapping[str, str], Mapping[str, tuple[str, ...]]]:
    """Build key -> final text, with every {service} replaced by its number in words, and
    key -> the services the prompt says."""
    top = Fields(raw, file, "", problems, allowed=("prompts",))
    texts: dict[str, str] = {}
    mentions: dict[str, tuple[str, ...]] = {}
    for key, template in top.mapping("prompts").items():
        where = f"prompts.{key}"
        if not isinstance(template, str) or not template.strip():
            problems.append(Problem(file, where, f"expected a sentence, got {template!r}"))
            continue
        # A faulty prompt is reported, yet kept, so nodes using it are not reported too.
        texts[str(key)] = " ".join(template.split())
        if _DIGIT.search(template):
            problems.append(Problem(file, where, "digits are not read well by the speech engine: "
                                    "write a number as {service_id} (a service of "
                                    "data/directory.yaml), or in words"))
            continue
        try:
            fields = placeholders(template)
        except ValueError as exc:
            problems.append(Problem(file, where, f"bad braces: {exc}"))
            continue
        unknown = [f for f in fields if f not in services]
        if unknown:
            problems.append(Problem(file, where, f"unknown service(s) {', '.join(map(repr, unknown))} "
                                    f"in {{...}}; known: {', '.join(sorted(services))}"))
            continue
        if fields:
            mentions[str(key)] = tuple(fields)
        texts[str(key)] = " ".join(template.format_map(
            {f: services[f].spoken for f in fields}).split())
    return MappingProxyType(texts), MappingProxyType(mentions)
