"""How a configuration field is declared (`setting`, `group`) and how its raw value is read: each
parser takes the variable's name, so that a refused value is refused by name."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from pathlib import Path
from typing import Any

Parser = Callable[[str, object], object]

NOT_TESTING_ONLY = object()
"""`setting(testing=...)` not given: the default is the same under TESTING."""


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which variable to set."""


def text(name: str, raw: object) -> str:
    return str(raw).strip()


def path(name: str, raw: object) -> Path:
    return Path(str(raw))


def folder(name: str, raw: object) -> Path:
    """A path made absolute now: libraries resolve relative paths against their own folders."""
    return Path(str(raw)).resolve()


def whole(name: str, raw: object) -> int:
    try:
        return int(str(raw).strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not '{raw}'.") from None


def positive_whole(name: str, raw: object) -> int:
    value = whole(name, raw)
    if value <= 0:
        raise ConfigError(f"{name} must be positive.")
    return value


def seconds(name: str, raw: object) -> float:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number of seconds, not {raw!r}.") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative.")
    return value


def one_of(*choices: str) -> Parser:
    def parse(name: str, raw: object) -> str:
        value = str(raw).strip()
        if value not in choices:
            raise ConfigError(f"{name} must be one of {', '.join(choices)}, not '{raw}'.")
        return value

    return parse


def names(name: str, raw: object) -> tuple[str, ...]:
    """A comma-separated list."""
    return tuple(part.strip() for part in str(raw).split(",") if part.strip())


def setting(env: str, default: object = None, parse: Parser = text, *, testing: object = NOT_TESTING_ONLY) -> Any:
    """A field read from the environment variable `env` (`{ROLE}` is filled in for a role's group);
    `testing` is its default under create_app's TESTING, when that differs (background rounds off)."""
    return field(default=default, metadata={"env": env, "parse": parse, "testing": testing})


def group(cls: type, role: str = "") -> Any:
    """A field holding a group of settings (for a role's group, `role` fills `{ROLE}` in its names)."""
    return field(default_factory=cls, metadata={"group": cls, "role": role})
