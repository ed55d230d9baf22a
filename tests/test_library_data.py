"""Library tables load fast and stay validated: lookups validate only the rows they return,
so every row is validated here."""
from __future__ import annotations

import json
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from infracc.compiler import library_data as lib

ROOT = Path(__file__).resolve().parent.parent


def test_every_price_row_validates() -> None:
    rows = json.loads((ROOT / "library" / "prices.json").read_text(encoding="utf-8"))["prices"]
    index = lib._price_index()
    assert len(index) == len({lib._price_key(r) for r in rows}) > 1000
    for row in rows:
        assert lib.Price.model_validate(row)


def test_lookup_returns_the_validated_row_once() -> None:
    first = lib.price("fargate", "vcpu", "eu-west-1", arch="arm64")
    assert first is not None and isinstance(first, lib.Price)
    assert lib.price("fargate", "vcpu", "eu-west-1", arch="arm64") is first
    assert lib._price_index()[lib._price_key(first.model_dump(exclude_none=True))] is first


def test_missing_price_is_none_never_zero() -> None:
    assert lib.price("fargate", "vcpu", "nowhere-1") is None


# Rows read from the shared table's source Q directly (tools/derive_prices.py `Q_EXTRA`), stated
# here independently: (service, item) -> (unit, processed file, metric key, tier).
Q = "a6645eb2e53e9399396a714cdc4f3c346c7f06c0"
Q_CLONE = Path("/work/.mirror/QuinnyPig+aws-price-watcher/repo")
SOURCE_Q_ROWS = {
    ("dynamodb", "write-request-units"): ("1M write request units", "dynamodb", "PayPerRequest Write Request Units", None),
    ("dynamodb", "read-request-units"): ("1M read request units", "dynamodb", "PayPerRequest Read Request Units", None),
    ("dynamodb", "provisioned-write-capacity-unit"): ("WCU-hour", "dynamodb", "Provisioned Write Units", None),
    ("dynamodb", "provisioned-read-capacity-unit"): ("RCU-hour", "dynamodb", "Provisioned Read Units", None),
    ("dynamodb", "standard-storage"): ("GB-month", "dynamodb", "Data Storage Indexed GB-Mo", None),
    ("dynamodb", "pitr-storage"): ("GB-month", "dynamodb", "PITR Backup Storage GB-Mo", None),
    ("dynamodb", "backup-storage"): ("GB-month", "dynamodb", "On-Demand Backup Storage GB-Month", None),
    ("efs", "standard-storage"): ("GB-month", "efs", "General Purpose Storage GB Mo", None),
    ("efs", "ia-storage"): ("GB-month", "efs", "Infrequent Access ET Storage GB Mo", None),
    ("efs", "one-zone-storage"): ("GB-month", "efs", "One Zone General Purpose Storage GB Mo", None),
    ("efs", "elastic-throughput-read"): ("GB", "efs", "EFS Storage Requests Read per GB", None),
    ("efs", "elastic-throughput-write"): ("GB", "efs", "EFS Storage Requests Write per GB", None),
    ("xray", "traces-stored"): ("1M traces", "xray", "Traces Stored", None),
    ("xray", "traces-retrieved"): ("1M traces", "xray", "Traces Retrieved", None),
    ("config", "configuration-items"): ("1k configuration items", "config", "Config", None),
    ("config", "rule-evaluations"): ("1k evaluations", "config", "Config Rules first 100000", "first-100k"),
    ("config", "conformance-pack-evaluations"): ("1k evaluations", "config", "Config Conformance Packs first 100000",
                                                 "first-100k"),
}
# AWS price-list location names of the priced Regions (the keys of a price in a Q metric).
LOCATION = {"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-2": "US West (Oregon)",
            "ca-central-1": "Canada (Central)", "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)",
            "eu-west-2": "EU (London)", "eu-north-1": "EU (Stockholm)", "ap-southeast-2": "Asia Pacific (Sydney)",
            "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-south-1": "Asia Pacific (Mumbai)",
            "sa-east-1": "South America (Sao Paulo)"}
PER = {"1M write request units": 10**6, "1M read request units": 10**6, "1M traces": 10**6,
       "1k configuration items": 10**3, "1k evaluations": 10**3}


_Q_FILES: dict[str, dict] = {}


def _source_q_value(table: dict, path: str, key: str, region: str) -> str:
    """The price string of `key` in `region` of Q's `path`: from the clone when present, else from
    the derivation's record of what it read."""
    if not (Q_CLONE / "HEAD").exists():
        return str(table["derivation"]["q_extra"]["read"][path][key][region])
    if path not in _Q_FILES:
        _Q_FILES[path] = json.loads(subprocess.run(["git", "-C", str(Q_CLONE), "show", f"{Q}:{path}"], check=True,
                                                   capture_output=True, text=True).stdout)
    return str(_Q_FILES[path][key][LOCATION[region]])


def test_source_q_rows_equal_the_source_in_every_region() -> None:
    table = json.loads((ROOT / "library" / "prices.json").read_text(encoding="utf-8"))
    regions = [r for r in table["regions"] if r != "global"]
    assert regions == list(LOCATION)
    rows = [r for r in table["prices"] if (r["service"], r["item"]) in SOURCE_Q_ROWS]
    identities = [(r["service"], r["item"], r.get("tier"), r["region"]) for r in rows]
    assert len(identities) == len(set(identities))
    assert sorted(identities) == sorted((s, i, tier, region) for (s, i), (_, _, _, tier) in SOURCE_Q_ROWS.items()
                                        for region in regions)
    for row in rows:
        unit, name, key, _ = SOURCE_Q_ROWS[row["service"], row["item"]]
        path = f"processed/{name}.json"
        assert (row["unit"], row["source"], row["key"]) == (unit, f"Q:{path}", key), row
        raw = _source_q_value(table, path, key, row["region"])
        assert row["usd"] == float(Decimal(raw) * PER.get(unit, 1)), (row, raw)
        assert row["usd"] > 0, row
    dates = table["sources"]["Q"]["files"]
    assert {f"processed/{name}.json" for _, name, _, _ in SOURCE_Q_ROWS.values()} <= set(dates)


def test_source_q_rows_match_aws_published_us_east_1_prices() -> None:
    """us-east-1 figures on AWS's pricing pages (DynamoDB on-demand after the 2024-11-01 cut:
    https://aws.amazon.com/dynamodb/pricing/on-demand/; EFS https://aws.amazon.com/efs/pricing/;
    X-Ray https://aws.amazon.com/xray/pricing/; Config https://aws.amazon.com/config/pricing/)."""
    published = {("dynamodb", "write-request-units"): 0.625, ("dynamodb", "read-request-units"): 0.125,
                 ("dynamodb", "provisioned-write-capacity-unit"): 0.00065,
                 ("dynamodb", "provisioned-read-capacity-unit"): 0.00013, ("dynamodb", "standard-storage"): 0.25,
                 ("dynamodb", "pitr-storage"): 0.20, ("dynamodb", "backup-storage"): 0.10,
                 ("efs", "standard-storage"): 0.30, ("efs", "ia-storage"): 0.016, ("efs", "one-zone-storage"): 0.16,
                 ("efs", "elastic-throughput-read"): 0.03, ("efs", "elastic-throughput-write"): 0.06,
                 ("xray", "traces-stored"): 5.0, ("xray", "traces-retrieved"): 0.5,
                 ("config", "configuration-items"): 3.0, ("config", "rule-evaluations"): 1.0,
                 ("config", "conformance-pack-evaluations"): 1.0, ("elb", "nlb"): 0.0225, ("elb", "nlb-lcu"): 0.006}
    for (service, item), usd in published.items():
        row = lib.price(service, item, "us-east-1")
        assert row is not None and row.usd == usd, (service, item, row)


def test_nlb_rows_are_the_shared_tables() -> None:
    table = json.loads((ROOT / "library" / "prices.json").read_text(encoding="utf-8"))
    mine = {(r["item"], r["region"]): r for r in table["prices"] if r["service"] == "elb" and r["item"].startswith("nlb")}
    assert len(mine) == 24
    shared = Path("/work/shared/data/aws-prices.json")
    if shared.exists():
        theirs = {(r["item"], r["region"]): r for r in json.loads(shared.read_text(encoding="utf-8"))["prices"]
                  if r["service"] == "elb" and r["item"].startswith("nlb")}
        assert mine == theirs


def test_split_price_tables_are_up_to_date() -> None:
    """library/split/ is what `python -m infracc.compiler.library_split` writes (make schema)."""
    from infracc.compiler import library_split

    fresh = library_split.build()
    root = ROOT / "library"
    committed = {f"{library_split.DIR}/{p.name}": p.read_text(encoding="utf-8")
                 for p in (root / library_split.DIR).glob("*.json")}
    assert committed == fresh, "library/split/ is stale: run `make schema` and commit it"
    assert library_split.in_use()


def test_split_rows_equal_the_source_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from infracc.compiler import library_split

    split = {(name, key, region): list(library_split.region_rows(name, key, region))
             for name, keys in library_split.SPLIT.items() for key in keys
             for region in library_split.regions(name)}
    meta = {name: library_split.table_meta(name) for name in library_split.SPLIT}
    monkeypatch.setattr(library_split, "_meta", lambda: None)  # as with a stale split: the sources
    source = {(name, key, region): library_split.region_rows(name, key, region)
              for name, keys in library_split.SPLIT.items() for key in keys
              for region in library_split.regions(name)}
    assert split == source
    assert sum(len(rows) for rows in source.values()) > 5000
    assert meta == {name: library_split.table_meta(name) for name in library_split.SPLIT}
    assert library_split.region_rows("prices.json", "prices", "../../etc/passwd") == []


def test_a_stale_split_is_not_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from infracc.compiler import library_split

    lib = tmp_path / "library"
    (lib / library_split.DIR).mkdir(parents=True)
    for name in library_split.SPLIT:
        (lib / name).write_bytes((ROOT / "library" / name).read_bytes())
    for p in (ROOT / "library" / library_split.DIR).glob("*.json"):
        (lib / library_split.DIR / p.name).write_bytes(p.read_bytes())
    monkeypatch.setattr(library_split, "_library", lambda: lib)
    library_split._meta.cache_clear()
    try:
        assert library_split.in_use()
        (lib / "prices.json").write_text((ROOT / "library" / "prices.json").read_text(encoding="utf-8") + " ")
        library_split._meta.cache_clear()
        assert not library_split.in_use()
    finally:
        library_split._meta.cache_clear()
