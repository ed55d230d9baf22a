"""The libyaml reader (compiler/yaml12.py) against the round-trip reader it replaced (ruamel,
YAML 1.2), on every YAML file the project has, generated specs and hand-picked scalars: the same
plain data, the same position for every path (value and key), the same diagnostics codes.

ruamel stays a dependency (importers, manifest checks), so it is the reference here.
"""
from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar

from infracc.compiler import loader

FILES = sorted([*ROOT.glob("examples/**/*.yaml"), *(ROOT / "tests" / "invalid").glob("*.yaml"),
                *(ROOT / "tests" / "regressions").glob("*.yaml"), *(ROOT / "tests" / "data" / "import-cases").rglob("*.yml"),
                *(ROOT / "tests" / "data" / "import-cases").rglob("*.yaml"), *(ROOT / "library" / "patterns").rglob("*.yaml")])

SCALARS = ["yes", "no", "on", "off", "y", "n", "True", "TRUE", "true", "False", "0o17", "0x1F", "0x1f", "017", "0",
           "-0", "+12", "1_000", "0b101", "1e3", "1.5e-3", "3.", ".5", "-.inf", ".Inf", ".NaN", ".nan", "~", "null",
           "Null", "NULL", "", "2024-01-01", "2024-1-2 10:00:00", "2024-01-01T10:00:00Z",
           "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", '"1.0"', "'yes'", "!!str 12", "!!int '7'",
           "!!float '2'", "!!bool 'true'", "1:30", "190:20:30", "12:30:00", "0.1.2", "1e", "0x", "+", "-", ".",
           "<<", "=", "${db.url}", "'${x}'", "a: b", "[1, 2]", "{a: 1}", "|\n  text\n  more", ">-\n  folded\n  line"]


def _reference(text: str) -> tuple[object, CommentedMap | CommentedSeq | None] | str:
    """What the ruamel round-trip reader gave (data via the old `_plain` rules), or the kind of error."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        tree = yaml.load(text)
    except Exception as exc:  # noqa: BLE001 - the kind is what is compared
        return "duplicate" if "duplicate key" in str(exc).lower() else "syntax"
    return _plain(tree), tree


def _plain(node: object) -> object:
    if isinstance(node, CommentedMap):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, CommentedSeq):
        return [_plain(v) for v in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, datetime | date):
        return node.isoformat()
    if isinstance(node, TaggedScalar):  # `!!str 12`, `!Ref x`: ruamel keeps the tag; the text is the value
        return str(node.value)
    return node


def _ref_locate(tree: object, path: tuple[object, ...], key: bool) -> tuple[int, int] | None:
    """The old SourceMap.locate over the ruamel tree."""
    node = tree
    if not isinstance(node, CommentedMap | CommentedSeq):
        return (1, 1)
    pos = (node.lc.line, node.lc.col)
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, CommentedMap) and part in node and part in node.lc.data:
            block = isinstance(node[part], CommentedMap) and node.lc.value(part)[0] != node.lc.key(part)[0]
            pos = node.lc.key(part) if (key and last) or (last and block) else node.lc.value(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            pos = node.lc.item(part)
            node = node[part]
        else:
            break
        if pos is None:  # ruamel keeps no position inside a tagged collection (`!Sub [..]`)
            return None
    return (pos[0] + 1, pos[1] + 1)


def _paths(data: object, prefix: tuple[object, ...] = ()) -> list[tuple[tuple[object, ...], object]]:
    out: list[tuple[tuple[object, ...], object]] = [(prefix, data)]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def _check(text: str) -> None:
    got = loader.load_text(text)
    if any(d.code == "IC-YAML-005" for d in got.diagnostics):
        return  # the reference would expand the aliases without a budget (a "billion laughs")
    ref = _reference(text)
    if isinstance(ref, str):
        codes = {d.code for d in got.diagnostics}
        assert codes & ({"IC-YAML-002"} if ref == "duplicate" else {"IC-YAML-001", "IC-YAML-002"}), (ref, codes)
        return
    data, tree = ref
    if not isinstance(data, dict):
        assert got.data is None
        return
    assert got.data is not None and _same(got.data, data)
    merged = any("<<" in line for line in text.splitlines())
    for path, value in _paths(data):
        if merged:  # ruamel has no position of its own for a merged key; ours is the anchor's
            continue
        # An empty value (`key:` and nothing): ruamel gives the next token's position (often the
        # next line), libyaml the end of the key, on the key's own line: the better place.
        for key in (False, True) if value is not None else (True,):
            want = _ref_locate(tree, path, key)
            if want is not None:
                assert got.source.locate(path, key=key) == want, (path, key)


@pytest.mark.parametrize("file", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_project_yaml_reads_the_same(file: Path) -> None:
    _check(file.read_text())


@pytest.mark.parametrize("value", SCALARS)
def test_scalars_read_the_same(value: str) -> None:
    indented = value.replace("\n", "\n  ")
    _check(f"infracc: 1\nname: shop\nv: {indented}\nl:\n  - {indented}\n")


def test_merge_keys_and_their_positions() -> None:
    text = ("base: &b\n  image: x\n  port: 80\nother: &o\n  port: 81\n  cpu: 1\n"
            "svc:\n  <<: [*b, *o]\n  port: 9000\n")
    got = loader.load_text(text)
    assert got.data == {"base": {"image": "x", "port": 80}, "other": {"port": 81, "cpu": 1},
                        "svc": {"port": 9000, "image": "x", "cpu": 1}}
    assert got.source.locate(("svc", "image")) == (2, 10)  # where the anchor wrote it
    assert got.source.locate(("svc", "cpu")) == (6, 8)
    assert got.source.locate(("svc", "port")) == (9, 9)
    ref = _reference(text)
    assert not isinstance(ref, str) and _same(got.data, ref[0])


def test_duplicate_key_is_reported_where_it_repeats() -> None:
    got = loader.load_text("infracc: 1\nname: a\nservices:\n  api: {image: x}\n  api: {image: y}\n")
    assert [(d.code, d.position) for d in got.diagnostics] == [("IC-YAML-002", (5, 3))]
    assert "`api`" in got.diagnostics[0].message


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st_stack=__import__("specgen").stacks())
def test_generated_specs_read_the_same(st_stack) -> None:
    _check(st_stack.yaml())
