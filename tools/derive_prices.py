#!/usr/bin/env python3
"""Derive `library/prices.json` from the shared, cited AWS price table.

Keeps only the rows that infracc's cost estimate needs, unchanged (including `source`
and `key`), plus the table's provenance blocks. Standard library only; deterministic:
the same input gives a byte-identical output.

    python tools/derive_prices.py                      # default input and output
    python tools/derive_prices.py --input aws-prices.json --output /tmp/prices.json

Selection is the `WANTED` table below: one entry per (service, item pattern), with
optional attribute filters. An entry that matches no input row is reported as
"requested but not in the input" (e.g. EC2 m7i, Fargate Spot), so a gap is printed,
never silently dropped.

Services the shared table lacks (DynamoDB, EFS, X-Ray, AWS Config) are
read from its source Q itself, QuinnyPig/aws-price-watcher at the table's commit, by the
`Q_EXTRA` table below (`--quinnypig GIT_DIR`, a clone read with `git show <commit>:<path>`):
each row is the metric `key` of `processed/<file>.json` at the Region's AWS price-list
location name, scaled exactly to its unit. Without the clone, the Q_EXTRA rows (and their
record, `derivation.q_extra`) already in the output are kept. Before reading them, every
regional row the shared table took from Q is read again from the clone at the same
location names and must be equal, which proves the location names and the unit scaling.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INPUT = Path("/work/shared/data/aws-prices.json")
DEFAULT_OUTPUT = ROOT / "library" / "prices.json"
DEFAULT_QUINNYPIG = Path("/work/.mirror/QuinnyPig+aws-price-watcher/repo")

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
    ("NLB hour and LCU-hour", "elb", r"nlb|nlb-lcu", {}),
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


# AWS price-list `location` name of each priced Region: the key of a Region's price in a Q
# `processed/<file>.json` metric. It is library/regions.json's botocore description except that
# the price list writes "EU (...)" for "Europe (...)"; `verify_q_locations` re-reads every
# regional Q row of the shared table through these names.
LOCATIONS = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)", "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)",
    "eu-west-2": "EU (London)", "eu-north-1": "EU (Stockholm)", "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-south-1": "Asia Pacific (Mumbai)",
    "sa-east-1": "South America (Sao Paulo)",
}

# Exact decimal scaling of a per-count source price to the row's unit (aws-prices.json `notes`):
# a unit starting with one of these counts is the per-unit source price times the count.
COUNTS = {"1k ": 10**3, "10k ": 10**4, "100k ": 10**5, "1M ": 10**6}

# Rows read from Q directly: (service, item, unit, processed file, metric key, {attribute: value}).
# Keys rejected on purpose (see library/prices.README.md): DynamoDB "... Free Tier" (zero-priced
# free-tier rate codes), "... IA" (the Standard-Infrequent Access table class), "... Replicated ..."
# (global-table replica writes) and the "1yr/3yr" reserved-capacity keys; EFS "Infrequent Access
# Storage GB Mo" (IA under Bursting/Provisioned throughput; the row is the Elastic Throughput
# rate, "IATimedStorage-ET"); X-Ray "Traces Scanned" (same rate as retrieved) and "Traces Stored
# Insights"; Config "Config Custom" (third-party resource types) and
# "configurationItemRecordedDaily" (periodic recording). Backup `efs-warm-storage` is the generic
# "Backup Storage Warm per GB-month": the standard-vault warm rate of the resource type AWS Backup
# started with, EFS. Every other warm type has its own key (S3, DDB, VMware, SAP HANA, Timestream;
# EBS and RDS are billed as their services' snapshots), the EFS-only restore keys ("Warm Backup
# Restore Data Size EFS per GB") sit beside it, and its us-east-1 value is the $0.05/GB-month AWS
# publishes for EFS warm backup storage (aws.amazon.com/backup/pricing); "Storage EFS Warm
# LAGVault" is the logically air-gapped vault's, not taken.
Q_EXTRA: tuple[tuple[str, str, str, str, str, dict[str, str]], ...] = (
    ("dynamodb", "write-request-units", "1M write request units", "dynamodb", "PayPerRequest Write Request Units", {}),
    ("dynamodb", "read-request-units", "1M read request units", "dynamodb", "PayPerRequest Read Request Units", {}),
    ("dynamodb", "provisioned-write-capacity-unit", "WCU-hour", "dynamodb", "Provisioned Write Units", {}),
    ("dynamodb", "provisioned-read-capacity-unit", "RCU-hour", "dynamodb", "Provisioned Read Units", {}),
    ("dynamodb", "standard-storage", "GB-month", "dynamodb", "Data Storage Indexed GB-Mo", {}),
    ("dynamodb", "pitr-storage", "GB-month", "dynamodb", "PITR Backup Storage GB-Mo", {}),
    ("dynamodb", "backup-storage", "GB-month", "dynamodb", "On-Demand Backup Storage GB-Month", {}),
    ("efs", "standard-storage", "GB-month", "efs", "General Purpose Storage GB Mo", {}),
    ("efs", "ia-storage", "GB-month", "efs", "Infrequent Access ET Storage GB Mo", {}),
    ("efs", "one-zone-storage", "GB-month", "efs", "One Zone General Purpose Storage GB Mo", {}),
    ("efs", "elastic-throughput-read", "GB", "efs", "EFS Storage Requests Read per GB", {}),
    ("efs", "elastic-throughput-write", "GB", "efs", "EFS Storage Requests Write per GB", {}),
    ("backup", "efs-warm-storage", "GB-month", "backup", "Backup Storage Warm per GB-month", {}),
    ("xray", "traces-stored", "1M traces", "xray", "Traces Stored", {}),
    ("xray", "traces-retrieved", "1M traces", "xray", "Traces Retrieved", {}),
    ("config", "configuration-items", "1k configuration items", "config", "Config", {}),
    ("config", "rule-evaluations", "1k evaluations", "config", "Config Rules first 100000", {"tier": "first-100k"}),
    ("config", "conformance-pack-evaluations", "1k evaluations", "config", "Config Conformance Packs first 100000",
     {"tier": "first-100k"}),
)


def scale(unit: str) -> int:
    return next((n for prefix, n in COUNTS.items() if unit.startswith(prefix)), 1)


class QuinnyPig:
    """processed/<file>.json of a QuinnyPig/aws-price-watcher clone at one commit."""

    def __init__(self, git_dir: Path, commit: str) -> None:
        self.git_dir, self.commit = git_dir, commit
        self._files: dict[str, dict[str, Any]] = {}

    def _git(self, *args: str) -> str:
        return subprocess.run(["git", "-C", str(self.git_dir), *args], check=True, capture_output=True,
                              text=True).stdout

    def processed(self, path: str) -> dict[str, Any]:
        if path not in self._files:
            self._files[path] = json.loads(self._git("show", f"{self.commit}:{path}"))
        return self._files[path]

    def last_changed(self, path: str) -> str:
        return self._git("log", "-1", "--format=%cI", self.commit, "--", path).strip()[:10]


def q_value(q: QuinnyPig, path: str, key: str, region: str) -> str | None:
    """The source's price string of `key` in `region`, or None when the file has none there."""
    value = q.processed(path).get(key, {}).get(LOCATIONS[region])
    return value if isinstance(value, str) else None


def verify_q_locations(q: QuinnyPig, source: dict) -> tuple[int, int]:
    """Re-read every regional row the shared table took from Q at its location name (tiered
    metrics name the location with a "(StartingRange: ...)" suffix): a different value refuses
    the derivation. Returns (rows equal, rows whose key has no such location name)."""
    equal = unreadable = 0
    for row in source["prices"]:
        letter, _, path = row["source"].partition(":")
        if letter != "Q" or row["region"] not in LOCATIONS:
            continue
        name = LOCATIONS[row["region"]]
        values = {v for loc, v in q.processed(path).get(row["key"], {}).items()
                  if isinstance(v, str) and (loc == name or loc.startswith(f"{name} (StartingRange"))}
        if not values:
            unreadable += 1
            continue
        if not any(float(Decimal(v) * scale(row["unit"])) == row["usd"] for v in values):
            raise SystemExit(f"{path} [{row['key']}] at {name}: {sorted(values)} does not give the shared "
                             f"table's {row['region']} {row['usd']} per {row['unit']}")
        equal += 1
    return equal, unreadable


def q_extra_rows(q: QuinnyPig, regions: list[str]) -> tuple[list[dict], dict, list[str]]:
    """The Q_EXTRA rows for `regions`, their record (files, dates, the values read) and the gaps."""
    rows, read, files, absent = [], {}, {}, []
    for service, item, unit, name, key, attrs in Q_EXTRA:
        path = f"processed/{name}.json"
        files[path] = {"last_changed": q.last_changed(path)}
        for region in regions:
            raw = q_value(q, path, key, region)
            if raw is None:
                absent.append(f"{service} {item} in {region} ({path} [{key}])")
                continue
            read.setdefault(path, {}).setdefault(key, {})[region] = raw
            rows.append({"service": service, "item": item, **attrs, "unit": unit, "region": region,
                         "usd": float(Decimal(raw) * scale(unit)), "source": f"Q:{path}", "key": key})
    record = {"commit": q.commit, "files": files, "read": read,
              "scaling": "usd = the value read x the count the unit starts with (1k = 1e3, 1M = 1e6), exact decimal"}
    return rows, record, absent


def is_q_extra(row: dict) -> bool:
    return any(row["service"] == s and row["item"] == i for s, i, *_ in Q_EXTRA)


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


def derive(source: dict, extra: tuple[list[dict], dict, list[str]] | None = None) -> tuple[dict, Counter, Counter]:
    """Select the shared table's rows; add `extra` (Q_EXTRA rows, their record, gaps) when given."""
    kept, used, dropped = [], Counter(), Counter()
    for row in source["prices"]:
        label = wanted_label(row)
        if label is None:
            dropped[f"{row['service']} {row['item']}"] += 1
        else:
            kept.append(row)
            used[label] += 1
    extra_rows, record, absent = extra if extra is not None else ([], None, [])
    kept += extra_rows
    kept.sort(key=sort_key)
    keys = [sort_key(r) for r in kept]
    if len(set(keys)) != len(keys):
        raise SystemExit("duplicate row identity in the input")
    table = json.loads(json.dumps({k: source[k] for k in KEPT_BLOCKS if k in source}))  # a copy
    table["derivation"] = {
        "script": "tools/derive_prices.py",
        "input": "aws-prices.json (see library/prices.README.md)",
        "rows_in": len(source["prices"]),
        "rows_kept": len(kept) - len(extra_rows),
        "requested_but_absent": sorted([lbl for lbl, *_ in WANTED if used[lbl] == 0] + absent),
        "dropped_items": sorted(dropped),
    }
    if record is not None:
        table["derivation"]["q_extra"] = {**record, "rows": len(extra_rows)}
        table["sources"]["Q"]["files"].update(record["files"])
    table["prices"] = kept
    return table, used, dropped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, default=DEFAULT_INPUT)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--quinnypig", type=Path, default=DEFAULT_QUINNYPIG,
                        help="a clone of QuinnyPig/aws-price-watcher (source Q) for the Q_EXTRA rows")
    args = parser.parse_args(argv)

    source = json.loads(args.input.read_text(encoding="utf-8"))
    regions = [r for r in source["regions"] if r != "global"]
    if (args.quinnypig / "HEAD").exists() or (args.quinnypig / ".git").exists():
        q = QuinnyPig(args.quinnypig, source["sources"]["Q"]["commit"])
        equal, unreadable = verify_q_locations(q, source)
        print(f"source Q: {equal} regional rows of the input re-read equal from {args.quinnypig} "
              f"({unreadable} under keys whose locations are named otherwise)")
        extra = q_extra_rows(q, regions)
    elif args.output.exists():  # no clone: keep what the last derivation read
        previous = json.loads(args.output.read_text(encoding="utf-8"))
        record = previous["derivation"].get("q_extra")
        if record is None:
            raise SystemExit(f"no clone of source Q at {args.quinnypig} and no q_extra record in {args.output}")
        print(f"source Q: no clone at {args.quinnypig}; keeping the Q_EXTRA rows of {args.output}")
        extra = ([r for r in previous["prices"] if is_q_extra(r)], {k: v for k, v in record.items() if k != "rows"},
                 [a for a in previous["derivation"]["requested_but_absent"] if " in " in a])
    else:
        raise SystemExit(f"no clone of source Q at {args.quinnypig} (--quinnypig) and no previous {args.output}")
    table, used, dropped = derive(source, extra)
    args.output.write_text(render(table), encoding="utf-8")

    print(f"kept {table['derivation']['rows_kept']} of {len(source['prices'])} rows, "
          f"added {len(extra[0])} from source Q -> {args.output}")
    for label, *_ in WANTED:
        print(f"  {used[label]:5d}  {label}" + ("   <- NOT IN INPUT" if used[label] == 0 else ""))
    print("dropped (not needed by the cost estimate):")
    for item, count in sorted(dropped.items()):
        print(f"  {count:5d}  {item}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
