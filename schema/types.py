"""Scalar types of the spec language: names, durations, quantities, image refs, versions."""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

NAME_RE = r"^[a-z][a-z0-9-]{0,30}$"
STACK_RE = r"^[a-z][a-z0-9-]{2,23}$"
ENV_RE = r"^[a-z][a-z0-9-]{0,15}$"
ENV_VAR_RE = r"^[A-Za-z_][A-Za-z0-9_]*$"

_DURATION = re.compile(r"^([1-9][0-9]*)(s|m|h|d)$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_QUANTITY = re.compile(r"^([1-9][0-9]*)(Mi|Gi)$")


def duration_seconds(value: str) -> int:
    """``"15m"`` → 900.

    >>> duration_seconds("2h")
    7200
    """
    match = _DURATION.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration")
    return int(match[1]) * _UNIT_SECONDS[match[2]]


def _check_duration(value: str) -> str:
    if not _DURATION.match(value):
        raise ValueError("must be a duration such as `30s`, `15m`, `2h` or `4d`")
    return value


def memory_mib(value: str) -> int:
    """``"2Gi"`` → 2048.

    >>> memory_mib("512Mi")
    512
    """
    match = _QUANTITY.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a memory quantity")
    return int(match[1]) * (1024 if match[2] == "Gi" else 1)


def _check_quantity(value: str) -> str:
    if not _QUANTITY.match(value):
        raise ValueError("must be a memory quantity in Mi or Gi, such as `512Mi` or `2Gi`")
    return value


def _version(value: object) -> object:
    # `version: 3.10` in YAML is the float 3.1: refuse floats rather than guess.
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise ValueError(f"version {value!r} is a YAML number (3.10 would read as 3.1); quote it as a string, e.g. \"3.12\"")
    return value


def _env_value(value: object) -> object:
    # YAML reads `PORT: 8080` as an int and `DEBUG: true` as a bool; environment values are text.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        raise ValueError(f"{value!r} is a YAML number and may not survive as written (1.10 reads as 1.1); quote it")
    return value


EnvValue = Annotated[str, BeforeValidator(_env_value), WithJsonSchema({"type": ["string", "integer", "boolean"]})]
Duration = Annotated[str, AfterValidator(_check_duration),
                     Field(pattern=r"^[1-9][0-9]*(s|m|h|d)$")]
Quantity = Annotated[str, AfterValidator(_check_quantity), Field(pattern=r"^[1-9][0-9]*(Mi|Gi)$")]
_VERSION_RE = r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$"
# A YAML integer (`version: 22`) is read as text; a float (3.10 → 3.1) is refused.
Version = Annotated[str, BeforeValidator(_version), Field(pattern=_VERSION_RE),
                    WithJsonSchema({"anyOf": [{"type": "string", "pattern": _VERSION_RE}, {"type": "integer", "minimum": 0}]})]
ComponentName = Annotated[str, Field(pattern=NAME_RE)]
EnvVarName = Annotated[str, Field(pattern=ENV_VAR_RE)]
ImageRef = Annotated[str, Field(
    pattern=r"^[a-z0-9]+([._\-/:][a-z0-9]+)*(:[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127})?(@sha256:[a-f0-9]{64})?$",
    max_length=255)]
