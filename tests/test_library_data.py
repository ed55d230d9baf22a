"""Library tables load fast and stay validated: lookups validate only the rows they return,
so every row is validated here."""
from __future__ import annotations

import json
from pathlib import Path

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
