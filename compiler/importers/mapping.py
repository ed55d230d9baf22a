"""Translation rules both importers share: names, well-known images, versions, Fargate sizes.

>>> component_name("Taiga_DB")
'taiga-db'
>>> image_parts("docker.io/library/postgres:15-alpine")
('postgres', '15-alpine')
>>> fargate_size(0.3, 600)
(0.5, '1Gi')
"""
from __future__ import annotations

import re

from infracc.compiler import library_data
from infracc.schema.types import NAME_RE, STACK_RE

# Images whose container becomes a managed store: last path part (or full path) → (section, engine).
# `None` engine: the section has no engine field (buckets, queues).
STORE_IMAGES: dict[str, tuple[str, str | None]] = {
    "postgres": ("databases", "postgres"), "postgis/postgis": ("databases", "postgres"),
    "bitnami/postgresql": ("databases", "postgres"),
    "mysql": ("databases", "mysql"), "bitnami/mysql": ("databases", "mysql"),
    "mariadb": ("databases", "mysql"), "bitnami/mariadb": ("databases", "mysql"),
    "redis": ("caches", "redis"), "bitnami/redis": ("caches", "redis"), "redis/redis-stack": ("caches", "redis"),
    "redis/redis-stack-server": ("caches", "redis"), "redislabs/redismod": ("caches", "redis"),
    "valkey/valkey": ("caches", "valkey"), "bitnami/valkey": ("caches", "valkey"),
    "rabbitmq": ("queues", None), "bitnami/rabbitmq": ("queues", None),
    "softwaremill/elasticmq": ("queues", None), "softwaremill/elasticmq-native": ("queues", None),
    "minio/minio": ("buckets", None), "bitnami/minio": ("buckets", None), "chainguard/minio": ("buckets", None),
}
# Engines infracc runs differently from the image (reported as `changed`).
ENGINE_NOTES = {
    "mariadb": "MariaDB becomes RDS for MySQL (infracc has no mariadb engine); check SQL compatibility",
    "redislabs/redismod": "Redis modules (RediSearch, RedisJSON, …) are not available on ElastiCache",
    "redis/redis-stack": "Redis Stack modules are not available on ElastiCache",
    "redis/redis-stack-server": "Redis Stack modules are not available on ElastiCache",
    "rabbitmq": "RabbitMQ (AMQP) becomes an SQS queue: the application must use the SQS API "
                "(AmazonMQ for RabbitMQ is not an infracc kind)",
    "bitnami/rabbitmq": "RabbitMQ (AMQP) becomes an SQS queue: the application must use the SQS API",
    "localstack/localstack": "the LocalStack emulation becomes the real AWS service; drop endpoint overrides "
                             "(`AWS_ENDPOINT_URL`, `…_ENDPOINT`) from the users",
}
# Images speaking a non-HTTP protocol on their port (cannot be `public`).
TCP_IMAGES = ("mongo", "bitnami/mongodb", "memcached", "nats", "cassandra", "zookeeper", "bitnami/kafka",
              "confluentinc/cp-kafka", "eclipse-mosquitto", "mcr.microsoft.com/mssql/server")


def component_name(raw: str) -> str:
    """A component name (`^[a-z][a-z0-9-]{0,30}$`) from any input name."""
    name = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")
    name = re.sub(r"-{2,}", "-", name)
    if not name or not name[0].isalpha():
        name = "c-" + name
    name = name[:31].rstrip("-")
    assert re.match(NAME_RE, name), name
    return name


def stack_name(raw: str) -> str:
    """A stack name (`^[a-z][a-z0-9-]{2,23}$`) from a folder or application name."""
    name = component_name(raw or "app")[:24].rstrip("-")
    while len(name) < 3:
        name += "-app" if len(name) <= 20 else "x"
    assert re.match(STACK_RE, name), name
    return name


def unique(name: str, taken: set[str]) -> str:
    """`name`, or `name-2`, `name-3`… when taken (one namespace across kinds)."""
    candidate, n = name, 2
    while candidate in taken:
        suffix = f"-{n}"
        candidate, n = name[:31 - len(suffix)] + suffix, n + 1
    return candidate


def image_parts(ref: str) -> tuple[str, str]:
    """(repository without registry or `library/`, tag) of an image reference; tag '' if none."""
    ref = ref.split("@", 1)[0]
    parts = ref.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    if parts and parts[0] == "library":
        parts = parts[1:]
    repo = "/".join(parts)
    tag = ""
    if ":" in repo:
        repo, tag = repo.rsplit(":", 1)
    return repo.lower(), tag


def store_of(ref: str) -> tuple[str, str | None, str] | None:
    """(section, engine, repository) when the image is a well-known data store or broker."""
    repo, _ = image_parts(ref)
    if repo in STORE_IMAGES:
        return (*STORE_IMAGES[repo], repo)
    return None


def engine_version(section: str, engine: str, tag: str) -> str | None:
    """The supported infracc version matching an image tag (`15-alpine` → `15`, `7` → `7.1`), else None."""
    match = re.match(r"^v?(\d+)(?:\.(\d+))?", tag)
    if not match:
        return None
    supported: list[str] = list(library_data.engine_info(section, engine)["supported"])
    exact = f"{match[1]}.{match[2]}" if match[2] is not None else match[1]
    if exact in supported:
        return exact
    if match[1] in supported:
        return match[1]
    same_major = [v for v in supported if v.split(".")[0] == match[1]]
    if same_major and match[2] is None:
        return same_major[-1]
    return None


def fargate_size(cpus: float | None, memory_mib: int | None) -> tuple[float, str] | None:
    """The smallest valid Fargate (vCPU, memory) pair holding at least what was asked."""
    if cpus is None and memory_mib is None:
        return None
    for step in library_data.fargate_cpu_steps():
        if cpus is not None and step < cpus:
            continue
        sizes = library_data.fargate_memory(step)
        fits = [m for m in sizes if memory_mib is None or m >= memory_mib]
        if fits:
            mib = fits[0]
            return step, f"{mib // 1024}Gi" if mib % 1024 == 0 else f"{mib}Mi"
    return None


def memory_mib(text: str | int | float) -> int | None:
    """Compose/Docker memory (`512m`, `1g`, `1.5G`, `268435456`) in MiB, rounded up."""
    if isinstance(text, int | float):
        return max(1, -(-int(text) // (1024 * 1024)))
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([bkmg]?)i?b?\s*", text.lower())
    if not match:
        return None
    factor = {"": 1 / (1024 * 1024), "b": 1 / (1024 * 1024), "k": 1 / 1024, "m": 1, "g": 1024}[match[2]]
    return max(1, int(-(-float(match[1]) * factor // 1)))


def env_key(name: str) -> str:
    """An env var name from a secret or file name: `db-password` → `DB_PASSWORD`."""
    key = re.sub(r"[^A-Za-z0-9_]+", "_", name).strip("_").upper()
    return key if key and not key[0].isdigit() else f"S_{key}"
