"""Every problem in one run: schema errors do not hide the semantic errors of what did parse,
and what was pruned because of a schema error causes no follow-on errors (issue #11, item 4)."""
from __future__ import annotations

import copy
import io
import json
import textwrap

import pytest
from click.testing import CliRunner
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from ruamel.yaml import YAML

from infracc.compiler import schema_errors
from infracc.compiler.cli import main
from infracc.compiler.pipeline import analyze
from infracc.compiler.render import position
from infracc.compiler.schema_errors import prune
from infracc.schema.stack import Stack

DRAFT = ROOT / "tests" / "invalid" / "multi-draft.yaml"
STUB_REFERENCE = ROOT / "tests" / "invalid" / "multi-stub-reference.yaml"


def _found(result) -> list[tuple[str, int, int]]:
    return [(d.code, *position(d, result.source)) for d in result.diagnostics if d.is_error]


def _analyze(yaml: str, **kw):
    return analyze(text=textwrap.dedent(yaml), source_dir=str(ROOT / "examples" / "three-tier"),
                   skip=frozenset({"cost"}), **kw)


def test_the_four_mistake_draft_is_reported_in_one_run() -> None:
    result = analyze(DRAFT, skip=frozenset({"cost"}))
    assert _found(result) == [
        ("IC-SIZE-001", 16, 13),    # cpu 0.25 with memory 4Gi
        ("IC-PH-003", 19, 21),      # ${db.url}, but api does not use db
        ("IC-REF-002", 22, 16),     # jobs:read on a queue
        ("IC-SCHEMA-001", 28, 5),   # port: under a database
    ]
    assert result.ir is None and not result.ok
    assert all(d.hint for d in result.diagnostics)
    by_code = {d.code: d for d in result.diagnostics}
    assert "send, consume, send-consume" in by_code["IC-REF-002"].hint
    assert "512Mi, 1Gi, 2Gi" in by_code["IC-SIZE-001"].hint
    assert by_code["IC-SCHEMA-001"].message == "unknown key `port` in databases.db"


def test_the_draft_used_to_report_only_its_schema_error() -> None:
    # What analyze reported before: the schema diagnostics alone (1 of the 4 problems).
    data = YAML(typ="safe").load(DRAFT.read_text())
    with pytest.raises(ValidationError) as exc:
        Stack.model_validate(data)
    assert [e["type"] for e in exc.value.errors()] == ["extra_forbidden"]


def test_two_schema_errors_in_different_components_and_one_semantic_error() -> None:
    result = _analyze("""\
        infracc: 1
        name: shop
        services:
          api:
            image: ghcr.io/acme/api:2.0.1
            port: 8000
            replicas: {min: 3, max: 2}
            uses: [db, events]
          worker:
            image: ghcr.io/acme/worker:2.0.1
            uses: [events:publish]
        databases:
          db:
            engine: postgress
        queues:
          events: {}
        """)
    assert _found(result) == [
        ("IC-SCHEMA-003", 7, 15),   # replicas: max below min
        ("IC-REF-002", 11, 12),     # events:publish on a queue
        ("IC-SCHEMA-003", 14, 13),  # engine postgress
    ]
    assert result.ir is None


def test_schema_errors_in_referenced_components_give_no_unknown_reference() -> None:
    result = analyze(STUB_REFERENCE, skip=frozenset({"cost"}))
    codes = [c for c, *_ in _found(result)]
    assert "IC-REF-001" not in codes, result.diagnostics
    assert _found(result) == [
        ("IC-SCHEMA-001", 4, 1),    # replicas at the top level
        ("IC-REF-002", 10, 16),     # cache:read: the stub of `cache` still knows it is a cache
        ("IC-SCHEMA-003", 14, 35),  # build language pyhton: worker keeps its uses and env
        ("IC-SCHEMA-003", 21, 13),  # engine postgress: db stays, without its engine
        ("IC-SCHEMA-003", 24, 19),  # engine redis7: cache stays, without its engine
        ("IC-SCHEMA-003", 27, 11),  # Orders is not a valid name: removed, and `uses: [Orders]` is not reported
    ]


def test_placeholder_to_a_stubbed_component_is_still_checked() -> None:
    result = _analyze("""\
        infracc: 1
        name: shop
        services:
          api:
            image: ghcr.io/acme/api:2.0.1
            uses: [cache]
            env:
              A: ${cache.url}
              B: ${cache.bucket}
        caches:
          cache: [redis]
        """)
    assert _found(result) == [("IC-PH-002", 9, 10), ("IC-SCHEMA-003", 11, 10)]


@pytest.mark.parametrize("yaml, schema_error", [
    # port is invalid, so it is pruned: "no `port`, cannot be public" would be a follow-on.
    ("services:\n  web: {image: 'nginx:1.27', port: http, public: true, health: /ok}\n", ("IC-SCHEMA-003", 4, 36)),
    # uses is pruned: `${db.url}` "not used" would be a follow-on.
    ("services:\n  api: {image: 'a:1', uses: db, env: {U: '${db.url}'}}\ndatabases:\n  db: {}\n", ("IC-SCHEMA-003", 4, 29)),
    # stateful is pruned: "volume_gb needs stateful" would be a follow-on.
    ("platform: eks\nservices:\n  s: {image: 'a:1', stateful: maybe, volume_gb: 20}\n", ("IC-SCHEMA-003", 5, 31)),
    # platform is pruned (default ecs): "stateful, which ECS cannot run" would be a follow-on.
    ("platform: kubernetes\nservices:\n  s: {image: 'a:1', stateful: true}\n", ("IC-SCHEMA-003", 3, 11)),
    # domain is pruned: "host needs a stack `domain`" would be a follow-on.
    ("domain: Example\nservices:\n  w: {image: 'a:1', port: 80, public: {host: app.example.com}}\n", ("IC-SCHEMA-003", 3, 9)),
    # the prod override's cpu is pruned: base cpu 0.25 with the override's 8Gi would be a follow-on.
    ("services:\n  w:\n    image: 'a:1'\n    cpu: 0.25\n    memory: 512Mi\n    overrides:\n      prod: {cpu: 3, memory: 8Gi}\n",
     ("IC-SCHEMA-003", 9, 19)),
    # an environment with an invalid name: overrides for it are not "undeclared" on top.
    ("environments: {dev: {}, Prod: {}}\nservices:\n  w:\n    image: 'a:1'\n    overrides: {Prod: {cpu: 1}}\n",
     ("IC-SCHEMA-003", 3, 15)),
    # the services section is not a mapping: nobody knows its names, so no unknown references.
    ("services: [api]\nfunctions:\n  f: {runtime: python3.12, source: ., handler: a.b, uses: [api]}\n", ("IC-SCHEMA-003", 3, 11)),
], ids=["port", "uses", "stateful", "platform", "domain", "override-cpu", "env-name", "section"])
def test_no_follow_on_errors_from_pruned_fields(yaml, schema_error) -> None:
    result = _analyze("infracc: 1\nname: shop\n" + yaml)
    assert _found(result) == [schema_error], result.diagnostics


def test_no_follow_on_note_about_environments_when_an_account_id_is_pruned() -> None:
    # prod's account_id is refused and pruned: "dev and prod both create a recorder and pin no
    # `account_id`" (IC-ENV-007, comparing environments) would be a consequence of that.
    data = copy.deepcopy(_EXAMPLES["three-tier"])
    data["environments"]["prod"]["account_id"] = True
    result = analyze(text=_dump(data), source_dir=str(ROOT / "examples" / "three-tier"))
    assert "IC-ENV-007" not in {d.code for d in result.diagnostics}
    assert ("IC-SCHEMA-003", ("environments", "prod", "account_id")) in {(d.code, d.origin) for d in result.diagnostics}


def test_no_follow_on_warning_about_a_component_that_lost_a_field() -> None:
    # peer's port is refused and pruned: "`${peer.host}` has no address inside the cluster"
    # (the targets pass) would be a consequence of that, not a finding about api.
    result = _analyze("""\
        infracc: 1
        name: shop
        services:
          peer: {image: 'ghcr.io/a/peer:1.0.0', port: http, health: {command: [peer, --ping]}}
          api: {image: 'ghcr.io/a/api:1.0.0', port: 8080, uses: [peer], env: {P: '${peer.host}'}}
        """)
    assert [(d.code, *position(d, result.source)) for d in result.diagnostics if d.severity != "note"] == [
        ("IC-SCHEMA-003", 4, 47)]


def test_the_rest_of_a_component_with_a_pruned_field_is_still_checked() -> None:
    result = _analyze("""\
        infracc: 1
        name: shop
        services:
          api:
            image: Not An Image
            port: 8000
            cpu: 0.25
            memory: 4Gi
            uses: [nope]
        """)
    assert [c for c, *_ in _found(result)] == ["IC-SCHEMA-003", "IC-SIZE-001", "IC-REF-001"]


def test_build_errors_no_longer_hide_the_rest() -> None:
    # The prod override makes `api` set both image and build: the build reports it, api is
    # missing from prod's graph, and `web` using it is not reported as an unknown name.
    result = _analyze("""\
        infracc: 1
        name: shop
        services:
          api:
            image: ghcr.io/acme/api:2.0.1
            port: 8000
            overrides:
              prod: {build: {context: ., language: python}}
          web:
            image: ghcr.io/acme/web:1.0.0
            uses: [api, jobs:read]
        queues:
          jobs: {}
        """)
    assert _found(result) == [("IC-SCHEMA-003", 4, 3), ("IC-REF-002", 11, 17)]
    assert "(in environment `prod`)" in result.diagnostics[0].message
    assert result.ir is None


def test_diagnostics_are_unique_and_ordered_errors_first_then_by_position() -> None:
    result = analyze(STUB_REFERENCE, skip=frozenset({"cost"}))
    rank = {"error": 0, "warning": 1, "note": 2}
    keys = [(rank[d.severity], position(d, result.source)) for d in result.diagnostics]
    assert keys == sorted(keys) and any(d.severity != "error" for d in result.diagnostics)
    assert len(set(result.diagnostics)) == len(result.diagnostics)


def test_compile_reports_every_problem_and_writes_nothing(tmp_path) -> None:
    out = tmp_path / "out"
    proc = CliRunner().invoke(main, ["compile", str(DRAFT), "-o", str(out)], catch_exceptions=False)
    assert proc.exit_code == 1
    for code in ("IC-SIZE-001", "IC-PH-003", "IC-REF-002", "IC-SCHEMA-001"):
        assert code in proc.output
    assert not out.exists()


def test_cli_validate_prints_all_of_them() -> None:
    proc = CliRunner().invoke(main, ["validate", str(DRAFT)], catch_exceptions=False)
    assert proc.exit_code == 1
    lines = [line for line in proc.output.splitlines() if ": error[" in line]
    assert [line.split(": error[")[0].rsplit(":", 2)[1:] for line in lines] == [
        ["16", "13"], ["19", "21"], ["22", "16"], ["28", "5"]]
    assert "failed (4 error(s)," in proc.output
    payload = json.loads(CliRunner().invoke(main, ["validate", str(DRAFT), "--format", "json"]).output)
    assert [(d["code"], d["line"]) for d in payload["diagnostics"] if d["severity"] == "error"] == [
        ("IC-SIZE-001", 16), ("IC-PH-003", 19), ("IC-REF-002", 22), ("IC-SCHEMA-001", 28)]


def test_schema_only_fallback_when_nothing_prunes(monkeypatch) -> None:
    # The fallback for a spec pruning cannot repair (the property test below shows pruning
    # always succeeds): the schema diagnostics alone, still ordered.
    # (pipeline imports `prune` from schema_errors on the first schema error)
    monkeypatch.setattr(schema_errors, "prune", lambda exc, data: None)
    result = analyze(STUB_REFERENCE, skip=frozenset({"cost"}))
    assert {c for c, *_ in _found(result)} == {"IC-SCHEMA-001", "IC-SCHEMA-003"}
    assert result.ir is None


# Metamorphic property: mutate leaves of an example (some mutations break the schema, some
# only the semantics). Whatever is reported besides schema errors must also be reported for
# the spec with only the schema-valid mutations applied: otherwise it is a follow-on error.
_yaml = YAML(typ="safe")
_EXAMPLES = {p.parent.name: _yaml.load(p.read_text()) for p in sorted((ROOT / "examples").glob("*/stack.yaml"))}
_SCALARS = st.sampled_from([None, True, 0, -1, 3, 70000, 1.5, 0.25, "", "x", "Bad Name", "db", "cache", "api:read",
                            "${db.url}", "${nope.url}", "2Gi", "0.5", "0 3 * * *", "udp", "eks", "tcp", "../..",
                            [], {}, ["a"], {"a": 1}])


def _leaves(node, prefix=()):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _leaves(v, (*prefix, k))
    else:
        yield prefix
        if isinstance(node, list):
            for i, v in enumerate(node):
                yield from _leaves(v, (*prefix, i))


def _apply(data, path, value) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = copy.deepcopy(value)


def _valid(data) -> bool:
    try:
        Stack.model_validate(data)
        return True
    except ValidationError:
        return False


def _dump(data) -> str:
    buf = io.StringIO()
    YAML(typ="safe").dump(data, buf)
    return buf.getvalue()


@st.composite
def _mutations(draw):
    name = draw(st.sampled_from(sorted(_EXAMPLES)))
    leaves = list(_leaves(_EXAMPLES[name]))
    paths = draw(st.lists(st.sampled_from(leaves), min_size=1, max_size=4, unique=True))
    paths = [p for p in paths if not any(q != p and p[:len(q)] == q for q in paths)]
    return name, [(p, draw(_SCALARS)) for p in paths]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations())
def test_pruning_reports_no_follow_on_errors(case) -> None:
    name, mutations = case
    base = _EXAMPLES[name]
    breaking = []
    for path, value in mutations:
        alone = copy.deepcopy(base)
        _apply(alone, path, value)
        breaking.append(not _valid(alone))
    mutated, reference = copy.deepcopy(base), copy.deepcopy(base)
    for (path, value), breaks in zip(mutations, breaking, strict=True):
        _apply(mutated, path, value)
        if not breaks:
            _apply(reference, path, value)
    if not any(breaking) or not _valid(reference):
        return
    source_dir = str(ROOT / "examples" / name)
    try:
        Stack.model_validate(mutated)
    except ValidationError as exc:
        assert prune(exc, mutated) is not None  # the schema-only fallback is never needed
    result = analyze(text=_dump(mutated), source_dir=source_dir)
    expected = analyze(text=_dump(reference), source_dir=source_dir)
    allowed = {(d.code, d.origin) for d in expected.diagnostics}
    # IC-CHECK-001 says which passes could not run: not a finding about the spec.
    follow_on = [d for d in result.diagnostics
                 if not d.code.startswith(("IC-SCHEMA-", "IC-YAML-", "IC-CHECK-")) and (d.code, d.origin) not in allowed]
    assert not follow_on, (mutations, follow_on)
    assert result.ir is None
