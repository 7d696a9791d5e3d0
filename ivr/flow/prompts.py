"""The French sentences the caller hears, by key, with numbers spelled in words.

A prompt may hold `{service}` (the service's number, in words), `{phrase}` (a phrase of the
`phrases` section, such as who answers), and `{condition}` (a phrase of the `when` section, said
only when the condition holds for this deployment: `anonymous`, `free`, `speech`). The `words`
section (what callers may say instead of a key) is read by ivr.flow.speech. A département's prompts
also hold `{council}` and `{hours}`, filled for each council.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..errors import Problem, did_you_mean
from .directory import Service
from .fields import Fields

_DIGIT = re.compile(r"\d")
CONDITIONS = {
    "anonymous": "the platform does not receive the caller's number (IVR_CALLER_ID is set)",
    "free": "the line's own number is free to call (IVR_FREE_NUMBER=1)",
    "speech": "the line listens to what callers say, beside the keypad (IVR_SPEECH, on by default)",
}
COUNCIL_FIELDS = ("council", "hours", "opening")  # filled per council (ivr.flow.councils), or at the hour
_DANGLING = re.compile(r"\b(?:au|aux|le|la|les|l'|du|de|des|d')$", re.IGNORECASE)


def placeholders(template: str) -> list[str]:
    """List the {service} placeholders of a prompt; raise ValueError on bad braces."""
    return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]


def parse_prompts(
    raw: Any, file: str, services: Mapping[str, Service], problems: list[Problem], facts: frozenset[str] = frozenset()
) -> tuple[Mapping[str, str], Mapping[str, tuple[str, ...]]]:
    """Build key -> final text, every {placeholder} replaced (numbers in words, phrases, the phrases
    of the conditions in `facts`), and key -> the services the prompt says."""
    top = Fields(raw, file, "", problems, allowed=("phrases", "when", "prompts", "words"))
    phrases = _section(top, "phrases", file, problems)
    when = _section(top, "when", file, problems)
    for name in when:
        if name not in CONDITIONS:
            problems.append(
                Problem(
                    file,
                    f"when.{name}",
                    f"unknown condition {name!r}; known: " + "; ".join(f"{k}: {v}" for k, v in CONDITIONS.items()),
                )
            )
    for name in set(phrases) & (set(services) | set(when)):
        problems.append(Problem(file, f"phrases.{name}", f"{name!r} is also a service or a condition: rename it"))
    values = {
        **{f: "{" + f + "}" for f in COUNCIL_FIELDS},
        **phrases,
        **{name: text if name in facts else "" for name, text in when.items()},
        **{sid: service.spoken for sid, service in services.items()},
    }
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
            problems.append(
                Problem(
                    file,
                    where,
                    "digits are not read well by the speech engine: "
                    "write a number as {service_id} (a service of "
                    "data/directory.yaml), or in words",
                )
            )
            continue
        try:
            fields = placeholders(template)
        except ValueError as exc:
            problems.append(Problem(file, where, f"bad braces: {exc}"))
            continue
        unknown = [f for f in fields if f not in values]
        if unknown:
            problems.append(
                Problem(
                    file,
                    where,
                    f"unknown service(s) or phrase(s) {', '.join(map(repr, unknown))} in {{...}}; "
                    + "".join(did_you_mean(f, set(values) - set(COUNCIL_FIELDS)) for f in unknown)
                    + f"known: {', '.join(sorted(set(values) - set(COUNCIL_FIELDS)))}",
                )
            )
            continue
        if said := tuple(f for f in fields if f in services):
            mentions[str(key)] = said
        text = " ".join(template.format_map({f: values[f] for f in fields}).split())
        texts[str(key)] = text.replace(" ,", ",").replace(" .", ".")
        if _DANGLING.search(text.rstrip(" :")):
            problems.append(
                Problem(
                    file,
                    where,
                    "the sentence ends on an article or a preposition: the voice "
                    "falls, then pauses before the number; finish the sentence "
                    '("... Son numéro :")',
                )
            )
    return MappingProxyType(texts), MappingProxyType(mentions)


def _section(top: Fields, name: str, file: str, problems: list[Problem]) -> dict[str, str]:
    """Read a section of named phrases (no digits, no braces)."""
    out = {}
    for key, text in top.mapping(name, required=False).items():
        if not isinstance(text, str) or _DIGIT.search(text) or "{" in text:
            problems.append(Problem(file, f"{name}.{key}", f"expected words (no digits, no braces), got {text!r}"))
            continue
        out[str(key)] = " ".join(text.split())
    return out
