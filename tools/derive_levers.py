"""Derive library/levers.json: the facts the cost levers use, each with its source.

- `reserved`: the RDS 1-year No Upfront reserved-instance rows of the shared price table
  (aws-prices.json, rows `rds <class>-reserved-1y-no-upfront`), copied unchanged: service,
  item, engine, deployment, unit, region, usd, source and key.
- `savings_plans`, `timezones`, `schedule`: written here, with their sources.

    python tools/derive_levers.py [--input /work/shared/data/aws-prices.json] [--output library/levers.json]

Deterministic: sorted rows, sorted keys, one row per line.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUFFIX = "-reserved-1y-no-upfront"
ENGINES = ("postgres", "mysql")

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
        "discount": "reserved nodes are billed below on-demand; the price table has no reserved-node rows",
        "source": "AWS, ElastiCache reserved nodes, https://docs.aws.amazon.com/AmazonElastiCache/latest/dg/CacheNodes.Reserved.html",
        "why_not_counted": "aws-prices.json has no ElastiCache reserved-node rows.",
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


def derive(table: dict[str, Any]) -> dict[str, Any]:
    rows = [r for r in table["prices"]
            if r["service"] == "rds" and r["item"].endswith(SUFFIX) and r.get("engine") in ENGINES]
    rows.sort(key=lambda r: (r["item"], r["engine"], r["deployment"], r["region"]))
    return {
        "as_of": table["as_of"],
        "derivation": {"input": "aws-prices.json (shared price table)", "rows": len(rows), "script": "tools/derive_levers.py"},
        "hours_per_month": table["hours_per_month"],
        "reserved": rows,
        "reserved_terms": "1-year No Upfront RDS reserved instances: the hourly rate, billed every hour of the term "
                          "whether the instance runs or not (aws-prices.json `notes`).",
        "savings_plans": SAVINGS_PLANS,
        "schedule": SCHEDULE,
        "sources": {"E": _source_e(table["sources"]["E"], rows)},
        "timezones": TIMEZONES,
    }


def _source_e(source: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    used = {r["source"].split(":", 1)[1] for r in rows}
    return {**{k: v for k, v in source.items() if k != "files"},
            "files": {f: meta for f, meta in sorted(source["files"].items()) if f in used}}


def dump(data: dict[str, Any]) -> str:
    rows = data.pop("reserved")
    text = json.dumps(data, indent=2, sort_keys=True)
    body = ",\n".join("    " + json.dumps(r, sort_keys=True) for r in rows)
    return text[:-2] + ',\n  "reserved": [\n' + body + "\n  ]\n}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", default="/work/shared/data/aws-prices.json")
    parser.add_argument("--output", default=str(ROOT / "library" / "levers.json"))
    args = parser.parse_args()
    data = derive(json.loads(Path(args.input).read_text()))
    count = len(data["reserved"])
    Path(args.output).write_text(dump(data))
    print(f"{count} reserved rows -> {args.output}")


if __name__ == "__main__":
    main()
