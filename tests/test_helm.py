"""Oracles on the Helm chart: `helm_python.lint` clean, and rendering with each
`values-<env>.yaml` gives the same objects as `kubernetes/<env>/` (one truth, two forms)."""
from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import helm_python
import jsonschema
import pytest
from conftest import EXAMPLES, compiled, output_files
from ruamel.yaml import YAML
from test_kubernetes import K8S_EXAMPLES, objects

from infracc.backends.kubernetes import meta
from infracc.compiler import library_data as lib
from infracc.compiler.passes.tracing import cluster_collector

HELM_ANNOTATIONS = ("helm.sh/hook", "helm.sh/hook-weight", "helm.sh/hook-delete-policy")
SHA = "3f786850e387550fdab836ed7e6dc881de23001b"  # what CI passes: --set-string image.tag=$GITHUB_SHA
TAG_REQUIRED = "image.tag is required"


def load(text: str) -> Any:
    return YAML(typ="safe", pure=True).load(text)


@functools.cache
def chart_dir(example: str, tmp: str) -> Path:
    for rel, text in output_files(example, "helm").items():
        target = Path(tmp) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return Path(tmp) / "helm" / compiled(example).ir.name


@pytest.fixture(scope="module")
def charts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {e: chart_dir(e, str(tmp_path_factory.mktemp(f"helm-{e}"))) for e in K8S_EXAMPLES}


def render(chart: Path, env: str, namespace: str, extra: dict[str, Any] | None = None,
           tag: str | None = SHA) -> dict[tuple[str, str], Any]:
    values = load((chart / f"values-{env}.yaml").read_text(encoding="utf-8"))
    if tag is not None:
        values["image"]["tag"] = tag
    values.update(extra or {})
    loaded = helm_python.Chart.load(str(chart))
    rendered = loaded.render(values, name=chart.name, namespace=namespace, is_install=True)
    found: dict[tuple[str, str], Any] = {}
    for path, text in rendered.items():
        if not path.endswith(".yaml"):
            continue
        for doc in YAML(typ="safe", pure=True).load_all(text):
            if doc:
                key = (doc["kind"], doc["metadata"]["name"])
                assert key not in found, key
                found[key] = doc
    return found


def merged(base: Any, overlay: Any) -> Any:
    """Helm's coalescing of an environment file over values.yaml (maps merge, the rest replaces)."""
    if isinstance(base, dict) and isinstance(overlay, dict):
        return {k: merged(base[k], overlay[k]) if k in base and k in overlay else overlay.get(k, base.get(k))
                for k in base | overlay}
    return overlay


def without_helm_annotations(obj: dict[str, Any]) -> dict[str, Any]:
    annotations = {k: v for k, v in obj["metadata"].get("annotations", {}).items() if k not in HELM_ANNOTATIONS}
    metadata = {k: v for k, v in obj["metadata"].items() if k != "annotations"}
    if annotations:
        metadata["annotations"] = annotations
    return {**obj, "metadata": metadata}


def test_helm_only_where_kubernetes() -> None:
    for example in set(EXAMPLES) - set(K8S_EXAMPLES):
        assert not output_files(example, "helm")


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_chart_layout(example: str, charts: dict[str, Path]) -> None:
    chart = charts[example]
    meta = load((chart / "Chart.yaml").read_text(encoding="utf-8"))
    assert meta["apiVersion"] == "v2" and meta["name"] == compiled(example).ir.name
    for name in ("values.yaml", "values.schema.json", "templates/_helpers.tpl", "templates/NOTES.txt"):
        assert (chart / name).is_file(), name
    for env in compiled(example).ir.env_names():
        assert (chart / f"values-{env}.yaml").is_file()


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_lint_has_no_errors(example: str, charts: dict[str, Path]) -> None:
    chart = charts[example]
    for env in compiled(example).ir.env_names():
        values = load((chart / f"values-{env}.yaml").read_text(encoding="utf-8"))
        values["image"]["tag"] = SHA
        report = helm_python.lint(str(chart), values, strict=False)
        errors = [m for m in report["messages"] if m["severity"] >= 3] + report["errors"]
        assert not errors, (env, errors)


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_values_match_schema(example: str, charts: dict[str, Path]) -> None:
    chart = charts[example]
    validator = jsonschema.Draft7Validator(json.loads((chart / "values.schema.json").read_text(encoding="utf-8")))
    shared = load((chart / "values.yaml").read_text(encoding="utf-8"))
    for name in ["values.yaml"] + [f"values-{e}.yaml" for e in compiled(example).ir.env_names()]:
        values = merged(shared, load((chart / name).read_text(encoding="utf-8")))
        assert not [e.message for e in validator.iter_errors(values)], name
        assert "latest" not in json.dumps(values.get("image", {}))


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_render_equals_kubernetes_manifests(example: str, charts: dict[str, Path]) -> None:
    ir = compiled(example).ir
    manifests = objects(example)
    for env in ir.env_names():
        # the plain manifests with their tag placeholder substituted, as the runbook applies them
        expected = {(o["kind"], o["metadata"]["name"]): json.loads(json.dumps(o).replace(meta.IMAGE_TAG, SHA))
                    for p, o in manifests.items() if Path(p).parts[1] == env}
        namespace = next(name for kind, name in expected if kind == "Namespace")
        rendered = render(charts[example], env, namespace, {"createNamespace": True})
        assert set(rendered) == set(expected), (env, set(rendered) ^ set(expected))
        for key, obj in rendered.items():
            assert without_helm_annotations(obj) == expected[key], (env, key)
        default = render(charts[example], env, namespace)
        assert set(default) == set(expected) - {("Namespace", namespace)}


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_migrations_are_hooks(example: str, charts: dict[str, Path]) -> None:
    for env in compiled(example).ir.env_names():
        rendered = render(charts[example], env, "ns")
        for (kind, _), obj in rendered.items():
            if kind == "Job" and obj["metadata"]["labels"]["app.kubernetes.io/component"] == "migration":
                assert obj["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
                account = obj["spec"]["template"]["spec"]["serviceAccountName"]
                assert "helm.sh/hook" in rendered[("ServiceAccount", account)]["metadata"]["annotations"]


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_image_tag_is_a_value(example: str, charts: dict[str, Path]) -> None:
    env = compiled(example).ir.env_names()[0]
    rendered = render(charts[example], env, "ns", {"image": {"tag": "1.2.3", "registry": "r.example"}})
    images = [c["image"] for o in rendered.values() for c in _containers(o)]
    assert any(i.startswith("r.example/") and i.endswith(":1.2.3") for i in images), images


def _containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec", {})
    if "jobTemplate" in spec:
        spec = spec["jobTemplate"]["spec"]
    template = spec.get("template") if isinstance(spec, dict) else None
    return template["spec"]["containers"] if isinstance(template, dict) and "spec" in template else []


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_image_tag_is_required(example: str, charts: dict[str, Path]) -> None:
    """No default tag: CI pushes only the commit SHA to immutable ECR repositories, so a default
    would name an image that does not exist. Without `image.tag` the chart refuses to render."""
    chart = charts[example]
    shared = load((chart / "values.yaml").read_text(encoding="utf-8"))
    assert "tag" not in shared["image"] and "appVersion" not in load((chart / "Chart.yaml").read_text(encoding="utf-8"))
    for env in compiled(example).ir.env_names():
        with pytest.raises(helm_python.HelmError, match=TAG_REQUIRED):
            render(chart, env, "ns", tag=None)


@pytest.mark.parametrize("example", K8S_EXAMPLES)
def test_every_built_image_is_the_given_tag(example: str, charts: dict[str, Path]) -> None:
    ir = compiled(example).ir
    for env in ir.env_names():
        built = {c.name for c in ir.envs[env].graph.components("service", "job") if c.resolved.built}
        prebuilt = {c.resolved.image for c in ir.envs[env].graph.components("service", "job") if not c.resolved.built}
        if cluster_collector(ir.envs[env]):  # the namespace's tracing collector, pinned by tag
            prebuilt.add(lib.tracing().image)
        rendered = render(charts[example], env, "ns", {"createNamespace": True})
        images = {c["image"] for o in rendered.values() for c in _containers(o)}
        assert {i for i in images if not i.endswith(f":{SHA}")} == prebuilt, images
        assert {i.rsplit("/", 1)[-1].split(":")[0] for i in images if i.endswith(f":{SHA}")} >= built
        assert {o["metadata"]["labels"]["app.kubernetes.io/version"] for o in rendered.values()} == {SHA}


def test_a_tag_that_is_no_label_value_is_refused(charts: dict[str, Path]) -> None:
    chart = charts[K8S_EXAMPLES[0]]
    env = compiled(K8S_EXAMPLES[0]).ir.env_names()[0]
    for bad in (meta.IMAGE_TAG, "latest", "-x", "a" * 64):
        with pytest.raises(helm_python.HelmError):
            render(chart, env, "ns", tag=bad)
