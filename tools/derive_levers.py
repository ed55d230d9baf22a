"""Derive library/levers.json: the facts the cost levers use, each with its source.

- `reserved`: the RDS 1-year No Upfront reserved-instance rows of the shared price table
  (aws-prices.json, rows `rds <class>-reserved-1y-no-upfront`), copied unchanged: service,
  item, engine, deployment, unit, region, usd, source and key.
- `reserved_nodes`: 1-year No Upfront reserved rates for EC2 instances (EKS node groups; Standard
  reserved instances, Linux, shared tenancy) and ElastiCache nodes, read from yeo/ec2.shop (the
  shared table's source E) at the same commit, for each instance or node type and Region the
  shared table prices on demand. The files are raw AWS pricing-page files
  (`meteredUnitMaps/{ec2,elasticache}/USD/current/...reservedinstance...`); each entry carries its
  on-demand rate (`OnDemand:PricePerUnit`), which must equal the shared table's on-demand row
  (EC2: the type; ElastiCache: the Redis OSS row, the engine reserved nodes are priced for), or the
  row is refused.
- `savings_plans`, `timezones`, `schedule`: written here, with their sources.

    python tools/derive_levers.py [--input /work/shared/data/aws-prices.json] [--ec2shop GIT_DIR] [--output library/levers.json]

`--ec2shop` is a clone of https://github.com/yeo/ec2.shop (read with `git show <commit>:<path>`);
without it the `reserved_nodes` rows already in the output are kept.

Deterministic: sorted rows, sorted keys, one row per line.
"""
from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = "-reserved-1y-no-upfront"
ENGINES = ("postgres", "mysql")
EC2SHOP_COMMIT = "74c9fd8ab5acfd9511cd6535f914d47071601ad2"
ELASTICACHE_FAMILIES = {"t4g": "Standard", "m7g": "Standard", "r7g": "Memory optimized"}

TIMEZONES = {
    "source": "Each priced Region's location (library/regions.json `name`, from botocore partitions.json) "
              "mapped to the IANA zone of that city (tz database, https://www.iana.org/time-zones).",
    "zones": {
        "ap-northeast-1": "Asia/Tokyo", "ap-south-1": "Asia/Kolkata", "ap-southeast-2": "Australia/Sydney",
        "ca-central-1": "America/Toronto", "eu-central-1": "Europe/Berlin", "eu-north-1": "Europe/Stockholm",
        "eu-west-1": "Europe/Dublin", "eu-west-2": "Europe/London", "sa-east-1": "America/Sao_Paulo",
        "us-east-1": "America/New_York", "us-east-2": "America/New_York", "us-west-2": "America/Los_Angeles",
    },
}
SAVINGS_PLANS = {
    "compute": {
        "applies_to": "Fargate vCPU/memory, EC2 (EKS nodes) and Lambda duration",
        "discount": "up to 66% off on-demand (the deepest term, 3-year All Upfront; a 1-year No Upfront plan saves less)",
        "source": "AWS, Compute Savings Plans pricing, https://aws.amazon.com/savingsplans/compute-pricing/ "
                  "(\"Compute Savings Plans provide the most flexibility and help to reduce your costs by up to 66%\")",
        "why_not_counted": "aws-prices.json has no Savings Plans rate rows (its `gaps`: no source has a committed, dated "
                           "Compute Savings Plans rate file), so the estimate never counts the discount.",
    },
    "elasticache": {
        "applies_to": "ElastiCache nodes (reserved nodes)",
        "discount": "29–33% off the Redis OSS on-demand rate at 1 year No Upfront (the `reserved_nodes` rows)",
        "source": "AWS, ElastiCache reserved nodes, https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.Reserved.html",
        "why_not_counted": "not bought: set `commitments.caches: reserved-1y-no-upfront` to price the caches at the reserved rate.",
        "valkey": "Reserved nodes are priced for Redis OSS; a reservation of a node type also covers a Valkey node of that "
                  "type, which uses fewer of its normalized units (size-flexible reserved nodes, AWS Database Blog, "
                  "https://aws.amazon.com/blogs/database/new-size-flexibility-for-amazon-elasticache-reserved-nodes/). "
                  "infracc prices a reserved Valkey node at the Redis OSS reserved rate of its type: an upper bound.",
    },
}
SCHEDULE = {
    "default_active": "Mon-Fri 07:00-20:00",
    "hours_per_week": 168,
    "sources": [
        "ECS scheduled scaling (Application Auto Scaling scheduled actions): "
        "https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-scheduled-scaling.html",
        "Stopping an RDS DB instance temporarily (billing stops for instance hours, storage is still billed; "
        "RDS starts a stopped instance after 7 days): https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html",
        "EventBridge Scheduler universal targets (arn:aws:scheduler:::aws-sdk:<service>:<apiAction>): "
        "https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-universal.html",
        "EKS UpdateNodegroupConfig (scalingConfig minSize/desiredSize 0): "
        "https://docs.aws.amazon.com/eks/latest/APIReference/API_UpdateNodegroupConfig.html",
    ],
}


def _show(git_dir: str, path: str) -> Any:
    out = subprocess.run(["git", "--git-dir", git_dir, "show", f"{EC2SHOP_COMMIT}:{path}"],
                         check=True, capture_output=True).stdout
    return json.loads(out)


def _last_changed(git_dir: str, path: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, "log", "-1", "--format=%ad", "--date=short", EC2SHOP_COMMIT,
                           "--", path], check=True, capture_output=True, text=True).stdout.strip()


def reserved_nodes(git_dir: str, table: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """EC2 and ElastiCache 1-year No Upfront rows for the types and Regions priced on demand."""
    ondemand = {(r["service"], r["item"], r.get("engine"), r["region"]): r["usd"] for r in table["prices"]}
    regions = sorted({r["region"] for r in table["prices"] if r["region"] != "global"})
    ec2_types = sorted({r["item"] for r in table["prices"] if r["service"] == "ec2"})
    cache_types = sorted({r["item"] for r in table["prices"] if r["service"] == "elasticache" and r["item"].startswith("cache.")})
    rows: list[dict[str, Any]] = []
    files: dict[str, Any] = {}
    for region in regions:
        path = f"data/ec2/{region}-reservedinstance-1y.json"
        doc = _show(git_dir, path)
        for entries in doc["regions"].values():
            for key, e in entries.items():
                t = e["Instance Type"]
                if (t not in ec2_types or e["Operating System"] != "Linux" or e["Tenancy"] != "Shared"
                        or e["Pre Installed S/W"] != "NA" or e["PurchaseOption"] != "No Upfront" or e["LeaseContractLength"] != "1yr"):
                    continue
                od = ondemand.get(("ec2", t, None, region))
                if od is None or float(e["OnDemand:PricePerUnit"]) != od:
                    raise SystemExit(f"{path} {key}: on-demand {e['OnDemand:PricePerUnit']} != prices.json {od}")
                rows.append({"service": "ec2", "item": t + SUFFIX, "unit": "hour", "region": region,
                             "usd": float(e["price"]), "source": f"E:{path}", "key": key})
                files[path] = {"last_changed": _last_changed(git_dir, path), "aws_published": None}
        for category in sorted(set(ELASTICACHE_FAMILIES.values())):
            path = f"data/elasticache/{quote(f'elasticache-reservedinstance-1 year-No Upfront-{region}-{category}.json')}"
            doc = _show(git_dir, path)
            for entries in doc["regions"].values():
                for key, e in entries.items():
                    t = e["Instance Type"]
                    if t not in cache_types or e["PurchaseOption"] != "No Upfront" or e["LeaseContractLength"] != "1yr":
                        continue
                    od = ondemand.get(("elasticache", t, "redis", region))
                    if od is None or float(e["OnDemand:PricePerUnit"]) != od:
                        raise SystemExit(f"{path} {key}: on-demand {e['OnDemand:PricePerUnit']} != prices.json {od}")
                    rows.append({"service": "elasticache", "item": t + SUFFIX, "engine": "redis", "unit": "hour",
                                 "region": region, "usd": float(e["price"]), "source": f"E:{path}", "key": key})
                    files[path] = {"last_changed": _last_changed(git_dir, path),
                                   "aws_published": doc["manifest"]["hawkFilePublicationDate"][:10]}
    rows.sort(key=lambda r: (r["service"], r["item"], r["region"]))
    return rows, files


def derive(table: dict[str, Any], nodes: tuple[list[dict[str, Any]], dict[str, Any]] | None = None,
           previous: dict[str, Any] | None = None) -> dict[str, Any]:
    rows = [r for r in table["prices"]
            if r["service"] == "rds" and r["item"].endswith(SUFFIX) and r.get("engine") in ENGINES]
    rows.sort(key=lambda r: (r["item"], r["engine"], r["deployment"], r["region"]))
    if nodes is None:  # keep the rows derived before
        prev = previous or {}
        nodes = (prev.get("reserved_nodes", []), prev.get("sources", {}).get("E", {}).get("node_files", {}))
    node_rows, node_files = nodes
    return {
        "as_of": table["as_of"],
        "derivation": {"input": "aws-prices.json (shared price table)", "rows": len(rows), "script": "tools/derive_levers.py"},
        "hours_per_month": table["hours_per_month"],
        "reserved": rows,
        "reserved_nodes": node_rows,
        "reserved_terms": "1-year No Upfront reserved instances (RDS, EC2 Standard) and reserved nodes (ElastiCache): "
                          "the hourly rate, billed every hour of the term whether the instance runs or not "
                          "(aws-prices.json `notes`).",
        "savings_plans": SAVINGS_PLANS,
        "schedule": SCHEDULE,
        "sources": {"E": {**_source_e(table["sources"]["E"], rows), "node_files": node_files}},
        "timezones": TIMEZONES,
    }


def _source_e(source: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    used = {r["source"].split(":", 1)[1] for r in rows}
    return {**{k: v for k, v in source.items() if k != "files"},
            "files": {f: meta for f, meta in sorted(source["files"].items()) if f in used}}


def dump(data: dict[str, Any]) -> str:
    lists = {k: data.pop(k) for k in ("reserved", "reserved_nodes")}
    text = json.dumps(data, indent=2, sort_keys=True)[:-2]
    for name, rows in lists.items():
        body = ",\n".join("    " + json.dumps(r, sort_keys=True) for r in rows)
        text += f',\n  "{name}": [\n' + body + "\n  ]"
    return text + "\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", default="/work/shared/data/aws-prices.json")
    parser.add_argument("--ec2shop", help="git dir of a yeo/ec2.shop clone (EC2 and ElastiCache reserved rows)")
    parser.add_argument("--output", default=str(ROOT / "library" / "levers.json"))
    args = parser.parse_args()
    table = json.loads(Path(args.input).read_text())
    out = Path(args.output)
    previous = json.loads(out.read_text()) if out.exists() else None
    data = derive(table, reserved_nodes(args.ec2shop, table) if args.ec2shop else None, previous)
    count, nodes = len(data["reserved"]), len(data["reserved_nodes"])
    out.write_text(dump(data))
    print(f"{count} RDS reserved rows, {nodes} EC2/ElastiCache reserved rows -> {args.output}")


if __name__ == "__main__":
    main()
