"""Environment variables of an imported workload: placeholders, secrets, literals.

Where a value points at another compose service that became an infracc component, it is
replaced by that component's placeholder (`DATABASE_URL: postgresql://u:p@db:5432/x` →
`${db.url}`, `REDIS_HOST: redis` → `${redis.host}`), and the component is added to `uses`.
A value that looks like a credential (compiler/secret_scan.py, the rule `validate` applies) is
never copied: its name goes to `secrets:`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from infracc.compiler import secret_scan


@dataclass
class Target:
    """A compose service as the env mapping sees it."""

    name: str          # infracc component name
    section: str       # services, databases, caches, buckets, queues
    port: int | None = None
    credentials: dict[str, str] = field(default_factory=dict)  # output (user/password/name) → value
    inferred_from: str | None = None  # the env var whose `host:port` told a portless service's port


@dataclass
class EnvResult:
    kind: str              # placeholder | secret | literal | dropped
    value: str = ""
    target: str | None = None
    note: str | None = None
    decide: str | None = None


_URL = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?:(?P<cred>[^@/\s]*)@)?(?P<host>[A-Za-z0-9_.-]+)"
                  r"(?::(?P<port>\d+))?(?P<rest>[/?#].*)?$")
_HOSTED = ("services", "databases", "caches")
_KIND_WORDS = {"databases": {"DB", "DATABASE", "POSTGRES", "POSTGRESQL", "PG", "MYSQL", "MARIADB", "SQL"},
               "caches": {"REDIS", "CACHE", "VALKEY"}}
_ROLE_WORDS = {"password": ("PASSWORD", "PASS", "PWD", "AUTH"), "user": ("USER", "USERNAME"),
               "name": ("NAME", "DB", "DATABASE")}


def escape(value: str) -> str:
    """A literal for a stack.yaml env value: `${` is written `$${`."""
    return value.replace("${", "$${")


def classify(key: str, value: str, hosts: dict[str, Target], mapped: dict[str, Target]) -> EnvResult:
    """What to do with `key: value`; `mapped` holds this workload's keys already mapped to a host."""
    role = _role(key)
    if role is None and value in hosts and hosts[value].section in _HOSTED:
        return _placeholder(hosts[value], "host")
    hostport = re.fullmatch(r"([A-Za-z0-9_.-]+):(\d+)", value)
    if hostport and hostport[1] in hosts and hosts[hostport[1]].section in _HOSTED:
        target = hosts[hostport[1]]
        _infer_port(target, int(hostport[2]), key)
        return EnvResult("placeholder", f"${{{target.name}.host}}:${{{target.name}.port}}", target.name)
    url = _URL.match(value)
    if url and url["host"] in hosts:
        return _url(key, url, hosts[url["host"]])
    if key.endswith("PORT") and value.isdigit():
        prefix = key[:-4]
        for other, target in mapped.items():
            if prefix and other.startswith(prefix) and (target.port is None or target.port == int(value)):
                return _placeholder(target, "port")
    if role is not None and value:
        holders = {t.name: t for t in hosts.values() if t.credentials.get(role) == value and _related(key, t, mapped)}
        if len(holders) == 1:
            target = next(iter(holders.values()))
            return _placeholder(target, role, f"the value matched {target.name}'s {role} in compose")
    if secret_scan.find_secret(value, key) is not None:
        return EnvResult("secret")
    return EnvResult("literal", escape(value))


def _infer_port(target: Target, port: int, key: str) -> None:
    """A service compose gave no port, reached as `name:port` by another: that is its port."""
    if target.section == "services" and target.port is None:
        target.port, target.inferred_from = port, key


def _related(key: str, target: Target, mapped: dict[str, Target]) -> bool:
    """Whether `key` names `target`: a word of its name or engine (`POSTGRES_USER` → a postgres
    database), or a key with the same prefix already points at it (`DB_HOST` → `DB_USER`)."""
    words = set(key.upper().split("_")[:-1])
    prefix = key.rsplit("_", 1)[0]
    if any(other.rsplit("_", 1)[0] == prefix and t.name == target.name for other, t in mapped.items()):
        return True
    names = set(target.name.upper().replace("-", "_").split("_")) | _KIND_WORDS.get(target.section, set())
    return bool(words & names)


def _placeholder(target: Target, output: str, note: str | None = None) -> EnvResult:
    return EnvResult("placeholder", f"${{{target.name}.{output}}}", target.name, note)


def _role(key: str) -> str | None:
    words = key.upper().split("_")
    for role, names in _ROLE_WORDS.items():
        if words and words[-1] in names:
            return role
    return None


def _url(key: str, url: re.Match[str], target: Target) -> EnvResult:
    rest = url["rest"] or ""
    port = int(url["port"]) if url["port"] else None
    if target.section in ("databases", "caches"):
        note = (f"`{key}` now carries infracc's connection URL for `{target.name}` (scheme, credentials and "
                "database name as infracc sets them)")
        return EnvResult("placeholder", f"${{{target.name}.url}}", target.name, note)
    if target.section == "buckets":
        return EnvResult("dropped", target=target.name, decide=(
            f"`{key}` points at the MinIO endpoint of `{target.name}`; on AWS the S3 endpoint is the regional "
            f"default: remove the setting, and read the bucket name from `{target.name.upper().replace('-', '_')}_BUCKET`"))
    if target.section == "queues":
        return EnvResult("dropped", target=target.name, decide=(
            f"`{key}` points at the broker `{target.name}`; its queue URL is `${{{target.name}.queue_url}}` "
            "(SQS) and the application must speak SQS"))
    if port is not None:
        _infer_port(target, port, key)
    if port is not None and target.port is not None and port != target.port:
        return EnvResult("literal", escape(url[0]), target.name, decide=(
            f"`{key}` points at `{target.name}` port {port}, but `{target.name}` is imported with port "
            f"{target.port} only; this value is copied as written and will not resolve on AWS"))
    value = f"${{{target.name}.url}}" + ("" if rest in ("", "/") else escape(rest))
    return EnvResult("placeholder", value, target.name)
