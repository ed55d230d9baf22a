"""Lambda functions (arm64, tracing, log group, DLQ, VPC for private stores) and their triggers."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infracc.backends.terraform import containers, iam, stores
from infracc.backends.terraform.context import ACCOUNT, Env, json_text, literal
from infracc.backends.terraform.firewall import in_vpc
from infracc.backends.terraform.model import Block, label
from infracc.backends.terraform.network import subnet_ids
from infracc.backends.terraform.storage import bucket_core, queue_policy, tls_only
from infracc.compiler import decided, naming, resolved
from infracc.compiler.cron import to_eventbridge
from infracc.compiler.decisions import Optimization, Retention, Sizing
from infracc.compiler.diagnostics import Diagnostic
from infracc.compiler.ir import Component, EnvIR, EnvVar, OutputRef, StackIR
from infracc.compiler.passes.security import STREAM_KMS
from infracc.compiler.passes.targets import function_env_not_set

S3_EVENTS = {"created": "s3:ObjectCreated:*", "deleted": "s3:ObjectRemoved:*"}


def _retention(comp: Component) -> Retention:
    assert comp.retention is not None, f"{comp.id}: the security pass decides retention for every function"
    return comp.retention


def _sizing(comp: Component) -> Sizing:
    assert comp.sizing is not None, f"{comp.id}: the sizing pass sizes every function"
    return comp.sizing


def _optimization(comp: Component) -> Optimization:
    assert comp.optimization is not None, f"{comp.id}: the cost pass decides every function's architecture"
    return comp.optimization


def artifacts(ctx: Env) -> None:
    """Function packages: CI uploads `functions/<name>/<image_tag>.zip` here."""
    b = bucket_core(ctx, "artifacts", ctx.aws_name("artifacts"), ctx.parts["kms.env"], versioning=True)
    ctx.parts["bucket.artifacts"] = b
    policy = ctx.policy_document("bucket_artifacts_policy", [tls_only([b.ref("arn"), f"{b.ref('arn')}/*"])])
    ctx.doc.resource("aws_s3_bucket_policy", "bucket_artifacts_policy", {"bucket": b.ref("id"), "policy": policy.ref("json")})
    ctx.doc.resource("aws_s3_bucket_lifecycle_configuration", "bucket_artifacts_lifecycle", {"bucket": b.ref("id"), "rule": [{
        "id": "old-packages", "status": "Enabled", "filter": {}, "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        "noncurrent_version_expiration": {"noncurrent_days": 90}}]})


def function(ctx: Env, comp: Component) -> None:
    spec, n = resolved.function(comp), label("function", comp.name)
    fname = ctx.aws_name(comp.name)
    logs = ctx.log_group(n, f"/aws/lambda/{fname}", _retention(comp).log_retention_days)
    ctx.parts[f"logs.{comp.id}"] = logs  # externals' metric filters read it (ops.external_alarm)
    dlq = ctx.doc.resource("aws_sqs_queue", label(n, "dlq"), {
        "name": ctx.aws_name(comp.name, "dlq"), "kms_master_key_id": ctx.parts["kms.env"].ref("arn"),
        "message_retention_seconds": 1209600})
    ctx.doc.resource("aws_sqs_queue_policy", label(n, "dlq_policy"), {"queue_url": dlq.ref("id"), "policy": json_text(queue_policy(dlq.ref("arn")))})
    own = [{"sid": "WriteOwnLogs", "effect": "Allow", "actions": ["logs:CreateLogStream", "logs:PutLogEvents"], "resources": [f"{logs.ref('arn')}:*"]},
           {"sid": "DeadLetter", "effect": "Allow", "actions": ["sqs:SendMessage"], "resources": [dlq.ref("arn")]},
           {"sid": "DeadLetterKey", "effect": "Allow", "actions": ["kms:GenerateDataKey", "kms:Decrypt"], "resources": [ctx.parts["kms.env"].ref("arn")]}]
    # The function reads its secrets at runtime (`<NAME>_SECRET_ARN`): exactly its declared
    # secrets and the connection secrets of the databases and caches it uses, and their key.
    own += iam.read_secrets_statements(ctx, comp)
    own += _stream_statements(ctx, comp)
    own += iam.tracing_statements(comp)
    vpc = in_vpc(ctx, comp)
    managed = ("service-role/AWSLambdaVPCAccessExecutionRole",) if vpc else ()
    traced = decided.tracing(comp).enabled
    role = ctx.role(n, "lambda.amazonaws.com", iam.workload_policy(ctx, comp, own), managed=managed)
    variables = environment(ctx, comp)
    attrs: dict[str, Any] = {
        "function_name": fname, "role": role.ref("arn"), "runtime": spec.runtime, "handler": spec.handler,
        "architectures": [_optimization(comp).arch], "memory_size": _sizing(comp).lambda_memory_mb,
        "timeout": spec.timeout_seconds, "s3_bucket": ctx.parts["bucket.artifacts"].ref("id"),
        "s3_key": f"functions/{comp.name}/${{var.image_tag}}.zip", "tracing_config": {"mode": "Active" if traced else "PassThrough"},
        "dead_letter_config": {"target_arn": dlq.ref("arn")},
        "logging_config": {"log_format": "JSON", "log_group": logs.ref("name")}, "depends_on": [logs.address]}
    if variables:  # the key encrypts the variables; without any, a key is a perpetual diff (CKV_AWS_173)
        attrs["environment"] = {"variables": variables}
        attrs["kms_key_arn"] = ctx.parts["kms.env"].ref("arn")
    if vpc:
        attrs["vpc_config"] = {"subnet_ids": subnet_ids(ctx, "private"), "security_group_ids": [ctx.parts[f"sg.{comp.id}"].ref("id")]}
    skip = ("IC-SKIP-012",) + (() if vpc else ("IC-SKIP-013",)) + (() if traced else ("IC-SKIP-023",))
    fn = ctx.doc.resource("aws_lambda_function", n, attrs, skip=skip)
    ctx.parts[comp.id] = fn
    ctx.parts[f"dlq.{comp.id}"] = dlq
    stores.connection(ctx, comp, f"arn = {fn.address}.arn, name = {fn.address}.function_name")


def _stream_statements(ctx: Env, comp: Component) -> list[dict[str, Any]]:
    """A table trigger: read that table's stream, decrypt with its key (the security pass's grant);
    records that still fail after the retries go to the function's dead-letter queue."""
    grant = comp.trigger_grant
    if grant is None:
        return []
    table = ctx.env.graph.component(grant.resource)
    return [{"sid": "ReadTableStream", "effect": "Allow", "actions": sorted(grant.actions),
             "resources": [f"{ctx.parts[table.id].ref('arn')}/stream/*"]},
            {"sid": "DecryptTableStream", "effect": "Allow", "actions": list(STREAM_KMS),
             "resources": [ctx.key_for(table).ref("arn")]}]


@dataclass(frozen=True)
class FunctionVariable:
    """One variable a Lambda function receives: a value from the spec (`plain`: its segments) or
    the ARN of a secret it reads at runtime (`secret`: the secret's name in Secrets Manager)."""

    name: str
    segments: tuple[str | OutputRef, ...] = ()
    secret: str | None = None
    store: str | None = None  # the used database/cache whose connection secret it is
    declared: str | None = None  # the declared `secrets:` entry it is the ARN of


@dataclass(frozen=True)
class FunctionEnvironment:
    """What a function's `environment` holds (the Terraform backend emits it, the runbook lists it)."""

    variables: tuple[FunctionVariable, ...]
    not_set: tuple[EnvVar, ...]  # written with a secret output: read from the connection secret instead
    shadowed: tuple[str, ...]  # a secret ARN variable `env` already sets (the spec's value is kept)


def function_environment(ir: StackIR, env: EnvIR, comp: Component) -> FunctionEnvironment:
    """The function's variables. Lambda variables are plain configuration and cannot reference
    Secrets Manager, and no secret is ever written into them (IC-SEC-007), so secrets arrive by
    reference, read at runtime with `secretsmanager:GetSecretValue` (granted on exactly these):

    - per used database or cache, `<NAME>_SECRET_ARN`: its connection secret, JSON with the keys
      host, port, user, password, url… (in place of the secret outputs `<NAME>_PASSWORD`/`_URL`);
    - per used shared secret (`secrets:`), `<NAME>_SECRET_ARN`: JSON with the key value;
    - per declared secret `X`, `X_SECRET_ARN` (the secret's value is the plain string).

    A variable the spec writes with a secret output (`DATABASE_URL: ${db.url}`) is not set (the
    Terraform backend warns, naming the secret and key to read instead).
    """
    plain: dict[str, FunctionVariable] = {}
    generated: dict[str, FunctionVariable] = {}
    not_set: list[EnvVar] = []
    for conn in env.graph.uses(comp.id):
        kind, name = conn.target.split(".", 1)
        if kind in iam.CREDENTIAL_KINDS:
            generated[secret_arn_variable(name)] = FunctionVariable(
                secret_arn_variable(name), secret=naming.stored_secret(ir.name, env.name, kind, name), store=name)
    for var in comp.env:
        if var.source == "secret":
            generated[secret_arn_variable(var.name)] = FunctionVariable(
                secret_arn_variable(var.name), secret=naming.secret_name(ir.name, env.name, comp.name, var.name),
                declared=var.name)
        elif var.secret:
            if var.source != "injected":  # the injected `<NAME>_PASSWORD`/`_URL` give way to `<NAME>_SECRET_ARN`
                not_set.append(var)
        else:
            plain[var.name] = FunctionVariable(var.name, tuple(var.segments))
    shadowed = tuple(n for n in generated if n in plain)
    merged = {**{n: v for n, v in generated.items() if n not in plain}, **plain}
    return FunctionEnvironment(tuple(merged[n] for n in sorted(merged)), tuple(not_set), shadowed)


def environment(ctx: Env, comp: Component) -> dict[str, str]:
    """`function_environment` as Terraform values (secret ARNs as references to the secrets)."""
    decided = function_environment(ctx.ir, ctx.env, comp)
    ctx.diagnostics += [_not_set(comp, var) for var in decided.not_set]
    for name in decided.shadowed:
        ctx.unsupported(comp, f"`{name}` with the ARN of a secret (`env` sets a variable of that name)")
    out: dict[str, str] = {}
    for v in decided.variables:
        if v.store is not None:
            out[v.name] = ctx.parts[f"connection.{v.store}"].ref("arn")
        elif v.declared is not None:
            out[v.name] = ctx.parts[f"secret.{comp.name}.{v.declared}"].ref("arn")
        else:
            out[v.name] = "".join(literal(s) if isinstance(s, str) else containers.value(ctx, s) for s in v.segments)
    return out


def secret_arn_variable(name: str) -> str:
    """`DB_SECRET_ARN` for the store `db` (named as the IR names injected variables) or the secret `DB`."""
    return f"{name.upper().replace('-', '_')}_SECRET_ARN"


def _not_set(comp: Component, var: EnvVar) -> Diagnostic:
    return function_env_not_set(comp, var)


def trigger(ctx: Env, comp: Component) -> None:
    t, fn, n = resolved.function(comp).trigger, ctx.parts[comp.id], label("function", comp.name)
    if t is None:
        return
    if t.kind == "bucket":
        bucket = ctx.parts[f"bucket.{t.bucket}"]
        perm = ctx.doc.resource("aws_lambda_permission", label(n, "from_s3"), {
            "statement_id": "AllowS3", "action": "lambda:InvokeFunction", "function_name": fn.ref("function_name"),
            "principal": "s3.amazonaws.com", "source_arn": bucket.ref("arn"), "source_account": ACCOUNT})
        notify = ctx.parts[f"notify.{label('bucket', t.bucket)}"]
        notify.attrs.setdefault("lambda_function", []).append(
            {"lambda_function_arn": fn.ref("arn"), "events": [S3_EVENTS[e] for e in t.events]})
        notify.attrs.setdefault("depends_on", []).append(perm.address)
    elif t.kind == "queue":
        ctx.doc.resource("aws_lambda_event_source_mapping", label(n, "from_queue"), {
            "event_source_arn": ctx.parts[f"queue.{t.queue}"].ref("arn"), "function_name": fn.ref("arn"),
            "batch_size": t.batch_size, "function_response_types": ["ReportBatchItemFailures"]})
    elif t.kind == "table":
        ctx.doc.resource("aws_lambda_event_source_mapping", label(n, "from_table"), {
            "event_source_arn": ctx.parts[f"table.{t.table}"].ref("stream_arn"), "function_name": fn.ref("arn"),
            "starting_position": "LATEST" if t.starting_position == "latest" else "TRIM_HORIZON",
            "batch_size": t.batch_size, "function_response_types": ["ReportBatchItemFailures"],
            "bisect_batch_on_function_error": True, "maximum_retry_attempts": 3,
            "destination_config": {"on_failure": {"destination_arn": ctx.parts[f"dlq.{comp.id}"].ref("arn")}}})
    elif t.kind == "schedule":
        _schedule(ctx, comp, fn, t.schedule)
    else:
        _http(ctx, comp, fn, t.path)


def _schedule(ctx: Env, comp: Component, fn: Block, cron: str) -> None:
    n = label("function", comp.name)
    policy = ctx.policy_document(f"{n}_scheduler", [{"sid": "Invoke", "effect": "Allow", "actions": ["lambda:InvokeFunction"],
                                                     "resources": [fn.ref("arn")]}])
    role = ctx.role(f"{n}_scheduler", "scheduler.amazonaws.com", policy)
    ctx.doc.resource("aws_scheduler_schedule", label(n, "schedule"), {
        "name": ctx.aws_name(comp.name), "schedule_expression": to_eventbridge(cron), "schedule_expression_timezone": "UTC",
        "flexible_time_window": {"mode": "OFF"}, "kms_key_arn": ctx.parts["kms.env"].ref("arn"),
        "target": {"arn": fn.ref("arn"), "role_arn": role.ref("arn"), "retry_policy": {"maximum_retry_attempts": 2}}})


def _http(ctx: Env, comp: Component, fn: Block, path: str) -> None:
    n = label("function", comp.name)
    api = ctx.doc.resource("aws_apigatewayv2_api", label(n, "api"), {"name": ctx.aws_name(comp.name), "protocol_type": "HTTP"})
    integration = ctx.doc.resource("aws_apigatewayv2_integration", label(n, "integration"), {
        "api_id": api.ref("id"), "integration_type": "AWS_PROXY", "integration_uri": fn.ref("invoke_arn"),
        "payload_format_version": "2.0"})
    ctx.doc.resource("aws_apigatewayv2_route", label(n, "route"), {
        "api_id": api.ref("id"), "route_key": f"ANY {path}", "target": f"integrations/{integration.ref('id')}",
        "authorization_type": "NONE"}, skip=("IC-SKIP-014",))
    logs = ctx.log_group(f"{n}_api", f"/aws/apigateway/{ctx.aws_name(comp.name)}", _retention(comp).log_retention_days)
    ctx.doc.resource("aws_apigatewayv2_stage", label(n, "stage"), {
        "api_id": api.ref("id"), "name": "$default", "auto_deploy": True,
        "default_route_settings": {"throttling_burst_limit": 100, "throttling_rate_limit": 50},
        "access_log_settings": {"destination_arn": logs.ref("arn"), "format": '{"requestId":"$context.requestId","status":"$context.status","routeKey":"$context.routeKey","ip":"$context.identity.sourceIp"}'}})
    ctx.doc.resource("aws_lambda_permission", label(n, "from_api"), {
        "statement_id": "AllowHttpApi", "action": "lambda:InvokeFunction", "function_name": fn.ref("function_name"),
        "principal": "apigateway.amazonaws.com", "source_arn": f"{api.ref('execution_arn')}/*/*"})
    ctx.doc.output(f"{comp.name}_url".replace("-", "_"), api.ref("api_endpoint"), f"HTTP endpoint of function {comp.name}")
