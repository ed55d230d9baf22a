"""Cited data tables from `infracc.library`, loaded once and validated on load.

The library holds facts (with their sources), never logic; this module is the only reader.
"""

import json
from functools import cache, lru_cache
from typing import Any

from pydantic import ConfigDict

from infracc.compiler import library_split
from infracc.compiler.corecache import PrebuiltModel
from infracc.library import FOLDER


@cache
def _json(name: str) -> Any:
    """A library file, parsed once per process (callers copy what they hand out)."""
    return json.loads((FOLDER / name).read_text(encoding="utf-8"))


class Region(PrebuiltModel):
    model_config = ConfigDict(extra="allow", frozen=True)
    name: str
    eu: bool
    eea: bool


@lru_cache(maxsize=1)
def region_table() -> dict[str, Region]:
    data = _json("regions.json")
    return {code: Region.model_validate(row) for code, row in data["regions"].items()}


def regions() -> list[str]:
    return sorted(region_table())


def in_eea(region: str) -> bool:
    row = region_table().get(region)
    return bool(row and (row.eea or row.eu))


@lru_cache(maxsize=1)
def _fargate() -> dict[str, list[int]]:
    data = _json("fargate.json")
    return {key: list(values) for key, values in data["memory_mib"].items()}


def fargate_memory(cpu: float) -> list[int]:
    """Valid Fargate memory sizes (MiB) for a vCPU step."""
    key = f"{cpu:g}"
    return _fargate().get(key, [])


def fargate_cpu_steps() -> list[float]:
    return sorted(float(k) for k in _fargate())


class Profile(PrebuiltModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    cpu: float
    memory: str
    replicas: dict[str, int]
    cpu_target: int
    database_class: str
    database_storage_gb: int
    cache_node: str
    az_count: int
    nat_gateways: str
    log_retention_days: int
    backup_retention_days: int
    node_instance: str
    node_count: dict[str, int]
    rationale: str


@lru_cache(maxsize=1)
def profiles() -> dict[str, Profile]:
    return {name: Profile.model_validate(row) for name, row in _json("sizing.json")["profiles"].items()}


def node_instance(instance_type: str) -> tuple[float, int]:
    """Allocatable (vCPU, MiB) of one EKS node of this type (library/sizing.json `node_instances`)."""
    table = _json("sizing.json")["node_instances"]
    row, reserved = table["types"][instance_type], table["reserved"]
    return row["vcpu"] - reserved["vcpu"], row["memory_mib"] - reserved["memory_mib"]


@lru_cache(maxsize=1)
def engines() -> dict[str, Any]:
    data: dict[str, Any] = _json("engines.json")
    return data


def engine_info(section: str, engine: str) -> dict[str, Any]:
    """Supported versions, default and allowed class families of a database/cache engine."""
    info: dict[str, Any] = engines()[section][engine]
    return info


def standard_support_end(engine: str, version: str) -> str | None:
    """RDS end of standard support (ISO date) of a database engine's major version, if known."""
    ends: dict[str, str] = engine_info("databases", engine).get("standard_support_end", {})
    return ends.get(version)


def lifecycle_as_of() -> str:
    """The date (ISO) against which engine lifecycles are judged: the day engines.json was checked.

    A fixed date, not the clock, so that a compile is deterministic; refreshing the table moves it."""
    return str(engines()["lifecycle_as_of"])


def past_standard_support(engine: str, version: str) -> bool:
    end = standard_support_end(engine, version)
    return end is not None and end < lifecycle_as_of()


def instance_vcpus(instance_class: str) -> int:
    """vCPUs of an RDS instance class (library/engines.json `instance_vcpus`, by size)."""
    size = instance_class.rsplit(".", 1)[-1]
    table: dict[str, int] = engines()["instance_vcpus"]["by_size"]
    return table[size]


@lru_cache(maxsize=1)
def _inventory() -> dict[str, Any]:
    data: dict[str, Any] = _json("inventory.json")
    return data


def waf_rule_groups() -> tuple[str, ...]:
    """The AWS managed rule groups of every web ACL (library/inventory.json)."""
    return tuple(_inventory()["waf_managed_rule_groups"]["groups"])


def eks_node_disk_gb() -> int:
    """Root volume (GiB) of an EKS managed node without a launch template (library/inventory.json)."""
    return int(_inventory()["eks_node_root_volume"]["size_gb"])


def log_retention_steps() -> list[int]:
    return list(_json("sizing.json")["constraints"]["log_retention_days"])


class Price(PrebuiltModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    service: str
    item: str
    unit: str
    region: str
    usd: float
    source: str
    key: str
    engine: str | None = None
    deployment: str | None = None
    arch: str | None = None
    support: str | None = None
    edge: str | None = None
    tier: str | None = None


_ATTRS = ("engine", "deployment", "arch", "support", "edge", "tier")


def _price_key(row: dict[str, Any]) -> tuple[str | None, ...]:
    get = row.get  # spelled out, not a loop over _ATTRS: it runs for every row of every run
    return (row["service"], row["item"], row["region"], get("engine"), get("deployment"), get("arch"),
            get("support"), get("edge"), get("tier"))


def _raw_prices() -> dict[tuple[str | None, ...], dict[str, Any]]:
    """Every row of prices.json by lookup key, as parsed (for tests and tools)."""
    index: dict[tuple[str | None, ...], dict[str, Any]] = {}
    for region in library_split.regions("prices.json"):
        index.update(_region_tables(region)[0])
    return index


@cache
def _region_tables(region: str) -> tuple[dict[tuple[str | None, ...], dict[str, Any]], dict[tuple[str | None, ...], list[tuple[str | None, ...]]]]:
    """One region's rows of prices.json by lookup key, and the keys by (service, item, region)
    in file order: the rows a lookup naming fewer attributes than the row has can match. A run
    prices one to three regions: only their rows are read (`library_split`) and keyed. A row is
    validated with `Price` when a lookup returns it (`_row`; validating all ~4,000 took ~0.1 s);
    tests/test_library_data.py validates them all."""
    index: dict[tuple[str | None, ...], dict[str, Any]] = {}
    by_item: dict[tuple[str | None, ...], list[tuple[str | None, ...]]] = {}
    for row in library_split.region_rows("prices.json", "prices", region):
        key = _price_key(row)
        if key not in index:
            by_item.setdefault(key[:3], []).append(key)
        index[key] = row
    return index, by_item


@cache
def _row(key: tuple[str | None, ...]) -> Price:
    return Price.model_validate(_region_tables(str(key[2]))[0][key])


def _price_index() -> dict[tuple[str | None, ...], Price]:
    """Every row, validated (for tests and tools; lookups validate only what they return)."""
    return {key: _row(key) for key in _raw_prices()}


def price(service: str, item: str, region: str, **attrs: str) -> Price | None:
    """The one row matching every attribute, or None (a missing price is never zero).

    Rows without a given attribute match only a lookup that does not name it; `tier` is
    matched when the row has one and the lookup gives none, picking the row's only tier.
    """
    return _lookup(service, item, region, tuple(sorted(attrs.items())))


@lru_cache(maxsize=4096)
def _lookup(service: str, item: str, region: str, pairs: tuple[tuple[str, str], ...]) -> Price | None:
    attrs = dict(pairs)
    index, by_item = _region_tables(region)
    key = (service, item, region, *(attrs.get(a) for a in _ATTRS))
    if key in index:
        return _row(key)
    for found in by_item.get((service, item, region), ()):
        if all(v == attrs.get(a) or (a == "tier" and a not in attrs) for a, v in zip(_ATTRS, found[3:], strict=True)):
            return _row(found)
    return None


@lru_cache(maxsize=1)
def hours_per_month() -> int:
    return int(library_split.table_meta("prices.json")["hours_per_month"])


class PrebuiltImage(PrebuiltModel):
    """What a well-known prebuilt image needs to start hardened (library/prebuilt_images.json)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    writable: tuple[str, ...]
    user: int
    group: int
    port: int | None
    instead: str | None
    source: str


@lru_cache(maxsize=1)
def prebuilt_images() -> dict[str, PrebuiltImage]:
    """Repository (no registry host, tag or digest) → its row."""
    return {name: PrebuiltImage.model_validate(row) for name, row in _json("prebuilt_images.json")["images"].items()}


class TracingData(PrebuiltModel):
    """library/tracing.json: the collector image, the X-Ray actions and the tracing defaults."""

    model_config = ConfigDict(frozen=True)
    image: str
    health_command: tuple[str, ...]
    health_port: int
    otlp_grpc_port: int
    otlp_http_port: int
    xray_actions: tuple[str, ...]
    sample_rates: dict[str, float]
    sidecar_cpu_units: int
    sidecar_memory_mib: int
    cluster_replicas: int
    cluster_cpu: str
    cluster_memory_mib: int


@lru_cache(maxsize=1)
def tracing() -> TracingData:
    data = _json("tracing.json")
    collector, sidecar, cluster = data["collector"], data["sidecar"], data["cluster_collector"]
    return TracingData(
        image=collector["image"], health_command=tuple(collector["health_command"]),
        health_port=collector["health_port"], otlp_grpc_port=collector["otlp_grpc_port"],
        otlp_http_port=collector["otlp_http_port"], xray_actions=tuple(data["xray_actions"]["actions"]),
        sample_rates={k: float(v) for k, v in data["sample_rates"].items() if k != "reason"},
        sidecar_cpu_units=sidecar["cpu_units"], sidecar_memory_mib=sidecar["memory_mib"],
        cluster_replicas=cluster["replicas"], cluster_cpu=cluster["cpu"], cluster_memory_mib=cluster["memory_mib"])
