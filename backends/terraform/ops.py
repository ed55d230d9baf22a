"""Operations: the alarm topic (KMS), CloudWatch alarms from `retention.alarms`, CloudTrail for soc2."""
from __future__ import annotations

from infracc.backends.terraform import storage
from infracc.backends.terraform.context import ACCOUNT, PARTITION, REGION, Env, json_text
from infracc.backends.terraform.model import label
from infracc.compiler import decided, naming, resolved
from infracc.compiler.ir import Component
from infracc.compiler.passes.security import EXTERNAL_ALARM

LOAD_BALANCER_ALARMS = ("5xx-errors", "latency-p99", "unhealthy-targets")  # the last on the network load balancer
# alarm → (namespace, metric, statistic, comparison, threshold); no threshold: 10% of the storage.
Metric = tuple[str, str, str, str, int | None]
METRICS: dict[tuple[str, str], Metric] = {
    ("service", "cpu-high"): ("AWS/ECS", "CPUUtilization", "Average", "GreaterThanThreshold", 85),
    ("service", "memory-high"): ("AWS/ECS", "MemoryUtilization", "Average", "GreaterThanThreshold", 85),
    ("eks", "cpu-high"): ("ContainerInsights", "pod_cpu_utilization", "Average", "GreaterThanThreshold", 85),
    ("eks", "memory-high"): ("ContainerInsights", "pod_memory_utilization", "Average", "GreaterThanThreshold", 85),
    ("service", "5xx-errors"): ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", "GreaterThanThreshold", 10),
    ("service", "latency-p99"): ("AWS/ApplicationELB", "TargetResponseTime", "p99", "GreaterThanThreshold", 2),
    ("service", "unhealthy-targets"): ("AWS/NetworkELB", "UnHealthyHostCount", "Maximum", "GreaterThanThreshold", 0),
    ("database", "cpu-high"): ("AWS/RDS", "CPUUtilization", "Average", "GreaterThanThreshold", 80),
    ("database", "free-storage-low"): ("AWS/RDS", "FreeStorageSpace", "Minimum", "LessThanThreshold", None),
    ("database", "connections-high"): ("AWS/RDS", "DatabaseConnections", "Maximum", "GreaterThanThreshold", 200),
    ("cache", "cpu-high"): ("AWS/ElastiCache", "EngineCPUUtilization", "Average", "GreaterThanThreshold", 80),
    ("cache", "memory-high"): ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage", "Average", "GreaterThanThreshold", 80),
    ("queue", "oldest-message-age"): ("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", "GreaterThanThreshold", 900),
    ("queue", "dead-letter-messages"): ("AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum", "GreaterThanThreshold", 0),
    ("table", "read-throttles"): ("AWS/DynamoDB", "ReadThrottleEvents", "Sum", "GreaterThanThreshold", 0),
    ("table", "write-throttles"): ("AWS/DynamoDB", "WriteThrottleEvents", "Sum", "GreaterThanThreshold", 0),
    ("function", "errors"): ("AWS/Lambda", "Errors", "Sum", "GreaterThanThreshold", 0),
    ("function", "throttles"): ("AWS/Lambda", "Throttles", "Sum", "GreaterThanThreshold", 0),
}


def topic(ctx: Env) -> None:
    ctx.parts["topic"] = ctx.doc.resource("aws_sns_topic", "alarms", {
        "name": ctx.aws_name("alarms"), "kms_master_key_id": ctx.parts["kms.env"].ref("arn")})
    topic_arn = ctx.parts["topic"].ref("arn")
    policy = ctx.policy_document("alarms_topic_policy", [{
        "sid": "AwsServicesPublish", "effect": "Allow", "actions": ["sns:Publish"], "resources": [topic_arn],
        "principals": [{"type": "Service", "identifiers": ["budgets.amazonaws.com", "cloudtrail.amazonaws.com",
                                                      "cloudwatch.amazonaws.com", "events.amazonaws.com"]}],
        "condition": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [ACCOUNT]}]}])
    ctx.doc.resource("aws_sns_topic_policy", "alarms_policy", {"arn": topic_arn, "policy": policy.ref("json")})
    ctx.doc.output("alarm_topic_arn", ctx.parts["topic"].ref("arn"), "SNS topic of the alarms: subscribe the on-call target")


def alarms(ctx: Env) -> None:
    for comp in ctx.env.graph:
        for alarm in comp.retention.alarms if comp.retention else []:
            if comp.kind == "external" and alarm == EXTERNAL_ALARM:
                external_alarm(ctx, comp)
                continue
            if comp.kind == "job" and alarm == "failed-runs" and "cluster" in ctx.parts:
                _failed_runs(ctx, comp)
                continue
            if alarm in LOAD_BALANCER_ALARMS and f"tg.{comp.id}" not in ctx.parts and comp.kind == "service":
                continue  # the metric exists only for services behind the load balancer
            dims = _dimensions(ctx, comp, alarm)
            kind = "eks" if comp.kind == "service" and "eks" in ctx.parts and alarm in ("cpu-high", "memory-high") else comp.kind
            metric = METRICS.get((kind, alarm))
            if metric is None or dims is None:
                ctx.unsupported(comp, f"the `{alarm}` alarm")
                continue
            _alarm(ctx, comp, alarm, metric, dims)


# The log contract of an external dependency's calls (README, "External dependencies"): one JSON
# line per call, `{"external": "<name>", "outcome": "ok" | "error" | "timeout" | "open", ...}`.
FAILED_OUTCOMES = ("error", "timeout", "open")


def external_pattern(name: str, nested: bool = False) -> str:
    """The CloudWatch Logs filter pattern of a failed call to `name` (JSON selectors). `nested`
    (Lambda's JSON log format, which may put the line under `message`) also matches
    `$.message.external` / `$.message.outcome`.

    >>> external_pattern("pay")
    '{ ($.external = "pay") && (($.outcome = "error") || ($.outcome = "timeout") || ($.outcome = "open")) }'
    """
    def one(root: str) -> str:
        outcomes = " || ".join(f'({root}.outcome = "{o}")' for o in FAILED_OUTCOMES)
        return f'({root}.external = "{name}") && ({outcomes})'
    if not nested:
        return f"{{ {one('$')} }}"
    return f"{{ ({one('$')}) || ({one('$.message')}) }}"


def external_metric(ctx: Env, comp: Component) -> tuple[str, str]:
    """(namespace, metric name) the users' failed calls to one external are counted in."""
    return f"infracc/{ctx.aws_name()}", f"{comp.name}-failed-calls"


def external_alarm(ctx: Env, comp: Component) -> None:
    """A metric filter on the log group of each user that Terraform creates (ECS tasks, Lambda
    functions) counting failed calls into one metric, and an alarm when a breaker-window's worth
    of them (the circuit breaker's `failures` within its `window`, rounded up to whole minutes)
    is reached: for a critical external in one period, otherwise in three of five."""
    ext = resolved.external(comp)
    namespace, metric = external_metric(ctx, comp)
    for conn in ctx.env.graph.users(comp.id):
        logs = ctx.parts.get(f"logs.{conn.source}")
        if logs is None:
            continue
        user = conn.source.split(".", 1)[1]
        ctx.doc.resource("aws_cloudwatch_log_metric_filter", label("external", comp.name, conn.source.split(".")[0], user), {
            "name": ctx.aws_name(comp.name, f"failed-calls-{user}"), "log_group_name": logs.ref("name"),
            "pattern": external_pattern(comp.name, nested=conn.source.startswith("function.")),
            "metric_transformation": {"name": metric, "namespace": namespace, "value": "1", "default_value": "0",
                                      "unit": "Count"}})
    datapoints, periods = ext.alarm_periods
    topic_arn = ctx.parts["topic"].ref("arn")
    ctx.doc.resource("aws_cloudwatch_metric_alarm", label("alarm", "external", comp.name, EXTERNAL_ALARM), {
        "alarm_name": ctx.aws_name(comp.name, EXTERNAL_ALARM), "namespace": namespace, "metric_name": metric,
        "statistic": "Sum", "comparison_operator": "GreaterThanOrEqualToThreshold", "threshold": ext.breaker_failures,
        "period": ext.alarm_period_seconds, "evaluation_periods": periods, "datapoints_to_alarm": datapoints,
        "treat_missing_data": "notBreaching",
        "alarm_description": f"external {comp.name} ({ext.host}): {ext.breaker_failures} or more failed calls in "
                             f"{ext.alarm_period_seconds}s, logged by its users",
        "alarm_actions": [topic_arn], "ok_actions": [topic_arn]})


def _failed_runs(ctx: Env, comp: Component) -> None:
    """A job run that stops with a non-zero exit code notifies the alarm topic."""
    pattern = {"source": ["aws.ecs"], "detail-type": ["ECS Task State Change"],
               "detail": {"lastStatus": ["STOPPED"], "clusterArn": [ctx.parts["cluster"].ref("arn")],
                          "group": [f"family:{ctx.aws_name(comp.name)}"],
                          "containers": {"exitCode": [{"anything-but": 0}]}}}
    rule = ctx.doc.resource("aws_cloudwatch_event_rule", label("job", comp.name, "failed"), {
        "name": ctx.aws_name(comp.name, "failed-runs"), "description": f"job {comp.name}: failed-runs",
        "event_pattern": json_text(pattern)})
    ctx.doc.resource("aws_cloudwatch_event_target", label("job", comp.name, "failed_target"), {
        "rule": rule.ref("name"), "arn": ctx.parts["topic"].ref("arn")})


def _alarm(ctx: Env, comp: Component, alarm: str, metric: Metric, dims: dict[str, str]) -> None:
    namespace, name, stat, op, threshold = metric
    if threshold is None:  # free storage below 10% of the allocated size
        storage_gb = decided.sizing(comp).storage_gb
        assert storage_gb is not None, f"{comp.id}: the sizing pass sizes a database's storage"
        threshold = int(storage_gb * 1024**3 * 0.1)
    attrs = {"alarm_name": ctx.aws_name(comp.name, alarm), "namespace": namespace, "metric_name": name,
             "comparison_operator": op, "threshold": threshold, "evaluation_periods": 3, "period": 300,
             "dimensions": dims, "treat_missing_data": "notBreaching",
             "alarm_description": f"{comp.kind} {comp.name}: {alarm}",
             "alarm_actions": [ctx.parts["topic"].ref("arn")], "ok_actions": [ctx.parts["topic"].ref("arn")]}
    attrs.update({"extended_statistic": stat} if stat.startswith("p") else {"statistic": stat})
    ctx.doc.resource("aws_cloudwatch_metric_alarm", label("alarm", comp.kind, comp.name, alarm), attrs)


def _dimensions(ctx: Env, comp: Component, alarm: str) -> dict[str, str] | None:
    if comp.kind == "service" and alarm in LOAD_BALANCER_ALARMS:  # either platform: the ALB Terraform creates
        tg = ctx.parts.get(f"tg.{comp.id}")
        lb = ctx.parts["nlb" if alarm == "unhealthy-targets" else "alb"]
        return None if tg is None else {"LoadBalancer": lb.ref("arn_suffix"), "TargetGroup": tg.ref("arn_suffix")}
    block = ctx.parts.get(comp.id)
    if comp.kind == "service" and "eks" in ctx.parts:
        return {"ClusterName": ctx.parts["eks"].ref("name"), "Namespace": naming.namespace(ctx.ir.name, ctx.name),
                "Service": comp.name}
    if block is None:
        return None
    if comp.kind == "service":
        return {"ClusterName": ctx.parts["cluster"].ref("name"), "ServiceName": block.ref("name")}
    if comp.kind == "database":
        return {"DBInstanceIdentifier": block.ref("identifier")}
    if comp.kind == "cache":
        return {"CacheClusterId": f"{block.ref('id')}-001"}
    if comp.kind == "queue":
        target = ctx.parts[f"dlq.{comp.id}"] if alarm == "dead-letter-messages" else block
        return {"QueueName": target.ref("name")}
    if comp.kind == "function":
        return {"FunctionName": block.ref("function_name")}
    if comp.kind == "table":
        return {"TableName": block.ref("name")}
    return None


def cloudtrail(ctx: Env) -> None:
    """soc2 (IC-SOC2-003): a multi-region trail with validation, KMS, CloudWatch Logs and SNS."""
    if "soc2" not in ctx.ir.compliance:
        return
    days = max(c.retention.log_retention_days for c in ctx.env.graph if c.retention)
    bucket = storage.bucket_core(ctx, "trail", ctx.aws_name("trail"), ctx.parts["kms.env"], versioning=True)
    trail_arn = f"arn:{PARTITION}:cloudtrail:{REGION}:{ACCOUNT}:trail/{ctx.aws_name()}"
    condition = [{"test": "StringEquals", "variable": "aws:SourceArn", "values": [trail_arn]}]
    service = [{"type": "Service", "identifiers": ["cloudtrail.amazonaws.com"]}]
    policy = ctx.policy_document("trail_bucket_policy", [
        storage.tls_only([bucket.ref("arn"), f"{bucket.ref('arn')}/*"]),
        {"sid": "TrailAcl", "effect": "Allow", "actions": ["s3:GetBucketAcl"], "resources": [bucket.ref("arn")],
         "principals": service, "condition": condition},
        {"sid": "TrailWrite", "effect": "Allow", "actions": ["s3:PutObject"], "principals": service, "condition": condition,
         "resources": [f"{bucket.ref('arn')}/AWSLogs/{ACCOUNT}/*"]}])
    bucket_policy = ctx.doc.resource("aws_s3_bucket_policy", "trail_policy", {"bucket": bucket.ref("id"), "policy": policy.ref("json")})
    ctx.doc.resource("aws_s3_bucket_lifecycle_configuration", "trail_lifecycle", {"bucket": bucket.ref("id"), "rule": [{
        "id": "expire", "status": "Enabled", "filter": {}, "expiration": {"days": days},
        "abort_incomplete_multipart_upload": {"days_after_initiation": 7}, "noncurrent_version_expiration": {"noncurrent_days": 30}}]})
    logs = ctx.log_group("trail", f"/aws/cloudtrail/{ctx.aws_name()}", days)
    write = ctx.policy_document("trail_logs_write", [{"effect": "Allow", "actions": ["logs:CreateLogStream", "logs:PutLogEvents"],
                                                      "resources": [f"{logs.ref('arn')}:*"]}])
    role = ctx.role("trail_logs", "cloudtrail.amazonaws.com", write)
    ctx.doc.resource("aws_cloudtrail", "trail", {
        "name": ctx.aws_name(), "s3_bucket_name": bucket.ref("id"), "kms_key_id": ctx.parts["kms.env"].ref("arn"),
        "is_multi_region_trail": True, "include_global_service_events": True, "enable_log_file_validation": True,
        "cloud_watch_logs_group_arn": f"{logs.ref('arn')}:*", "cloud_watch_logs_role_arn": role.ref("arn"),
        "sns_topic_name": ctx.parts["topic"].ref("name"), "depends_on": [bucket_policy.address],
        "event_selector": [{"read_write_type": "All", "include_management_events": True,
                            "data_resource": [{"type": "AWS::S3::Object", "values": [f"arn:{PARTITION}:s3"]}]}]})


BACKUP_POLICIES = ("service-role/AWSBackupServiceRolePolicyForBackup", "service-role/AWSBackupServiceRolePolicyForRestores",
                   "AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore")


def backup_plan(ctx: Env) -> None:
    """soc2 (IC-SOC2-001): daily AWS Backup copies in a KMS-encrypted vault, one rule per retention."""
    chosen = [(c, days) for c in ctx.env.graph if (days := _backup_days(c)) and c.id in ctx.parts]
    if not chosen:
        return
    vault = ctx.doc.resource("aws_backup_vault", "vault", {
        "name": ctx.aws_name("backups"), "kms_key_arn": ctx.parts["kms.env"].ref("arn"), "force_destroy": False})
    role = ctx.role("backup", "backup.amazonaws.com", managed=BACKUP_POLICIES)
    for days in sorted({d for _, d in chosen}):
        plan = ctx.doc.resource("aws_backup_plan", label("backup", f"{days}d"), {
            "name": ctx.aws_name("backup", f"{days}d"),
            "rule": [{"rule_name": "daily", "target_vault_name": vault.ref("name"),
                      "schedule": "cron(0 3 * * ? *)", "start_window": 60, "completion_window": 360,
                      "lifecycle": {"delete_after": days}}]})
        ctx.doc.resource("aws_backup_selection", label("backup", f"{days}d", "selection"), {
            "name": ctx.aws_name("backup", f"{days}d"), "plan_id": plan.ref("id"), "iam_role_arn": role.ref("arn"),
            "resources": [ctx.parts[c.id].ref("arn") for c, d in chosen if d == days]})


def _backup_days(comp: Component) -> int | None:
    return comp.retention.backup_plan_days if comp.retention else None
