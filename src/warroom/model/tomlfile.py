"""Read a local TOML file that may be hostile: any failure is one ``FILE: reason`` line.

``tomllib`` raises more than ``TOMLDecodeError``: deep nesting is a ``RecursionError``, a
decimal number past 4300 digits a ``ValueError``. Dotted keys nest without recursing, so a
file can also parse into data too deep for any later code that walks it; nesting is capped.
Pure: no imports from the rest of warroom, so every loader can use it.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path

from ..errors import WarroomError

MAX_DEPTH = 64  # tables and arrays inside each other; real files use fewer than 6


class TomlFileError(WarroomError, ValueError):
    """A file that cannot be read as TOML; ``reason`` is a few words, without the file."""

    def __init__(self, source: str | Path, reason: str) -> None:
        self.source, self.reason = str(source), reason
        super().__init__(f"{source}: {reason}")


def loads(text: str, source: str | Path) -> dict:
    """Parse ``text`` (from ``source``, named in errors) into a dict."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TomlFileError(source, f"not valid TOML: {exc}") from None
    except RecursionError:
        raise TomlFileError(source, f"not valid TOML: nested more than {MAX_DEPTH} levels deep") from None
    except (ValueError, TypeError, MemoryError) as exc:
        raise TomlFileError(source, f"not valid TOML: {str(exc)[:120]}") from None
    if _too_deep(data):
        raise TomlFileError(source, f"not valid TOML: nested more than {MAX_DEPTH} levels deep")
    return data


def load(path: str | Path) -> dict:
    """Read and parse the file at ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise TomlFileError(path, "not a UTF-8 text file") from None
    except OSError as exc:
        raise TomlFileError(path, f"cannot read: {exc.strerror or exc}") from None
    return loads(text, path)


def seconds(value: object, most: float) -> float:
    """A duration in seconds from a file or the environment (a number, or its text): finite,
    above 0 and at most ``most``; else ValueError (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(value)
    number = float(value.strip() if isinstance(value, str) else value)
    if not (math.isfinite(number) and 0 < number <= most):
        raise ValueError(value)
    return number


def shown(value: object) -> str:
    """A value as an error message shows it: short, and never failing (a 5000-digit int has no repr)."""
    try:
        text = repr(value)
    except ValueError:
        return "a number too long to show"
    return text if len(text) <= 80 else text[:77] + "..."


def _too_deep(data: dict) -> bool:
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False
