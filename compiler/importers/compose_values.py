"""Compose value forms: interpolation, `.env` files, ports, commands, health checks, volumes.

>>> parse_port("127.0.0.1:3030:3030")
Port(host_ip='127.0.0.1', published='3030', target=3030, protocol='tcp')
>>> interpolate("${A:-x}-$${B}", {}, [])
'x-${B}'
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path as FsPath

_VAR = re.compile(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(text: str, values: dict[str, str], unset: list[str]) -> str:
    """Compose variable substitution from `values` (the `.env` file; never the caller's shell, so the
    result does not depend on the machine). Names with no value are appended to `unset`."""

    def one(match: re.Match[str]) -> str:
        if match[0] == "$$":
            return "$"
        name = match[1] or match[4]
        op, arg = match[2], match[3] or ""
        have = values.get(name)
        if op in (":-", "-"):
            if have is None or (op == ":-" and have == ""):
                return interpolate(arg, values, unset)
            return have
        if op in (":+", "+"):
            return interpolate(arg, values, unset) if have not in (None, "") or (op == "+" and have is not None) else ""
        if have is None:
            unset.append(name)
            return ""
        return have

    return _VAR.sub(one, text)


def read_env_file(path: FsPath) -> dict[str, tuple[str, int]] | None:
    """`KEY=VALUE` lines (comments, `export`, quotes) → {KEY: (value, line)}; None if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    out: dict[str, tuple[str, int]] = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if value[:1] in "\"'" and value[:1] and value.find(value[0], 1) > 0:
            value = value[1:value.find(value[0], 1)]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        out[key] = (value, number)
    return out


@dataclass(frozen=True)
class Port:
    host_ip: str | None
    published: str | None
    target: int
    protocol: str

    @property
    def loopback(self) -> bool:
        return self.host_ip is not None and (self.host_ip.startswith("127.") or self.host_ip in ("::1", "[::1]"))


def parse_port(value: object) -> Port | None:
    """One `ports:` entry (short or long syntax); None when it cannot be read."""
    if isinstance(value, dict):
        target = value.get("target")
        if not isinstance(target, int | str) or not str(target).isdigit():
            return None
        published = value.get("published")
        return Port(_str(value.get("host_ip")), None if published is None else str(published), int(target),
                    str(value.get("protocol", "tcp")))
    if isinstance(value, int):
        return Port(None, None, value, "tcp")
    if not isinstance(value, str):
        return None
    text, _, protocol = value.partition("/")
    match = re.fullmatch(r"(?:(\[[^\]]+\]|[\d.]+|[A-Za-z0-9.-]+):)??(?:(\d+(?:-\d+)?)?:)?(\d+)(?:-\d+)?", text)
    if not match:
        return None
    return Port(match[1], match[2], int(match[3]), protocol or "tcp")


def _str(value: object) -> str | None:
    return None if value is None else str(value)


def command_list(value: object, interp: Interp) -> list[str] | None:
    """Compose `command`/`entrypoint` (string: shell words; list: as is) after interpolation."""
    if isinstance(value, str):
        try:
            return shlex.split(interp(value))
        except ValueError:
            return None
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return [interp(str(v)) for v in value]
    return None


class Interp:
    """Interpolation bound to one `.env`, collecting names that had no value."""

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.unset: list[str] = []

    def __call__(self, text: str) -> str:
        return interpolate(text, self.values, self.unset)

    def take_unset(self) -> list[str]:
        names, self.unset = sorted(set(self.unset)), []
        return names


def health_command(test: object, interp: Interp) -> list[str] | None:
    """A healthcheck `test` as an exec command; None for NONE or an unreadable test."""
    if isinstance(test, str):
        return ["sh", "-c", interp(test)]
    if not isinstance(test, list) or not test or not all(isinstance(t, str) for t in test):
        return None
    head, rest = test[0], [interp(t) for t in test[1:]]
    if head == "NONE":
        return None
    if head == "CMD-SHELL":
        return ["sh", "-c", " ".join(rest)] if rest else None
    if head == "CMD":
        return rest or None
    return [interp(t) for t in test]


_LOCAL_URL = re.compile(r"https?://(?:localhost|127\.0\.0\.1|0\.0\.0\.0)(?::(\d+))?(/[A-Za-z0-9._~\-/]*)?")


def http_health_path(command: list[str], port: int | None) -> str | None:
    """The path of a curl/wget probe of this container's own port, e.g. `/api/heartbeat`."""
    if port is None:
        return None
    text = " ".join(command)
    if not re.search(r"\b(curl|wget)\b", text):
        return None
    match = _LOCAL_URL.search(text)
    if not match or (match[1] is not None and int(match[1]) != port) or (match[1] is None and port != 80):
        return None
    return match[2] or "/"


@dataclass(frozen=True)
class Volume:
    kind: str  # bind | volume | anonymous | tmpfs | other
    source: str | None
    target: str | None


def parse_volume(value: object, named: set[str]) -> Volume:
    if isinstance(value, dict):
        kind = str(value.get("type", "volume"))
        source, target = _str(value.get("source")), _str(value.get("target"))
        if kind == "volume" and source is None:
            kind = "anonymous"
        return Volume(kind if kind in ("bind", "volume", "anonymous", "tmpfs") else "other", source, target)
    if not isinstance(value, str):
        return Volume("other", None, None)
    parts = value.split(":")
    if len(parts) == 1:
        return Volume("anonymous", None, parts[0])
    source, target = parts[0], parts[1]
    if source.startswith((".", "/", "~", "$")) or source not in named and "/" in source:
        return Volume("bind", source, target)
    return Volume("volume", source, target)
