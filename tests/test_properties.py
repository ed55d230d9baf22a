"""Property tests: whatever the input, the compiler answers with diagnostics, never an exception."""
from __future__ import annotations

import copy

from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from infracc.compiler.pipeline import analyze

_yaml = YAML(typ="safe")
BASE = _yaml.load((ROOT / "examples" / "three-tier" / "stack.yaml").read_text())

scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 100000), st.floats(allow_nan=False, width=32),
                    st.text(max_size=12), st.sampled_from(["db", "cache", "api:read", "${db.url}", "2Gi", "0.5", "0 3 * * *"]))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(BASE) if p]


def _set(tree, path, value):
    node = tree
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _dump(data) -> str:
    import io

    buf = io.StringIO()
    YAML(typ="safe").dump(data, buf)
    return buf.getvalue()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), values)
def test_mutated_example_gives_only_diagnostics(path, value) -> None:
    data = copy.deepcopy(BASE)
    _set(data, path, value)
    result = analyze(text=_dump(data), source_dir=str(ROOT / "examples" / "three-tier"))
    for d in result.diagnostics:
        assert d.code.startswith("IC-") and d.message


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_gives_only_diagnostics(text) -> None:
    result = analyze(text=text)
    assert result.ok or result.diagnostics


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(["infracc", "name", "services", "databases", "environments", "region", "uses"]),
                       values, max_size=5))
def test_arbitrary_documents_give_only_diagnostics(doc) -> None:
    result = analyze(text=_dump(doc))
    assert result.ok or result.diagnostics
