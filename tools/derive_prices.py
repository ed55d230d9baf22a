#!/usr/bin/env python3
"""Derive `library/prices.json` from the shared, cited AWS price table.

Keeps only the rows that infracc's cost estimate needs, unchanged (including `source`
and `key`), plus the table's provenance blocks. Standard library only; deterministic:
the same input gives a byte-identical output.

    python tools/derive_prices.py                      # default input and output
    python tools/derive_prices.py --input aws-prices.json --output /tmp/prices.json

Selection is the `WANTED` table below: one entry per (service, item pattern), with
optional attribute filters. An entry that matches no input row is reported as
"requested but not in the input" (e.g. EC2 m7i, RDS db.r6g, Fargate Spot), so a gap
is printed, never silently dropped.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUT = Path("/work/shared/data/aws-prices.json")
DEFAULT_OUTPUT = ROOT / "library" / "prices.json"

# Top-level blocks copied unchanged from the input.
KEPT_BLOCKS = ("as_of", "currency", "gaps", "hours_per_month", "notes", "regions", "sources", "terms")
# Row identity attributes, in sort order (after service and item).
ATTRIBUTES = ("engine", "deployment", "arch", "support", "edge", "tier", "unit")

# (label, service, full-match item regex, {attribute: allowed values}); label names the need.
WANTED: tuple[tuple[str, str, str, dict[str, tuple[str, ...]]], ...] = (
    ("Fargate vCPU-hour and GB-hour, x86_64 and arm64", "fargate", r"vcpu|memory", {}),
    ("Fargate Spot vCPU/GB-hour", "fargate", r"(vcpu|memory)-spot|spot-.*", {}),
    ("EC2 node hours: t4g, t3, m7g, m6i, c7g", "ec2", r"(t4g|t3|m7g|m6i|c7g)\.[a-z0-9]+", {}),
    ("EC2 node hours: m7i", "ec2", r"m7i\.[a-z0-9]+", {}),
    ("EKS cluster hour (standard support)", "eks", r"cluster", {}),
    ("RDS instance hours: t4g, t3, m7g, m6i, r7g", "rds", r"db\.(t4g|t3|m7g|m6i|r7g)\.[a-z0-9]+",
     {"engine": ("postgres", "mysql"), "deployment": ("single-az", "multi-az")}),
    ("RDS instance hours: r6g", "rds", r"db\.r6g\.[a-z0-9]+", {"engine": ("postgres", "mysql")}),
    ("RDS gp2/gp3 storage GB-month", "rds", r"storage-gp2|storage-gp3", {}),
    ("RDS backup storage", "rds", r"backup-storage", {}),
    ("ElastiCache node hours: t4g, m7g, r7g", "elasticache", r"cache\.(t4g|m7g|r7g)\.[a-z0-9]+",
     {"engine": ("valkey", "redis")}),
    ("NAT gateway hour and GB processed", "vpc", r"nat-gateway|nat-gateway-data-processed", {}),
    ("Public IPv4 address hour (NAT gateway EIP, ALB addresses)", "vpc", r"public-ipv4-address", {}),
    ("ALB hour and LCU-hour", "elb", r"alb|alb-lcu", {}),
    ("S3 standard, IA and Glacier storage", "s3",
     r"standard-storage|standard-ia-storage|glacier-.*storage", {}),
    ("S3 requests", "s3", r"standard-get-requests|standard-put-copy-post-list-requests", {}),
    ("SQS requests", "sqs", r"standard-requests|fifo-requests", {}),
    ("Lambda GB-second and requests", "lambda", r"duration|requests", {"arch": ("x86_64", "arm64")}),
    ("CloudFront transfer and requests", "cloudfront", r"data-transfer-out|https?-requests", {}),
    ("Route 53 hosted zone", "route53", r"hosted-zone", {}),
    ("Secrets Manager secret", "secretsmanager", r"secret", {}),
    ("KMS customer-managed key", "kms", r"customer-managed-key", {}),
    ("CloudWatch Logs ingest and storage, alarms", "cloudwatch",
     r"logs-ingestion|logs-storage|alarm-standard-resolution", {}),
    ("Data transfer out to the internet", "data-transfer", r"out-to-internet", {}),
    ("VPC interface endpoint hour and GB", "vpc", r"interface-endpoint|interface-endpoint-data-processed", {}),
    ("WAF web ACL, rule and requests", "waf", r".*", {}),
    ("API Gateway HTTP API requests", "apigateway", r"http-api-requests", {}),
    ("CloudTrail", "cloudtrail", r".*", {}),
    ("EBS gp3 GB-month", "ebs", r"gp3", {}),
    ("EBS gp2 GB-month", "ebs", r"gp2", {}),
    ("EBS snapshot storage", "ebs", r"snapshot-storage", {}),
    ("AWS Backup S3 warm storage", "backup", r"s3-warm-storage", {}),
    ("RDS Extended Support vCPU-hour", "rds", r"extended-support-.*", {}),
    ("RDS 1-year No Upfront reserved instance hours", "rds",
     r"db\.(t4g|t3|m7g|m6i|r7g|r6g)\.[a-z0-9]+-reserved-1y-no-upfront",
     {"engine": ("postgres", "mysql"), "deployment": ("single-az", "multi-az")}),
    ("EventBridge Scheduler invocations", "eventbridge", r"scheduler-invocations", {}),
)


def wanted_label(row: dict) -> str | None:
    """The label of the first `WANTED` entry that selects `row`, or None."""
    for label, service, pattern, filters in WANTED:
        if row["service"] != service or not re.fullmatch(pattern, row["item"]):
            continue
        if all(row.get(attr) in allowed for attr, allowed in filters.items()):
            return label
    return None


def sort_key(row: dict) -> tuple[str, ...]:
    return (row["service"], row["item"], *(row.get(a, "") for a in ATTRIBUTES), row["region"])


def render(table: dict) -> str:
    """2-space JSON with sorted keys, one price row per line (small diffs), trailing newline."""
    head = {k: v for k, v in table.items() if k != "prices"}
    lines = ["{"]
    for key in sorted(head):
        body = json.dumps(head[key], indent=2, sort_keys=True, ensure_ascii=False)
        lines.append(f"  {json.dumps(key)}: {body.replace(chr(10), chr(10) + '  ')},")
    lines.append('  "prices": [')
    rows = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in table["prices"]]
    lines.append(",\n".join(f"    {r}" for r in rows))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"


def derive(source: dict) -> tuple[dict, Counter, Counter]:
    kept, used, dropped = [], Counter(), Counter()
    for row in source["prices"]:
        label = wanted_label(row)
        if label is None:
            dropped[f"{row['service']} {row['item']}"] += 1
        else:
            kept.append(row)
            used[label] += 1
    kept.sort(key=sort_key)
    keys = [sort_key(r) for r in kept]
    if len(set(keys)) != len(keys):
        raise SystemExit("duplicate row identity in the input")
    table = {k: source[k] for k in KEPT_BLOCKS if k in source}
    table["derivation"] = {
        "script": "tools/derive_prices.py",
        "input": "aws-prices.json (see library/prices.README.md)",
        "rows_in": len(source["prices"]),
        "rows_kept": len(kept),
        "requested_but_absent": sorted(lbl for lbl, *_ in WANTED if used[lbl] == 0),
        "dropped_items": sorted(dropped),
    }
    table["prices"] = kept
    return table, used, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    source = json.loads(args.input.read_text(encoding="utf-8"))
    table, used, dropped = derive(source)
    args.output.write_text(render(table), encoding="utf-8")

    print(f"kept {len(table['prices'])} of {len(source['prices'])} rows -> {args.output}")
    for label, *_ in WANTED:
        print(f"  {used[label]:5d}  {label}" + ("   <- NOT IN INPUT" if used[label] == 0 else ""))
    print("dropped (not needed by the cost estimate):")
    for item, count in sorted(dropped.items()):
        print(f"  {count:5d}  {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
