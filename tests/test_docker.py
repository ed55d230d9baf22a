"""Docker backend oracles: hadolint and checkov on every generated Dockerfile, plus detection and size."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, ORACLES, compiled, output_files

from infracc.compiler.build_detect import detect

BIN = Path(sys.executable).parent
WITH_DOCKER = [e for e in EXAMPLES if output_files(e, "docker")]


def _dockerfiles(example: str) -> dict[str, str]:
    return {p: t for p, t in output_files(example, "docker").items() if p.endswith("/Dockerfile")}


@pytest.mark.parametrize("example", WITH_DOCKER)
def test_hadolint_clean(example: str, tmp_path: Path) -> None:
    for rel, text in _dockerfiles(example).items():
        path = tmp_path / rel.replace("/", "_")
        path.write_text(text, encoding="utf-8")
        run = subprocess.run([str(ORACLES / "hadolint"), "-f", "json", "-t", "warning", str(path)], capture_output=True, text=True)
        assert json.loads(run.stdout or "[]") == [], f"{rel}: {run.stdout}"


@pytest.fixture(scope="module", params=WITH_DOCKER)
def checkov_report(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict]:
    root = tmp_path_factory.mktemp("docker")
    for rel, text in _dockerfiles(request.param).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    report = tmp_path_factory.mktemp("report")
    subprocess.run([str(ORACLES / "checkov"), "--framework", "dockerfile", "--skip-download", "-d", str(root),
                    "-o", "json", "--output-file-path", str(report)], capture_output=True, text=True)
    data = json.loads((report / "results_json.json").read_text())
    return request.param, data if isinstance(data, dict) else data[0]


def test_checkov_no_failures(checkov_report: tuple[str, dict]) -> None:
    example, data = checkov_report
    assert data["summary"]["failed"] == 0, [(c["check_id"], c["file_path"]) for c in data["results"]["failed_checks"]]
    assert data["summary"]["passed"] >= 40 * len(_dockerfiles(example))
    for skipped in data["results"]["skipped_checks"]:  # only the documented no-probe case, with its reason
        assert skipped["check_id"] == "CKV_DOCKER_2" and skipped["check_result"].get("suppress_comment")


@pytest.mark.parametrize("example", WITH_DOCKER)
def test_dockerfile_shape(example: str) -> None:
    ir = compiled(example).ir
    uid = {c.name: c.security.run_as_user for c in next(iter(ir.envs.values())).graph.components("service", "job")}
    for rel, text in _dockerfiles(example).items():
        name = rel.split("/")[1]
        froms = [line.split()[1] for line in text.splitlines() if line.startswith("FROM ")]
        assert len(froms) >= 2, rel
        assert all(":" in ref and "$" not in ref for ref in froms), rel
        assert "<<" not in text and f"USER {uid[name]}:" in text
        assert "org.opencontainers.image.title" in text and "CMD [" in text
        assert "HEALTHCHECK" in text or "#checkov:skip=CKV_DOCKER_2:" in text
        assert (Path(rel).parent / ".dockerignore").as_posix() in output_files(example, "docker")


@pytest.mark.parametrize("example", WITH_DOCKER)
def test_image_size_reduction(example: str) -> None:
    env = next(iter(compiled(example).ir.envs.values()))
    plans = [c.build for c in env.graph.components("service", "job") if c.build and c.build.generated]
    known = [p.size for p in plans if p.size.reduction_percent is not None]
    assert known
    for size in known:
        assert size.reduction_percent >= 40, size
    readme = output_files(example, "docker")["docker/README.md"]
    assert "| reduction |" in readme


def test_digest_pins_runtime(tmp_path: Path) -> None:
    from infracc.compiler.pipeline import analyze

    src = Path(__file__).parent.parent / "examples" / "microservices" / "gateway"
    shutil.copytree(src, tmp_path / "gw")
    digest = "sha256:" + "a" * 64
    text = ("infracc: 1\nname: demo\nregion: us-east-1\ntargets: [docker]\n"
            f"services:\n  gw:\n    build: {{context: ./gw, language: go, digest: '{digest}'}}\n    port: 8080\n")
    result = analyze(text=text, source_dir=str(tmp_path))
    plan = next(iter(result.ir.envs.values())).graph.component("service.gw").build
    assert plan.runtime_image.endswith("@" + digest)


def test_detect_python(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask==3.0.0\n")
    (tmp_path / "app.py").write_text("")
    found = detect("python", tmp_path, None)
    assert (found.package_manager, found.dependency_files, found.command) == ("pip", ["requirements.txt"], ["python", "app.py"])
    (tmp_path / "pyproject.toml").write_text("[project]\nname='x'\n")
    (tmp_path / "uv.lock").write_text("")
    assert detect("python", tmp_path, ["gunicorn"]).package_manager == "uv"
    assert detect("python", tmp_path, ["gunicorn"]).command == ["gunicorn"]


def test_detect_python_package_and_missing(tmp_path: Path) -> None:
    assert detect("python", tmp_path, None).missing_lock
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "__main__.py").write_text("")
    assert detect("python", tmp_path, None).command == ["python", "-m", "svc"]


def test_detect_node(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text(json.dumps({"scripts": {"start": "node src/index.js", "build": "tsc"}}))
    found = detect("node", tmp_path, None)
    assert found.command == ["node", "src/index.js"] and found.build_script and found.missing_lock
    (tmp_path / "package-lock.json").write_text("{}")
    assert detect("node", tmp_path, None).dependency_files == ["package.json", "package-lock.json"]


def test_detect_go_and_java(tmp_path: Path) -> None:
    (tmp_path / "go.mod").write_text("module x\n")
    (tmp_path / "cmd" / "api").mkdir(parents=True)
    (tmp_path / "cmd" / "api" / "main.go").write_text("package main\n")
    assert detect("go", tmp_path, None).artifact == "./cmd/api"
    (tmp_path / "build.gradle").write_text("")
    assert detect("java", tmp_path, None).package_manager == "gradle"
    pom = ('<project xmlns="http://maven.apache.org/POM/4.0.0"><artifactId>svc</artifactId>'
           "<version>1.2</version></project>")
    (tmp_path / "pom.xml").write_text(pom)
    assert detect("java", tmp_path, None).artifact == "target/svc-1.2.jar"


VARIANTS = {
    "uvapp": ("python", {"pyproject.toml": "[project]\nname = 'x'\n", "uv.lock": "", "main.py": ""}),
    "projapp": ("python", {"pyproject.toml": "[project]\nname = 'x'\n[project.scripts]\nserve = 'x:main'\n"}),
    "nolock": ("node", {"package.json": json.dumps({"main": "index.js", "scripts": {"build": "tsc"}})}),
    "gradleapp": ("java", {"build.gradle": "plugins { id 'application' }\n"}),
    "site": ("static", {"package.json": json.dumps({"scripts": {"build": "vite build"}}), "package-lock.json": "{}"}),
    "plain": ("static", {"index.html": "<p>hi</p>"}),
    "cmdgo": ("go", {"go.mod": "module x\n", "go.sum": "", "cmd/api/main.go": "package main\n"}),
}


def test_variants_render_hadolint_clean(tmp_path: Path) -> None:
    from infracc.backends.docker import emit as docker_emit
    from infracc.compiler.pipeline import analyze

    services = []
    for name, (language, files) in VARIANTS.items():
        for rel, text in files.items():
            (tmp_path / name / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / name / rel).write_text(text)
        services.append(f"  {name}:\n    build: {{context: ./{name}, language: {language}}}\n    port: 8080\n")
    text = "infracc: 1\nname: variants\nregion: us-east-1\ntargets: [docker]\nservices:\n" + "".join(services)
    result = analyze(text=text, source_dir=str(tmp_path))
    assert result.ok, [d.message for d in result.diagnostics]
    codes = {d.code for d in result.diagnostics}
    assert {"IC-BUILD-002", "IC-BUILD-003"} <= codes  # gradle jar assumption, node without lock file
    files, _ = docker_emit(result.ir)
    for rel, content in files.items():
        if rel.name != "Dockerfile":
            continue
        path = tmp_path / "scan" / rel.parent.name / "Dockerfile"
        path.parent.mkdir(parents=True)
        path.write_text(content)
        run = subprocess.run([str(ORACLES / "hadolint"), "-f", "json", "-t", "warning", str(path)], capture_output=True, text=True)
        assert json.loads(run.stdout or "[]") == [], f"{rel}: {run.stdout}"
    subprocess.run([str(ORACLES / "checkov"), "--framework", "dockerfile", "--skip-download", "-d", str(tmp_path / "scan"),
                    "-o", "json", "--output-file-path", str(tmp_path / "report")], capture_output=True, text=True)
    report = json.loads((tmp_path / "report" / "results_json.json").read_text())
    assert report["summary"]["failed"] == 0 and report["summary"]["passed"] >= 40 * len(VARIANTS)
    by_name = {p.parent.name: t for p, t in files.items() if p.name == "Dockerfile"}
    assert "uv sync --frozen --no-dev" in by_name["uvapp"]
    assert 'CMD ["serve"]' in by_name["projapp"]
    assert "npm install --include=dev" in by_name["nolock"] and "npm prune --omit=dev" in by_name["nolock"]
    assert "gradle build" in by_name["gradleapp"]
    assert "nginxinc/nginx-unprivileged" in by_name["site"] and "/app/dist" in by_name["site"]
    assert "COPY --chown=root:root . /usr/share/nginx/html" in by_name["plain"]
    assert "./cmd/api" in by_name["cmdgo"] and "COPY go.mod go.sum ./" in by_name["cmdgo"]
