"""The top-level `stack.yaml` model."""

from typing import Any, Literal

from pydantic import Field, field_validator

from infracc.schema.components import (
    Bucket,
    Cache,
    Database,
    External,
    Filesystem,
    Function,
    Job,
    Queue,
    Service,
    SharedSecret,
    Site,
    Table,
)
from infracc.schema.models import Allow, Platform, Size, Strict, Target, TracingSpec
from infracc.schema.types import ENV_RE, STACK_RE, ComponentName

DEFAULT_ENVIRONMENTS = ("dev", "staging", "prod")


OFF_HOURS_ACTIVE = r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(-(Mon|Tue|Wed|Thu|Fri|Sat|Sun))? ([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$"


class OffHours(Strict):
    """When a non-production environment runs; outside these hours its compute is stopped."""

    active: str = Field("Mon-Fri 07:00-20:00", pattern=OFF_HOURS_ACTIVE, description="Days and hours the environment runs, `<Day>[-<Day>] HH:MM-HH:MM` (e.g. `Mon-Fri 07:00-20:00`); outside them ECS services scale to 0, RDS instances stop and EKS nodes scale to 0. Default `Mon-Fri 07:00-20:00`.")
    timezone: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z]+(/[A-Za-z0-9_+-]+)*$", description="IANA time zone of `active`, e.g. `Europe/Berlin`. Default: the zone of the environment's region (library/levers.json), UTC where none is listed.")


class Commitments(Strict):
    """Capacity bought ahead for an always-on environment (purchased in AWS, not created by Terraform)."""

    databases: Literal["on-demand", "reserved-1y-no-upfront"] = Field("on-demand", description="RDS instances: `reserved-1y-no-upfront` prices them at the 1-year No Upfront reserved rate and lists the reservations to buy in the runbook. Default on-demand.")
    compute: Literal["on-demand", "savings-plan-1y-no-upfront"] = Field("on-demand", description="Fargate / EKS nodes: `savings-plan-1y-no-upfront` adds a Compute Savings Plan to buy to the runbook; it is shown with AWS's published discount range but never counted in the estimate (no rate table). Default on-demand.")
    caches: Literal["on-demand", "reserved-1y-no-upfront"] = Field("on-demand", description="ElastiCache nodes: `reserved-1y-no-upfront` prices them at the 1-year No Upfront reserved-node rate (Redis OSS-priced reservations also cover Valkey nodes; priced at that rate, an upper bound) and lists the reserved nodes to buy in the runbook. Default on-demand.")
    nodes: Literal["on-demand", "reserved-1y-no-upfront"] = Field("on-demand", description="EKS node groups: `reserved-1y-no-upfront` prices the node group's minimum size at the EC2 1-year No Upfront Standard reserved-instance rate and lists the reserved instances to buy in the runbook; reserved nodes are never scaled to 0 off hours and cannot be Spot (IC-COST-032). Default on-demand.")


class Budget(Strict):
    """The monthly AWS Budgets cost budget of an environment."""

    monthly_usd: int = Field(ge=1, le=10_000_000, description="Budget limit in USD per month: alerts at 100% of the forecast and 120% of the actual spend go to the environment's alarm topic. Default: the environment's estimate (`infracc cost`), rounded up to the next 10 USD.")


class Environment(Strict):
    """One deployment environment. Map order is promotion order."""

    size: Size | None = Field(None, description="Sizing profile: small, medium or large. Default: dev small, staging medium, prod large, others small.")
    high_availability: bool | None = Field(None, description="Multi-AZ data stores, ≥2 replicas, NAT per AZ, PDBs. Default: true for size large.")
    region: str | None = Field(None, description="AWS region for this environment. Default: the stack's `region`.")
    cidr: str | None = Field(None, description="VPC IPv4 range, /16 to /20. Default: derived, distinct per environment.")
    approval: bool | None = Field(None, description="CI waits for manual approval before deploying here. Default: true for the last environment.")
    spot: bool = Field(False, description="Allow Fargate Spot / spot nodes for interruptible work.")
    account_id: str | None = Field(None, pattern=r"^[0-9]{12}$", description="12-digit AWS account id the provider is pinned to.")
    deletion_protection: bool | None = Field(None, description="RDS/ALB deletion protection and retained buckets. Default: true for size large.")
    preview: bool = Field(False, description="A template for preview environments: CI deploys an ephemeral copy named `pr-<number>` for every pull request (size small unless set, spot, no high availability, no deletion protection, data stores empty), comments its URL and cost estimate on the pull request, and destroys it when the pull request closes. Not part of the promotion order (ecs platform).")
    allow: list[Allow] = Field(default_factory=list, description="Reasoned exceptions to environment-level rules (e.g. the GDPR region rule).")
    off_hours: bool | OffHours | None = Field(None, description="Off-hours schedule: `true` or `{active, timezone}` stops compute outside the active hours, `false` keeps the environment always on. Default: on (`Mon-Fri 07:00-20:00` in the region's zone) for every environment except the last one (production), and off for an environment with `high_availability`.")
    nat_gateway: bool | None = Field(None, description="Internet egress through NAT gateways. Default: NAT gateways (one, or one per AZ with `high_availability`) only where something in the VPC needs egress: services, jobs or functions that join the VPC; a function/site-only stack gets none. `true` keeps them anyway; `false` refuses them: functions in the VPC then reach the AWS APIs they use (Secrets Manager, SQS, Lambda) through interface endpoints and have no internet route; an error where services or jobs need egress.")
    commitments: Commitments | None = Field(None, description="Reserved capacity / Savings Plans to buy for this environment (see `Commitments`). Default: none (on-demand).")
    aws_config: Literal["create", "existing"] = Field("create", description="soc2 only: AWS Config in this environment's account and region. `create`: Terraform creates the configuration recorder, its delivery channel (to a dedicated encrypted bucket) and the managed rules of the soc2 controls; `existing`: the account already has a recorder (AWS allows one per account and region, e.g. another stack or environment in the same account created it, or AWS Organizations / Control Tower did), so only the rules are created. Default create.")
    budget: bool | Budget | None = Field(None, description="AWS Budgets alert on the environment's monthly cost (resources tagged `env: <name>`): `{monthly_usd: N}` sets the limit, `false` creates no budget. Notifications at 100% of the forecast and 120% of the actual spend go to the alarm SNS topic. Default: a budget at the estimate rounded up to the next 10 USD.")



def _default_environments() -> dict[str, Environment]:
    return {n: Environment() for n in DEFAULT_ENVIRONMENTS}

class Stack(Strict):
    """An application stack: workloads, data stores and environments."""

    infracc: int = Field(description="Spec version; only 1 exists.")
    name: str = Field(pattern=STACK_RE, description="Stack name: lowercase a-z, 0-9 and `-`, 3..24 characters, starting with a letter.")
    description: str | None = Field(None, description="What the stack is; shown in the docs.")
    owner: str | None = Field(None, max_length=256, description="Owning team; becomes an `owner` tag on everything.")
    region: str = Field("us-east-1", description="Default AWS region for every environment.")
    platform: Platform = Field("ecs", description="Where services and jobs run: ecs (Fargate) or eks (Kubernetes).")
    compliance: list[str] = Field(default_factory=list, description="Policy packs to enforce: soc2, gdpr.")
    domain: str | None = Field(None, max_length=253, pattern=r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", description="DNS name: Route 53 zone, ACM certificates and HTTPS everywhere.")
    tags: dict[str, str] = Field(default_factory=dict, description="Tags added to every taggable resource.")
    tracing: TracingSpec | None = Field(None, description="Default `tracing` of every service, job and function (`true`, `false` or `{sample_rate}`); a workload's own `tracing` wins. Absent: functions traced (Lambda active tracing), services and jobs not.")
    targets: list[Target] | None = Field(None, description="Backends `compile` runs. Default: the ones the platform uses, every backend for `eks`; for `ecs` all but `kubernetes` and `helm` (list them to get manifests and a chart for a cluster of your own). CLI `--target` narrows further.")
    environments: dict[str, Environment] = Field(default_factory=_default_environments, description="Ordered map of environments; order is promotion order. Default dev, staging, prod.")
    services: dict[ComponentName, Service] = Field(default_factory=dict, description="Long-running workloads.")
    jobs: dict[ComponentName, Job] = Field(default_factory=dict, description="Scheduled or run-once workloads.")
    databases: dict[ComponentName, Database] = Field(default_factory=dict, description="Relational databases.")
    caches: dict[ComponentName, Cache] = Field(default_factory=dict, description="In-memory caches.")
    buckets: dict[ComponentName, Bucket] = Field(default_factory=dict, description="Object storage buckets.")
    queues: dict[ComponentName, Queue] = Field(default_factory=dict, description="Message queues.")
    tables: dict[ComponentName, Table] = Field(default_factory=dict, description="Key-value / document tables (DynamoDB): keys, global secondary indexes, TTL, streams; on-demand unless `capacity: provisioned`; point-in-time recovery and KMS encryption always; `uses` modes read, write, read-write.")
    filesystems: dict[ComponentName, Filesystem] = Field(default_factory=dict, description="Shared file systems (EFS) that services and jobs mount with `mounts:`: encrypted with KMS, mount targets in the private subnets, NFS only from the workloads that mount them, one access point per workload and file system (its own user and `/<workload>` directory), TLS and IAM required; elastic throughput unless `throughput: bursting`; Infrequent Access after 30 days in large environments; automatic backups under soc2 or where the environment has deletion protection.")
    functions: dict[ComponentName, Function] = Field(default_factory=dict, description="Serverless functions.")
    sites: dict[ComponentName, Site] = Field(default_factory=dict, description="Static websites.")
    externals: dict[ComponentName, External] = Field(default_factory=dict, description="Dependencies outside the stack (third-party APIs) that workloads `use`: each user gets `<NAME>_URL`, `_HOST`, `_PORT`, `_TIMEOUT_MS`, `_RETRIES`, `_CB_FAILURES`, `_CB_WINDOW_S`, `_CB_OPEN_S` for its HTTP client (the application enforces them: no proxy is generated), egress to the port (security group / NetworkPolicy; not filtered by name), an error alarm from the logs and a runbook section.")
    secrets: dict[ComponentName, SharedSecret] = Field(default_factory=dict, description="Secrets shared by several workloads: one Secrets Manager secret each (environment KMS key), generated once (`generate`) or set by an operator (`value_from: external`); a workload reads it with `uses: [name]` as `<NAME>` (or `variable`), or as `${name.value}` in its `env`.")

    @field_validator("infracc")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != 1:
            raise ValueError(f"spec version {value} is not supported; only `infracc: 1` exists")
        return value

    @field_validator("compliance")
    @classmethod
    def _packs(cls, value: list[str]) -> list[str]:
        unknown = [p for p in value if p not in ("soc2", "gdpr")]
        if unknown:
            raise ValueError(f"unknown compliance pack {unknown[0]!r}; known: soc2, gdpr")
        return list(dict.fromkeys(value))

    @field_validator("environments")
    @classmethod
    def _envs(cls, value: dict[str, Environment]) -> dict[str, Environment]:
        import re

        if not value:
            raise ValueError("at least one environment is required")
        for name in value:
            if not re.match(ENV_RE, name):
                raise ValueError(f"environment name {name!r} must match {ENV_RE}")
        return value


def json_schema() -> dict[str, Any]:
    from infracc.schema.editor import for_editors

    schema = for_editors(Stack.model_json_schema())
    schema["$id"] = "https://infracc.dev/schema/stack.schema.json"
    schema["title"] = "infracc stack.yaml (spec version 1)"
    return schema


def json_schema_text() -> str:
    """The schema file as `infracc schema` prints it and `init` writes it (`schema/stack.schema.json`)."""
    import json

    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
