"""Read one YAML mapping field by field, reporting problems by file and key."""

from __future__ import annotations

from typing import Any

from ..errors import Problem


class Fields:
    """A YAML mapping checked against its allowed keys; accessors report, never raise."""

    def __init__(self, raw: Any, file: str, where: str, problems: list[Problem], allowed: tuple[str, ...]) -> None:
        self.file, self.where, self.problems = file, where, problems
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            self._report("", f"expected a mapping with keys {', '.join(allowed)}, got {type(raw).__name__}")
            raw = {}
        unknown = [k for k in raw if k not in allowed]
        for key in unknown:
            self._report(str(key), f"unknown key {key!r}; allowed keys: {', '.join(allowed)}")
        self.raw = {k: v for k, v in raw.items() if k in allowed}

    def _path(self, key: str) -> str:
        return ".".join(p for p in (self.where, key) if p)

    def _report(self, key: str, message: str) -> None:
        self.problems.append(Problem(self.file, self._path(key), message))

    def __contains__(self, key: str) -> bool:
        return key in self.raw

    def get(self, key: str) -> Any:
        """Return the raw value of a key, or None."""
        return self.raw.get(key)

    def text(self, key: str, required: bool = True) -> str | None:
        """Return a non-empty string value."""
        value = self.raw.get(key)
        if value is None:
            if required:
                self._report(key, "missing required key")
            return None
        if not isinstance(value, str) or not value.strip():
            self._report(key, f"expected text, got {value!r}")
            return None
        return value.strip()

    def text_list(self, key: str, required: bool = True) -> tuple[str, ...]:
        """Return a list of strings; a single string counts as a list of one."""
        value = self.raw.get(key)
        if value is None:
            if required:
                self._report(key, "missing required key")
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self._report(key, f"expected a list of names, got {value!r}")
            return ()
        return tuple(value)

    def flag(self, key: str) -> bool:
        """Return a yes/no value (false when absent)."""
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            self._report(key, f"expected true or false, got {value!r}")
            return False
        return value

    def mapping(self, key: str, required: bool = True) -> dict:
        """Return a mapping value (empty when absent or wrong)."""
        value = self.raw.get(key)
        if value is None:
            if required:
                self._report(key, "missing required key")
            return {}
        if not isinstance(value, dict):
            self._report(key, f"expected a mapping, got {type(value).__name__}")
            return {}
        return value

    def items(self, key: str) -> list:
        """Return a list value (empty when absent or wrong)."""
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self._report(key, f"expected a list, got {type(value).__name__}")
            return []
        return value
