#!/usr/bin/env python3
"""Cross-check the data files in `library/` (standard library only).

    python tools/check_library.py

Checks that every value in `sizing.json` is valid on Fargate and has a price row in
`prices.json` for every priced Region; that engine defaults are supported and class
families are priced; that every priced Region is a known Region; and that each JSON file
is written in the canonical form (2-space indent, sorted keys, trailing newline).
Prints each problem; exits 1 if a hard check fails. Unpriced-but-allowed families (such
as db.r6g) are printed as warnings.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from derive_prices import render  # noqa: E402  (same canonical form as the generator)

DEFAULT_LIBRARY = Path(__file__).resolve().parent.parent / "library"
FILES = ("engines.json", "fargate.json", "prices.json", "regions.json", "sizing.json")


def load(library: Path, name: str) -> dict:
    return json.loads((library / name).read_text(encoding="utf-8"))


def mebibytes(quantity: str) -> int:
    number, unit = quantity[:-2], quantity[-2:]
    return int(number) * {"Mi": 1, "Gi": 1024}[unit]


def cpu_key(cpu: float) -> str:
    return format(cpu, "g")


class PriceIndex:
    def __init__(self, prices: dict) -> None:
        self.regions = prices["regions"]
        self.by_item: dict[tuple[str, str], list[dict]] = {}
        for row in prices["prices"]:
            self.by_item.setdefault((row["service"], row["item"]), []).append(row)

    def missing(self, **attrs: str) -> list[str]:
        """Priced Regions without a row matching every attribute in `attrs`."""
        rows = self.by_item.get((attrs["service"], attrs["item"]), [])
        have = {r["region"] for r in rows if all(r.get(k) == v for k, v in attrs.items())}
        return [region for region in self.regions if region not in have]


def check_format(problems: list[str], library: Path) -> None:
    for name in FILES:
        text = (library / name).read_text(encoding="utf-8")
        data = json.loads(text)
        canonical = render(data) if name == "prices.json" else (
            json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        if text != canonical:
            problems.append(f"{name}: not in canonical form (2-space indent, sorted keys, trailing newline)")


def check_sizing(problems: list[str], prices: PriceIndex, fargate: dict, sizing: dict) -> None:
    limits = sizing["constraints"]
    for name, p in sorted(sizing["profiles"].items()):
        allowed = fargate["memory_mib"].get(cpu_key(p["cpu"]))
        if allowed is None or mebibytes(p["memory"]) not in allowed:
            problems.append(f"sizing {name}: cpu {p['cpu']} / memory {p['memory']} is not a Fargate pair")
        if p["log_retention_days"] not in limits["log_retention_days"]:
            problems.append(f"sizing {name}: log_retention_days {p['log_retention_days']} is not a CloudWatch value")
        for field in ("backup_retention_days", "database_storage_gb"):
            lo, hi = limits[field]["min"], limits[field]["max"]
            if not lo <= p[field] <= hi:
                problems.append(f"sizing {name}: {field} {p[field]} outside {lo}..{hi}")
        if p["nat_gateways"] == "per_az" and p["az_count"] < 2:
            problems.append(f"sizing {name}: per_az NAT with fewer than 2 AZs")
        for lo_hi in ("replicas", "node_count"):
            if not 1 <= p[lo_hi]["min"] <= p[lo_hi]["max"]:
                problems.append(f"sizing {name}: {lo_hi} min/max out of order")
        for desc, attrs in price_needs(p):
            gaps = prices.missing(**attrs)
            if gaps:
                problems.append(f"sizing {name}: no price for {desc} in {', '.join(gaps)}")


def price_needs(p: dict):
    for engine in ("postgres", "mysql"):
        for deployment in ("single-az", "multi-az"):
            yield (f"rds {p['database_class']} {engine} {deployment}",
                   {"service": "rds", "item": p["database_class"], "engine": engine, "deployment": deployment})
            yield (f"rds storage-gp3 {deployment}", {"service": "rds", "item": "storage-gp3", "deployment": deployment})
    yield "rds backup-storage", {"service": "rds", "item": "backup-storage"}
    for engine in ("valkey", "redis"):
        yield (f"elasticache {p['cache_node']} {engine}",
               {"service": "elasticache", "item": p["cache_node"], "engine": engine})
    yield f"ec2 {p['node_instance']}", {"service": "ec2", "item": p["node_instance"]}
    for item in ("nat-gateway", "nat-gateway-data-processed"):
        yield f"vpc {item}", {"service": "vpc", "item": item}
    for arch in ("x86_64", "arm64"):
        for item in ("vcpu", "memory"):
            yield f"fargate {item} {arch}", {"service": "fargate", "item": item, "arch": arch}


def check_engines(problems: list[str], warnings: list[str], prices: PriceIndex, engines: dict) -> None:
    for group in ("databases", "caches"):
        for engine, spec in sorted(engines[group].items()):
            if spec["default"] not in spec["supported"]:
                problems.append(f"engines {engine}: default {spec['default']} not in supported")
            if set(spec["parameter_group_family"]) != set(spec["supported"]):
                problems.append(f"engines {engine}: parameter_group_family keys differ from supported")
    for fam, info in sorted({**engines["instance_families"], **engines["node_families"]}.items()):
        service = "rds" if fam.startswith("db.") else "elasticache"
        if not info["priced_sizes"]:
            warnings.append(f"engines {fam}: allowed but has no rows in prices.json")
        for size in info["priced_sizes"]:
            if prices.missing(service=service, item=f"{fam}.{size}"):
                problems.append(f"engines {fam}.{size}: listed as priced but missing in some Region")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=DEFAULT_LIBRARY)
    library = parser.parse_args(argv).library
    problems: list[str] = []
    warnings: list[str] = []
    prices = PriceIndex(load(library, "prices.json"))
    regions = load(library, "regions.json")["regions"]
    check_format(problems, library)
    check_sizing(problems, prices, load(library, "fargate.json"), load(library, "sizing.json"))
    check_engines(problems, warnings, prices, load(library, "engines.json"))
    problems += [f"prices: Region {r} not in regions.json" for r in prices.regions if r not in regions]
    for w in warnings:
        print(f"warning: {w}")
    for p in problems:
        print(f"error: {p}")
    print(f"{len(problems)} error(s), {len(warnings)} warning(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
