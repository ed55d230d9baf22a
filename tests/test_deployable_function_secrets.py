"""Functions that use a database get working credentials (issue #12, defect 1).

Lambda environment variables cannot reference Secrets Manager, so a function gets the ARN of
each used store's connection secret (`<NAME>_SECRET_ARN`) and may read exactly that secret;
no variable carries a secret, and no `rds-db:connect` is granted for a database user that
nothing creates.
"""
from __future__ import annotations

import json

from conftest import ROOT

from infracc.compiler.pipeline import analyze, emit

SPEC = """\
infracc: 1
name: notes
region: eu-west-1
targets: [terraform, docs]
functions:
  api:
    runtime: python3.12
    source: .
    handler: app.handler
    trigger: {http: {path: /notes}}
    env:
      LOG_LEVEL: info
    uses: [notesdb]
  keeper:
    runtime: python3.12
    source: .
    handler: app.handler
    secrets: [API_KEY]
services:
  web:
    image: ghcr.io/acme/web:1.0
    port: 8080
    env:
      DATABASE_URL: ${notesdb.url}
    uses: [notesdb]
databases:
  notesdb: {engine: postgres}
"""


def _compile(text: str = SPEC):
    result = analyze(text=text, source_dir=str(ROOT))
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    emit(result)
    docs = {p.parts[1]: json.loads(t) for p, t in result.files.items()
            if p.parts[0] == "terraform" and p.name == "cdk.tf.json"}
    assert docs
    return result, docs


def _statements(doc: dict, name: str) -> list[dict]:
    return doc["data"]["aws_iam_policy_document"][name]["statement"]


def _actions(doc: dict, name: str) -> dict[str, list[str]]:
    """action → resources, over the statements of one policy document."""
    out: dict[str, list[str]] = {}
    for st in _statements(doc, name):
        for action in st["actions"]:
            out.setdefault(action, []).extend(st["resources"])
    return out


CONNECTION = "${aws_secretsmanager_secret.secret_notesdb_connection.arn}"


def test_function_reads_exactly_the_connection_secret_of_its_database() -> None:
    _, docs = _compile()
    for doc in docs.values():
        grants = _actions(doc, "function_api_grants")
        assert grants["secretsmanager:GetSecretValue"] == [CONNECTION]
        assert "${aws_kms_key.kms_env.arn}" in grants["kms:Decrypt"]  # the key the secret is encrypted with
        variables = doc["resource"]["aws_lambda_function"]["function_api"]["environment"]["variables"]
        assert variables["NOTESDB_SECRET_ARN"] == CONNECTION
        assert variables["LOG_LEVEL"] == "info" and variables["NOTESDB_HOST"] == "${aws_db_instance.notesdb.address}"
        # Nothing secret in the function's configuration, and nothing that silently lacks a value.
        assert not {"DATABASE_URL", "NOTESDB_PASSWORD", "NOTESDB_URL"} & set(variables)
        assert "master" not in json.dumps(variables) and "secret_string" not in json.dumps(variables)


def test_no_rds_iam_grant_for_a_database_user_nothing_creates() -> None:
    result, docs = _compile()
    for env in result.ir.envs.values():
        edges = {c.source: c for c in env.graph.connections() if c.target == "database.notesdb"}
        assert edges["function.api"].grant is None and edges["service.web"].grant is None
        assert edges["function.api"].network.port == 5432
    for doc in docs.values():
        text = json.dumps(doc)
        assert "rds-db:connect" not in text and ":dbuser:" not in text
        # The ECS service still gets its DATABASE_URL from the connection secret (execution role).
        assert _actions(doc, "service_web_execution")["secretsmanager:GetSecretValue"] == [CONNECTION]
        assert "service_web_grants" not in doc["data"]["aws_iam_policy_document"]


def test_a_variable_taking_a_secret_output_is_refused_with_what_to_read() -> None:
    """Lambda has no secret references in its environment: `${notesdb.url}` in a function's `env`
    cannot be delivered, so `validate` refuses it (it was a compile warning and a missing variable)."""
    text = SPEC.replace("    env:\n      LOG_LEVEL: info", "    env:\n      DATABASE_URL: ${notesdb.url}\n      LOG_LEVEL: info", 1)
    result = analyze(text=text, source_dir=str(ROOT))
    found = [d for d in result.diagnostics if d.code == "IC-TF-002"]
    assert not result.ok and len(found) == 1, [d.message for d in result.diagnostics]
    assert found[0].is_error and "DATABASE_URL" in found[0].message
    assert found[0].origin == ("functions", "api", "env", "DATABASE_URL")
    assert "NOTESDB_SECRET_ARN" in found[0].hint and "`url`" in found[0].hint
    # The service's DATABASE_URL is delivered (ECS secrets): nothing to report for it.
    assert not [d for d in result.diagnostics if "`web`" in d.message]


def test_declared_function_secret_arrives_as_its_arn() -> None:
    _, docs = _compile()
    for doc in docs.values():
        variables = doc["resource"]["aws_lambda_function"]["function_keeper"]["environment"]["variables"]
        arn = "${aws_secretsmanager_secret.secret_keeper_api_key.arn}"
        assert variables == {"API_KEY_SECRET_ARN": arn}
        assert _actions(doc, "function_keeper_grants")["secretsmanager:GetSecretValue"] == [arn]
        # The function that uses no secret gets no secret read.
        api = _actions(doc, "function_api_grants")["secretsmanager:GetSecretValue"]
        assert arn not in api


def test_function_with_a_cache_reads_its_connection_secret() -> None:
    text = SPEC.replace("uses: [notesdb]\n  keeper", "uses: [notesdb, sessions]\n  keeper") + "caches:\n  sessions: {}\n"
    _, docs = _compile(text)
    for doc in docs.values():
        variables = doc["resource"]["aws_lambda_function"]["function_api"]["environment"]["variables"]
        cache = "${aws_secretsmanager_secret.secret_sessions_connection.arn}"
        assert variables["SESSIONS_SECRET_ARN"] == cache and "SESSIONS_PASSWORD" not in variables
        assert sorted(_actions(doc, "function_api_grants")["secretsmanager:GetSecretValue"]) == sorted([CONNECTION, cache])
