"""`infracc import compose` on real compose files (tests/data/import-cases, sources in its README)
and on small bad inputs: the stack validates and compiles, the report names every loss with its line."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from infracc.compiler.cli import main
from infracc.compiler.importers.check import finish
from infracc.compiler.importers.compose import import_compose
from infracc.compiler.importers.report import category
from infracc.compiler.loader import load_text
from infracc.compiler.pipeline import analyze, emit

DATA = Path(__file__).parent / "data" / "import-cases"
CASES = DATA / "compose"
NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())
# 30 more docker/awesome-compose samples, with their Dockerfiles and dependency manifests
MORE = DATA / "compose-more"
MORE_NAMES = sorted(p.name for p in MORE.iterdir() if p.is_dir())


def _case(tmp_path: Path, name: str, folder: Path = CASES) -> Path:
    shutil.copytree(folder / name, tmp_path / name)
    return next(p for p in sorted((tmp_path / name).iterdir()) if "compose" in p.name and p.suffix in (".yaml", ".yml"))


def _imported(tmp_path: Path, name: str, folder: Path = CASES):
    file = _case(tmp_path, name, folder)
    imported = import_compose(file)
    outcome = finish(imported.text, imported.report, file.parent / "stack.yaml", force=False)
    return file, imported, outcome


def test_every_real_case_imports_validates_and_compiles(tmp_path: Path) -> None:
    counts = {"clean": 0, "lossy": 0, "failed": 0}
    languages: dict[str, int] = {}
    clean: list[str] = []
    for folder, name in [(CASES, n) for n in NAMES] + [(MORE, n) for n in MORE_NAMES]:
        file, imported, outcome = _imported(tmp_path / folder.name, name, folder)
        assert imported.report.ok, (name, imported.report.as_text())
        assert outcome.valid, (name, [d.message for d in outcome.validation if d.is_error])
        lossy = any(category(d) in ("dropped", "decide") for _, d in imported.report.findings)
        counts["lossy" if lossy else "clean"] += 1
        if not lossy:
            clean.append(name)
        data = load_text(imported.text or "").data or {}
        # the contexts were stripped from the cases; the build-context pass needs the folders
        for spec in (data.get("services") or {}).values():
            if "build" in spec:
                (file.parent / spec["build"]["context"]).mkdir(parents=True, exist_ok=True)
                languages[spec["build"]["language"]] = languages.get(spec["build"]["language"], 0) + 1
        result = analyze(file.parent / "stack.yaml")
        assert result.ok, (name, [d.message for d in result.diagnostics if d.is_error])
        emit(result, ["kubernetes", "compose", "docker", "ci", "docs"])
        assert result.ok and result.files, name
    # Every real case imports; all but one drop or ask something (restart policies, volumes, secret files…).
    assert counts == {"clean": 1, "lossy": len(NAMES) + len(MORE_NAMES) - 1, "failed": 0}, counts
    assert clean == ["sparkjava"]  # one built service with one published port
    # languages read from the contexts' manifests (compose-more keeps them; compose/ has none)
    assert languages == {"dockerfile": 20, "go": 2, "java": 3, "node": 5, "python": 6}, sorted(languages.items())


def test_import_is_deterministic(tmp_path: Path) -> None:
    first = import_compose(_case(tmp_path / "a", "langfuse")).text
    second = import_compose(_case(tmp_path / "b", "langfuse")).text
    assert first is not None and first == second


def test_umami_database_url_health_and_secret(tmp_path: Path) -> None:
    _, imported, _ = _imported(tmp_path, "umami")
    text = imported.text or ""
    data = load_text(text).data or {}
    umami = data["services"]["umami"]
    assert umami["env"] == {"DATABASE_URL": "${db.url}"}
    assert umami["secrets"] == ["APP_SECRET"] and "replace-me-with-a-random-string" not in text
    assert umami["uses"] == ["db"] and umami["public"] is True and umami["health"] == "/api/heartbeat"
    assert data["databases"]["db"] == {"engine": "postgres", "version": "15"}
    assert "umami:umami@" not in text  # the credentials in the URL are not copied either
    assert "# from docker-compose.yml:8" in text


def test_credentials_become_placeholders_only_when_they_name_the_store(tmp_path: Path) -> None:
    _, wordpress, _ = _imported(tmp_path, "wordpress-mysql")
    env = (load_text(wordpress.text or "").data or {})["services"]["wordpress"]["env"]
    assert env == {"WORDPRESS_DB_HOST": "${db.host}", "WORDPRESS_DB_USER": "${db.user}",
                   "WORDPRESS_DB_PASSWORD": "${db.password}", "WORDPRESS_DB_NAME": "${db.name}"}
    _, taiga, _ = _imported(tmp_path, "taiga")
    back = (load_text(taiga.text or "").data or {})["services"]["taiga-back"]
    assert back["env"]["POSTGRES_PASSWORD"] == "${taiga-db.password}"
    assert back["env"]["RABBITMQ_USER"] == "taiga"  # same value as the db user, but it names RabbitMQ
    assert back["env"]["TAIGA_SITES_DOMAIN"] == "localhost:9000"  # from .env
    assert "TAIGA_SECRET_KEY" in back["secrets"] and "taiga-secret-key" not in (taiga.text or "")


def test_findings_point_into_anchors_and_at_volumes(tmp_path: Path) -> None:
    file, imported, _ = _imported(tmp_path, "langfuse")
    rows = imported.report.as_json()
    lines = file.read_text().splitlines()
    # langfuse-web's environment comes from `<<: *langfuse-worker-env`: located in the anchor
    url = [r for r in rows if r["path"][:2] == ["services", "langfuse-web"] and "NEXTAUTH_URL" in r["path"]]
    assert url and "NEXTAUTH_URL:" in lines[int(url[0]["line"]) - 1]  # type: ignore[call-overload]
    volume = [r for r in rows if r["path"][:3] == ["services", "postgres", "volumes"]]
    assert volume and volume[0]["category"] == "decide" and "starts empty" in str(volume[0]["message"])
    assert all({"file", "line", "column", "code", "category"} <= set(r) for r in rows)


BAD = {
    "root is a list": ("- a\n- b\n", "IC-YAML-003", (1, 1)),
    "no services": ("name: x\nvolumes: {}\n", "IC-IMPORT-001", (1, 1)),
    "bad port": ("services:\n  web:\n    image: nginx:1.27\n    ports:\n      - 'eighty'\n", "IC-IMPORT-002", (5, 9)),
    "syntax": ("services:\n  web: [\n", "IC-YAML-001", None),
    "unknown dependency": ("services:\n  web:\n    image: a:1\n    depends_on: [db]\n", "IC-IMPORT-002", (4, 18)),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_has_a_position(tmp_path: Path, case: str) -> None:
    text, code, position = BAD[case]
    file = tmp_path / "compose.yaml"
    file.write_text(text)
    imported = import_compose(file)
    assert imported.text is None and not imported.report.ok
    found = [d for _, d in imported.report.findings if d.code == code]
    assert found, imported.report.as_text()
    if position is not None:
        assert found[0].position == position
    assert "compose.yaml:" in imported.report.as_text()


def test_cli_json_report_and_refusal_to_overwrite(tmp_path: Path) -> None:
    file = _case(tmp_path, "nginx-flask-mysql")
    out = tmp_path / "out" / "stack.yaml"
    runner = CliRunner()
    first = runner.invoke(main, ["import", "compose", str(file), "-o", str(out), "--format", "json"])
    payload = json.loads(first.output)
    # the contexts are outside out/: validate refuses them, and the JSON says so
    assert first.exit_code == 1 and payload["validation"]["ok"] is False
    assert {"IC-PATH-001"} <= {d["code"] for d in payload["validation"]["diagnostics"]}
    assert payload["counts"]["secret"] == 0 and payload["counts"]["decide"] >= 3
    assert payload["components"] == {"services": 2, "databases": 1}
    again = runner.invoke(main, ["import", "compose", str(file), "-o", str(out)])
    assert again.exit_code == 1 and "already exists" in again.output
    here = runner.invoke(main, ["import", "compose", str(file)])
    assert here.exit_code == 0, here.output
    assert "validate: ok" in here.output and (file.parent / "stack.yaml").is_file()


def test_localstack_elasticmq_and_limits(tmp_path: Path) -> None:
    file = tmp_path / "compose.yaml"
    file.write_text(
        "services:\n"
        "  aws:\n    image: localstack/localstack:3.8\n    environment:\n      SERVICES: sqs\n"
        "  mq:\n    image: softwaremill/elasticmq-native:1.6.9\n"
        "  api:\n    image: ghcr.io/acme/api:1.2.0\n    ports: ['8080:8080']\n"
        "    environment:\n      QUEUE_URL: http://mq:9324/queue/jobs\n    depends_on: [aws]\n"
        "    deploy:\n      replicas: 3\n      resources:\n        limits: {cpus: '0.3', memory: 600M}\n")
    imported = import_compose(file)
    data = load_text(imported.text or "").data or {}
    assert set(data["queues"]) == {"aws", "mq"}
    api = data["services"]["api"]
    assert api["uses"] == ["aws"] and "QUEUE_URL" not in api.get("env", {})  # the broker URL is a decision
    assert (api["replicas"], api["cpu"], api["memory"]) == (3, 0.5, "1Gi")
    decided = [d.message for _, d in imported.report.findings if category(d) == "decide"]
    assert any("QUEUE_URL" in m and "SQS" in m for m in decided)
    outcome = finish(imported.text, imported.report, tmp_path / "stack.yaml", force=False)
    assert outcome.valid, [d.message for d in outcome.validation if d.is_error]


def test_port_inferred_from_a_reference_and_dotted_names_reported(tmp_path: Path) -> None:
    _, mongo, _ = _imported(tmp_path, "nginx-flask-mongo", MORE)
    data = load_text(mongo.text or "").data or {}
    assert data["services"]["backend"]["port"] == 9091  # compose declares none; web reaches it as backend:9091
    assert data["services"]["web"]["env"] == {"FLASK_SERVER_ADDR": "${backend.host}:${backend.port}"}
    assert data["services"]["web"]["uses"] == ["backend"]
    _, elk, outcome = _imported(tmp_path, "elasticsearch-logstash-kibana", MORE)
    assert outcome.valid
    assert any("`discovery.type`" in d.message and category(d) == "decide" for _, d in elk.report.findings)


def test_an_import_compiles_every_target_including_terraform(tmp_path: Path) -> None:
    file, imported, outcome = _imported(tmp_path, "umami")
    assert outcome.valid and outcome.written
    result = analyze(file.parent / "stack.yaml")
    emit(result)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    paths = {str(p) for p in result.files}
    assert {"terraform/prod/cdk.tf.json", "compose/compose.yaml", "docs/README.md"} <= paths
    help_text = CliRunner().invoke(main, ["import", "compose", "--help"])
    assert help_text.exit_code == 0 and "--format" in help_text.output
