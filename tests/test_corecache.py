"""The stored core schemas (compiler/prebuilt_schemas.py, issue #14): up to date with the models,
used at run time, and validating exactly as the schemas pydantic builds itself."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infracc.compiler import corecache

ROOT = Path(__file__).resolve().parent.parent
INVALID = sorted((ROOT / "tests" / "invalid").glob("*.yaml"))
EXAMPLES = sorted((ROOT / "examples").glob("*/stack.yaml"))


def _python(code: str, **env: str) -> str:
    # A fixed hash seed: the IRs compared below hold sets, dumped in hash order.
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False,
                          env={**os.environ, "PYTHONHASHSEED": "0", **env}, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_committed_file_is_what_the_generator_writes() -> None:
    # In a process of its own: generating rebuilds every model with pydantic, and this process
    # should go on testing the stored validators.
    fresh = _python("import sys; from infracc.compiler import corecache; "
                    "sys.stdout.write(corecache.generate())")
    committed = corecache.target().read_text(encoding="utf-8")
    assert committed == fresh, ("compiler/prebuilt_schemas.py is stale (a model, or the installed pydantic, "
                                "changed): run `make schema` and commit it")


_MODELS = """
import json, sys
from pydantic import BaseModel
from infracc.compiler import pipeline
from infracc.compiler.corecache import MODEL_MODULES, model_classes
out = {}
for file in sys.argv[1:]:
    r = pipeline.analyze(file)
    out[file] = [[d.code, d.message, list(map(str, d.origin)), d.severity.value, d.hint]
                 for d in r.diagnostics]
    if r.ir is not None:
        out[file].append(r.ir.model_dump(mode="json", exclude={"envs": {"__all__": {"graph"}}}))
built = {}
for module in MODEL_MODULES:
    for cls in model_classes(module):
        validator = cls.__dict__.get("__pydantic_validator__")
        built[f"{module}:{cls.__qualname__}"] = [type(validator).__name__,
                                                 bool(cls.__dict__.get("__pydantic_complete__"))]
print(json.dumps({"results": out, "built": built}))
"""


GENERATED = 60


_GENERATE = """
import sys
from pathlib import Path
from hypothesis import HealthCheck, given, settings
import specgen
root, made = Path(sys.argv[1]), []

@settings(max_examples=COUNT, database=None, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(specgen.stacks())
def collect(gen):
    if len(made) >= COUNT:
        return
    where = root / f"g{len(made)}"
    where.mkdir(parents=True)
    for rel, text in specgen.source_tree(gen.spec, gen.variants).items():
        (where / rel).parent.mkdir(parents=True, exist_ok=True)
        (where / rel).write_text(text, encoding="utf-8")
    (where / "stack.yaml").write_text(gen.yaml(), encoding="utf-8")
    made.append(where / "stack.yaml")

collect()
print("\\n".join(map(str, made)))
"""


def _generated(root: Path) -> list[Path]:
    """GENERATED valid specs from the schema's space (tests/specgen.py), the same every run; drawn
    in a process of its own, so that this test leaves no Hypothesis state in the test worker."""
    code = _GENERATE.replace("COUNT", str(GENERATED)).replace("sys.argv[1]", repr(str(root)))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": os.pathsep.join(
                              [str(ROOT / "tests"), *filter(None, [os.environ.get("PYTHONPATH")])])})
    assert done.returncode == 0, done.stderr
    return [Path(line) for line in done.stdout.splitlines()]


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict]:
    generated = _generated(tmp_path_factory.mktemp("generated"))
    files = [str(f) for f in (*EXAMPLES, *INVALID, *generated)]
    code = _MODELS.replace("sys.argv[1:]", repr(files))
    stored = json.loads(_python(code))
    built = json.loads(_python(code, INFRACC_PREBUILT="0"))
    return stored, built


def test_stored_and_pydantic_built_validators_agree(both: tuple[dict, dict]) -> None:
    stored, built = both
    assert len(stored["results"]) == len(EXAMPLES) + len(INVALID) + GENERATED
    for file, diags in built["results"].items():
        assert stored["results"][file] == diags, file
    # Valid stacks' whole IR (every decision) was compared, not only diagnostics.
    assert sum(1 for d in stored["results"].values() if d and isinstance(d[-1], dict)) >= len(EXAMPLES) + GENERATED // 2


def test_run_time_uses_only_stored_schemas(both: tuple[dict, dict]) -> None:
    stored, built = both
    used = {k: v for k, v in stored["built"].items() if v[0] == "SchemaValidator"}
    # The validators used were built from the stored schemas: no model was completed by pydantic.
    assert len(used) > 40
    assert not [k for k, (_, complete) in stored["built"].items() if complete]
    # Without them, pydantic completes every model it uses (the comparison above is meaningful).
    assert [k for k, (_, complete) in built["built"].items() if complete]


def test_a_stale_file_is_not_used(tmp_path: Path) -> None:
    # A source that no longer has the recorded digest: nothing is attached, pydantic builds.
    mod = corecache._prebuilt()
    assert mod is not None
    some = next(iter(mod.SOURCES))
    assert corecache._sha(some) == mod.SOURCES[some]
    assert corecache._sha("no/such/file.py") == ""
    code = ("import sys; from infracc.compiler import corecache; m = corecache._prebuilt(); "
            f"m.SOURCES[{some!r}] = '0' * 64; corecache._PREBUILT = None; "
            "print(corecache._prebuilt() is None)")
    assert _python(code).strip() == "True"


def test_schemas_of_another_pydantic_are_not_used() -> None:
    # Generated by one pydantic for its pydantic-core: with any other installed, pydantic builds.
    code = ("from infracc.compiler import corecache; m = corecache._prebuilt(); "
            "assert m.VERSIONS == corecache._versions(); m.VERSIONS = ('2.7.0', '2.18.1'); "
            "corecache._PREBUILT = None; print(corecache._prebuilt() is None)")
    assert _python(code).strip() == "True"


def test_every_model_class_has_a_stored_schema() -> None:
    mod = corecache._prebuilt()
    assert mod is not None
    missing = [f"{m}:{c.__qualname__}" for m in corecache.MODEL_MODULES for c in corecache.model_classes(m)
               if f"{m}:{c.__qualname__}" not in mod.SCHEMAS]
    assert not missing


def test_models_defined_after_the_first_dump_get_serializers_before_they_have_instances() -> None:
    """Serializers are built for every defined model at the first dump; a model module imported
    after that gets its serializers as soon as one of its validators is built (an instance of it
    may then sit in a field typed `Any` of something dumped)."""
    code = """
import sys
from infracc.compiler import corecache
from infracc.schema.models import Usage
assert corecache._prebuilt() is not None
Usage(storage_gb=1).model_dump()                     # the first dump
assert "infracc.backends.ci.pins" not in sys.modules
from infracc.backends.ci import pins
assert type(vars(pins.Pin)["__pydantic_serializer__"]).__name__ == "_LazySerializer"
pin = pins.Pin(sha="a" * 40, version="v1", source="https://example.com/x")
print(type(vars(pins.Pin)["__pydantic_serializer__"]).__name__, pin.model_dump()["version"])
"""
    assert _python(code).split() == ["SchemaSerializer", "v1"]
