"""`dump_yaml` builds PyYAML's nodes itself (backends/serialize.py, issue #14): the bytes are
those of `yaml.dump(..., Dumper=CSafeDumper)` on the same data, on random data and on every
YAML file the examples and a generated stack produce."""
from __future__ import annotations

import math
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from infracc.backends import serialize
from infracc.backends.serialize import dump_yaml

OPTIONS: dict[str, Any] = {"default_flow_style": False, "sort_keys": True, "allow_unicode": True,
                           "width": 4096, "indent": 2}


def reference(data: Any, header: str | None = None) -> str:
    """What dump_yaml wrote before: PyYAML's representer and resolver, libyaml's emitter."""
    text: str = yaml.dump(serialize._sorted(data), Dumper=yaml.CSafeDumper, **OPTIONS)
    if header:
        text = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines()) + text
    return text


# Text that YAML could read as something else, or must quote or escape.
TRICKY = ["", " ", "yes", "No", "on", "OFF", "null", "~", "Null", "true", "False", "1", "-1", "0o17", "0x1F", "1_000",
          "1e3", "1.5", ".inf", "-.Inf", ".nan", "2024-01-01", "2001-12-14t21:59:43.10-05:00", "12:30", "1:20:30",
          "<<", "=", "-", "- x", "? x", "a: b", "a #b", "#c", "'", '"', "%x", "@x", "`x", "!x", "&a", "*a", "|", ">",
          "{a}", "[a]", "a,b", "multi\nline", "trailing\n", "tab\there", "é", "日本", "\u2028", "\x85", "\x00",
          "${var.x}", "arn:aws:iam::123:role/x", "http://x:80/", "  lead", "trail  ", "0755", "+1", "1.", ".5",
          "x" * 300, "a" * 5000]
scalars = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(TRICKY), st.text(max_size=40))
keys = st.one_of(st.sampled_from(TRICKY), st.text(max_size=20))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.tuples(inner, inner), st.dictionaries(keys, inner, max_size=6)), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(documents)
def test_random_documents_are_the_same_bytes(data: Any) -> None:
    assert dump_yaml(data) == reference(data)


@pytest.mark.parametrize("data", [
    {}, [], {"a": {}}, {"a": []}, [[], {}], {"k": [1, 2.5, 1e17, -0.0, math.inf, -math.inf, True, None]},
    {1: "int key", 2: "x"}, {"shared": [1], "again": [1]}, {"x": {"y": {"z": "deep"}}}, (1, (2, 3)),
])
def test_edge_cases_are_the_same_bytes(data: Any) -> None:
    assert dump_yaml(data, header="generated\n\nby infracc") == reference(data, header="generated\n\nby infracc")


def test_the_same_object_twice_is_written_twice_not_aliased() -> None:
    shared = {"a": [1, 2]}
    assert dump_yaml({"one": shared, "two": shared}) == reference({"one": shared, "two": shared})
    assert "&" not in dump_yaml({"one": shared, "two": shared})


def test_values_the_fast_path_does_not_build_go_through_pyyaml() -> None:
    from collections import OrderedDict

    for data in ({"a": OrderedDict(b=1)}, {"d": b"bytes"}, {"s": {1, 2}}):
        try:
            expected = reference(data)
        except yaml.YAMLError as exc:
            with pytest.raises(type(exc)):
                dump_yaml(data)
        else:
            assert dump_yaml(data) == expected


def test_every_generated_yaml_file_is_the_same_bytes() -> None:
    from conftest import ROOT

    from infracc.compiler.pipeline import analyze, emit

    seen = 0
    for example in sorted((ROOT / "examples").glob("*/stack.yaml")):
        result = analyze(example)
        emit(result, ["kubernetes", "helm", "compose", "ci"])
        for path, text in result.files.items():
            if path.suffix not in (".yaml", ".yml") or "templates" in path.parts:
                continue
            body = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
            data = yaml.safe_load(body)
            if data is None:
                continue
            assert dump_yaml(data) == reference(data), path
            seen += 1
    assert seen > 100


def json_reference(data: Any) -> str:
    import json

    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


json_documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
              st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(TRICKY), st.text(max_size=40)),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.tuples(inner, inner),
                            st.dictionaries(keys, inner, max_size=6)), max_leaves=40)


@settings(max_examples=400, deadline=None)
@given(json_documents)
def test_json_random_documents_are_the_same_text(data: Any) -> None:
    from infracc.backends.serialize import dump_json

    assert dump_json(data) == json_reference(data)


@pytest.mark.parametrize("data", [{}, [], (), {"a": {}, "b": [], "c": ()}, {1: "int key", 2: "x"}, {True: 1},
                                  {"x": 1e17, "y": -0.0, "z": math.nan, "w": -math.inf}, "plain", 5, None])
def test_json_edge_cases_are_the_same_text(data: Any) -> None:
    from infracc.backends.serialize import dump_json

    assert dump_json(data) == json_reference(data)


def test_json_other_values_go_through_the_standard_library() -> None:
    from enum import IntEnum

    from infracc.backends.serialize import dump_json

    class Size(IntEnum):
        SMALL = 1

    assert dump_json({"size": Size.SMALL}) == json_reference({"size": Size.SMALL})
    with pytest.raises(TypeError):
        dump_json({"set": {1}})
