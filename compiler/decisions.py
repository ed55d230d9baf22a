"""Typed decisions that passes attach to the IR and backends translate.

Every decision carries what a backend or the docs need to act on it, and nothing is a
free-form dict. The pass that fills each type is named in its docstring.
"""

from typing import Literal

from pydantic import ConfigDict, Field

from infracc.compiler.corecache import PrebuiltModel


class _D(PrebuiltModel):
    model_config = ConfigDict(frozen=True)


class Allowance(_D):
    """A reasoned exception from the spec's `allow`, carried to the docs (security pass)."""

    rule: str
    reason: str
    origin: tuple[str | int, ...]
    checkov: list[str] = Field(default_factory=list)


class Sizing(_D):
    """Effective size of one component in one environment (sizing pass)."""

    profile: str
    cpu: float | None = None
    memory_mib: int | None = None
    replicas_min: int | None = None
    replicas_max: int | None = None
    cpu_target: int | None = None
    instance_class: str | None = None
    engine_version: str | None = Field(None, description="spec version, or the engine's default from library/engines.json")
    engine_lifecycle_support: Literal["open-source-rds-extended-support", "open-source-rds-extended-support-disabled"] | None = Field(
        None, description="databases: RDS Extended Support opted in only for a version already past its end of "
                          "standard support (library/engines.json), opted out otherwise")
    storage_gb: int | None = None
    multi_az: bool | None = None
    node_type: str | None = None
    num_nodes: int | None = None
    lambda_memory_mb: int | None = None
    volume_gb: int | None = None
    performance_insights: bool | None = Field(
        None, description="databases: RDS Performance Insights on, unless the engine refuses it on the instance "
                          "class (RDS for MySQL on db.t2/db.t3/db.t4g micro and small)")
    capacity_mode: Literal["on-demand", "provisioned"] | None = Field(
        None, description="tables: on-demand unless the spec asks for provisioned capacity")
    read_units: int | None = Field(None, description="tables (provisioned): read capacity units, the auto-scaling minimum")
    write_units: int | None = Field(None, description="tables (provisioned): write capacity units, the auto-scaling minimum")
    max_units_factor: int | None = Field(None, description="tables (provisioned): auto scaling may raise the units to this many times the minimum")
    infrequent_access_after_days: int | None = Field(
        None, description="filesystems: days without access before a file moves to EFS Infrequent Access (back on "
                          "first access); None: never. As written, else 30 in large environments, else never")
    singleton: bool = Field(
        False, description="services: at most one copy may run, even during a deploy (`singleton: true`, or "
                           "inferred for one replica and no port unless `singleton: false`): one replica, replaced "
                           "stop-then-start instead of surge-then-drain; jobs: scheduled runs must not overlap "
                           "(CronJob `Forbid`; ECS cannot enforce it) unless `singleton: false`")


class Tracing(_D):
    """Tracing of one service, job or function in one environment (sizing pass): one decision for
    every target (ECS sidecar, the namespace's collector on eks, Lambda active tracing)."""

    enabled: bool
    collector: Literal["sidecar", "cluster", "lambda", "none"] = Field(
        description="sidecar: an ADOT collector container in the ECS task; cluster: the namespace's `otel-collector` "
                    "Deployment (eks); lambda: Lambda active tracing; none: not traced")
    sample_rate: float | None = Field(None, description="fraction of traces recorded; None for a function without "
                                      "an explicit rate (X-Ray's default rule: 1 request a second and 5% of the rest)")
    sample_rate_source: Literal["spec", "size", "xray-default", "none"] = "none"
    collector_cpu_units: int = Field(0, description="sidecar: CPU units reserved for the collector in the task")
    collector_memory_mib: int = Field(0, description="sidecar: the collector's hard memory limit in the task")
    memory_added_mib: int = Field(0, description="sidecar: how much the task's memory grew to fit the collector")
    cpu_added: float = Field(0, description="sidecar: how much the task's vCPU grew (only when no memory at its CPU fits)")
    actions: list[str] = Field(default_factory=list, description="X-Ray actions the role that sends traces needs")
    env: dict[str, str] = Field(default_factory=dict, description="the OTEL_* variables of the workload's SDK "
                                "(services and jobs); empty for functions and untraced workloads")
    reason: str


class ConfigRule(_D):
    """One AWS Config managed rule of the soc2 pack (aws_config pass)."""

    identifier: str = Field(description="the managed rule's source identifier, e.g. RDS_STORAGE_ENCRYPTED")
    name: str = Field(description="the rule's name in the account: the environment's prefix and the identifier")
    controls: list[str] = Field(description="the catalogue rules (IC-*) whose control it monitors")
    kinds: list[str] = Field(description="component kinds of the stack it evaluates; `environment` for account-wide")
    parameters: dict[str, str] = Field(default_factory=dict, description="the rule's input parameters")


class AwsConfig(_D):
    """AWS Config in one environment under soc2 (aws_config pass)."""

    recorder: bool = Field(description="Terraform creates the recorder, its delivery channel and bucket (`aws_config: "
                                       "create`); False: the account's existing recorder is used, rules only")
    global_resources: bool = Field(description="the recorder also records global resource types (IAM): only in the "
                                               "stack's own region, so they are recorded once")
    rules: list[ConfigRule]
    reason: str


class NetworkRule(_D):
    """Traffic allowed by one `uses` edge (security pass)."""

    source: str
    target: str
    port: int | None
    protocol: Literal["tcp", "https", "aws-api", "external"] = Field(description="external: to any address on the port (an `externals:` entry)")
    description: str


class Grant(_D):
    """Least-privilege IAM actions for one `uses` edge, on that one resource (security pass)."""

    actions: list[str]
    resource: str
    resource_kind: str
    kms: bool = False
    index_actions: list[str] = Field(default_factory=list, description="tables: actions on the table's global "
                                     "secondary indexes (`<table arn>/index/*`); empty for a `write` grant or a table "
                                     "without indexes")
    kms_via_service: str | None = Field(None, description="the AWS service the key may be used through only "
                                        "(`kms:ViaService`), e.g. dynamodb; None: no condition")
    mounted_by: Literal["workload", "csi-driver"] | None = Field(
        None, description="filesystems: whose IAM identity makes the NFS mount: the workload's task role (ecs), or the "
                          "EFS CSI driver's role on the node (eks, where the workload's own role gets no EFS "
                          "permission); the file system policy admits that principal through the access point only")


class AccessPoint(_D):
    """The EFS access point of one mount edge (workload → file system, security pass): every NFS
    operation runs as this POSIX identity, inside the file system's shared root directory."""

    uid: int = Field(description="the workload's `run_as` user")
    gid: int = Field(description="the workload's `run_as` group")
    secondary_gids: list[int] = Field(default_factory=list, description="the file system's group, when the workload's "
                                      "own group differs: files other workloads wrote stay readable")
    root_directory: str = Field(description="the directory the workload sees as the mount's root")
    owner_uid: int = Field(description="creation_info: owner of the root directory when EFS first creates it")
    owner_gid: int = Field(description="creation_info: the file system's group")
    permissions: str = Field(description="creation_info: mode of the root directory (setgid: new entries keep the group)")



def _tmp_only() -> list[str]:
    return ["/tmp"]


def _all_capabilities() -> list[str]:
    return ["ALL"]

class WorkloadSecurity(_D):
    """Hardening profile of a workload's containers (security pass)."""

    run_as_user: int = 10001
    run_as_group: int = 10001
    read_only_root_filesystem: bool = True
    writable_paths: list[str] = Field(default_factory=_tmp_only)
    drop_capabilities: list[str] = Field(default_factory=_all_capabilities)
    allow_privilege_escalation: bool = False
    seccomp_profile: str = "RuntimeDefault"
    automount_service_account_token: bool = False
    needs_kubernetes_api: bool = False
    tls_required: bool = True


class Encryption(_D):
    """Encryption of a data store (security pass)."""

    at_rest: bool = True
    key: Literal["aws-managed", "customer-managed"] = "customer-managed"
    key_alias: str
    dedicated: bool = Field(False, description="a key for this store alone (contains_pii)")
    tags: dict[str, str] = Field(default_factory=dict, description="classification tags for the store and its key")
    in_transit: bool = True
    reason: str


class Retention(_D):
    """Retention and protection of a component (security pass)."""

    log_retention_days: int
    backup_retention_days: int | None = None
    deletion_protection: bool = False
    final_snapshot: bool = False
    access_logging: bool = False
    alarms: list[str] = Field(default_factory=list)
    backup_plan_days: int | None = Field(None, description="daily AWS Backup copies kept this many days (soc2)")
    point_in_time_recovery: bool = Field(False, description="tables: DynamoDB continuous backups (restore to any "
                                         "second of the last 35 days), always on (IC-SEC-011)")
    automatic_backups: bool = Field(False, description="filesystems: EFS automatic backups (the file system's backup "
                                    "policy: AWS Backup's default EFS plan, daily, kept 35 days) under soc2 or where "
                                    "the environment has deletion protection")


class Optimization(_D):
    """Cost decisions for a component (cost pass)."""

    arch: Literal["arm64", "x86_64"] | None = None
    capacity: Literal["on-demand", "spot"] | None = None
    storage_type: str | None = None
    storage_class_transitions: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)


class LineItem(_D):
    """One priced line: `monthly = unit_price × quantity`, or usage-dependent (no total)."""

    component: str
    item: str
    unit: str
    unit_price: float | None
    quantity: float | None
    monthly: float | None
    source: str | None = None
    assumption: str | None = None


class ComponentCost(_D):
    items: list[LineItem]
    monthly: float
    baseline_monthly: float


class Schedule(_D):
    """Off-hours schedule of an environment (levers pass): compute runs only in the active window."""

    active: str = Field(description="as written or defaulted, e.g. `Mon-Fri 07:00-20:00`")
    timezone: str = Field(description="IANA zone the window is in")
    days: list[str] = Field(description="EventBridge day-of-week names the window opens on, e.g. MON..FRI")
    start: str = Field(description="HH:MM the environment starts")
    stop: str = Field(description="HH:MM the environment stops")
    active_hours_per_month: float = Field(description="active hours per week × 730/168; the cost pass prices compute at this")
    start_cron: str = Field(description="EventBridge cron() expression of the start, in `timezone`")
    stop_cron: str = Field(description="EventBridge cron() expression of the stop, in `timezone`")
    services: list[str] = Field(default_factory=list, description="services scaled to 0 outside the window (ecs)")
    databases: list[str] = Field(default_factory=list, description="databases stopped outside the window")
    nodes: bool = Field(False, description="eks: the node group scales to 0 outside the window")
    reason: str


class Recommendation(_D):
    """A lever infracc cannot price (no rate table), shown beside the estimate but never counted."""

    lever: str
    applies_to: str
    discount: str = Field(description="the published discount range, as the source states it")
    source: str
    action: str = Field(description="what to buy or change, for the runbook")


class EnvLevers(_D):
    """Cost levers of one environment (levers pass); the cost pass prices them."""

    schedule: Schedule | None = None
    schedule_reason: str = Field(description="why the environment has, or has not, an off-hours schedule")
    databases_commitment: Literal["on-demand", "reserved-1y-no-upfront"] = "on-demand"
    compute_commitment: Literal["on-demand", "savings-plan-1y-no-upfront"] = "on-demand"
    caches_commitment: Literal["on-demand", "reserved-1y-no-upfront"] = "on-demand"
    nodes_commitment: Literal["on-demand", "reserved-1y-no-upfront"] = "on-demand"
    recommendations: list[Recommendation] = Field(default_factory=list)


class LeverSaving(_D):
    """One lever's monthly saving against the naive baseline (cost pass)."""

    lever: str
    monthly_saving: float = Field(description="baseline minus estimate for the lines this lever changes, USD/month")
    detail: str


class EnvNetwork(_D):
    """Network layout of one environment (sizing + cost passes)."""

    cidr: str
    az_count: int
    nat_gateways: int
    nat_strategy: Literal["none", "single", "per-az"]
    egress: str = Field("", description="why the private subnets do or do not route to a NAT gateway")
    interface_endpoints: list[str] = Field(default_factory=list, description="AWS services reached through interface "
                                           "endpoints instead of NAT (`nat_gateway: false` with functions in the VPC)")
    s3_gateway_endpoint: bool = True
    dynamodb_gateway_endpoint: bool = Field(False, description="a (free) DynamoDB gateway endpoint on the private "
                                            "route tables: the environment has tables, so their traffic skips NAT")
    public_subnets: list[str]
    private_subnets: list[str]
    isolated_subnets: list[str]
    flow_log_retention_days: int


class EnvCost(_D):
    currency: str = "USD"
    monthly: float
    baseline_monthly: float
    savings_percent: float
    items: list[LineItem]
    missing_prices: list[str] = Field(default_factory=list)
    budget_usd: int | None = Field(None, description="monthly AWS Budgets limit (USD): `budget.monthly_usd`, else the "
                                                     "estimate rounded up to the next 10; None with `budget: false`")
    levers: list[LeverSaving] = Field(default_factory=list, description="saving of each lever against the naive baseline")
    recommendations: list[Recommendation] = Field(default_factory=list, description="levers shown, never counted")


class ControlDecision(_D):
    """One policy rule applied in an environment and where it is implemented (security pass)."""

    rule: str
    title: str
    pack: str
    implemented_by: str
    controls: list[str] = Field(default_factory=list)


class ImageSize(_D):
    """Estimated runtime base image vs the naive single-stage baseline (build_context pass)."""

    runtime_image: str
    runtime_mb: float | None
    baseline_image: str
    baseline_mb: float | None
    reduction_percent: float | None = Field(None, description="None when a size is not in library/images.json")
    basis: str = Field(description="how the figures were measured, from library/images.json")


class BuildPlan(_D):
    """How a workload's image is built, detected from its build context (build_context pass)."""

    language: str
    context: str = Field(description="build context relative to stack.yaml, POSIX, no leading ./")
    generated: bool = Field(description="False when the user's own Dockerfile is used (language dockerfile)")
    dockerfile: str = Field("Dockerfile", description="user Dockerfile inside the context (language dockerfile)")
    builder_image: str | None = None
    runtime_image: str | None = None
    package_manager: Literal["pip", "uv", "npm", "go", "maven", "gradle", "none"] = "none"
    dependency_files: list[str] = Field(default_factory=list)
    build_script: bool = Field(False, description="node/static: package.json has a `build` script")
    artifact: str | None = Field(None, description="jar path, Go package or static output directory")
    command: list[str] = Field(default_factory=list)
    command_source: str = ""
    port: int | None = None
    healthcheck: list[str] | None = Field(None, description="exec-form probe; None: no probe (see healthcheck_note)")
    probe: Literal["none", "go", "java"] = Field("none", description="tiny probe binary built for shell-less runtimes")
    healthcheck_note: str | None = None
    run_as_user: int = 10001
    run_as_group: int = 10001
    assumptions: list[str] = Field(default_factory=list)
    size: ImageSize | None = None


class Endpoint(_D):
    """Where a public service or site answers in one environment (endpoints pass)."""

    host: str | None = Field(description="DNS name in this environment; None without a stack `domain`")
    path: str = "/"
    url: str | None = Field(None, description="the URL when it is known before apply (with `domain`): "
                                              "`https://host/path`, or for a tcp service `tls://host:port` "
                                              "(TLS listener) / `tcp://host:port`")
    cdn: bool = False
    output: str = Field(description="Terraform output that holds the URL after apply (always generated)")
    balancer: Literal["alb", "nlb", "cdn"] = Field(
        "alb", description="what answers: the Application Load Balancer (http/grpc services), the Network Load "
                           "Balancer (tcp services, no CloudFront, no WAF) or a site's CloudFront distribution")
    port: int | None = Field(None, description="nlb: the listener port (the service's port)")
    tls: bool = Field(True, description="nlb: a TLS listener with the ACM certificate (with `domain`); False: plain "
                                        "TCP (no certificate is possible on the load balancer's own AWS name)")


class Edge(_D):
    """How one environment's public services and sites are reached (endpoints pass).

    Public tcp services are reached through a separate internet-facing Network Load Balancer in
    either case (TLS listeners with the certificate when there is a domain, plain TCP otherwise).
    With a stack `domain`: an internet-facing ALB with an ACM certificate and a regional web ACL,
    CloudFront (us-east-1 certificate) where `cdn` asks for it, Route 53 aliases. Without one:
    the ALB is internal, and a CloudFront distribution reaches it through a VPC origin and serves
    HTTPS on its own `*.cloudfront.net` name; sites get their distribution's name the same way.
    """

    load_balancer: Literal["none", "internet-facing", "internal"]
    domain: bool = Field(description="ACM certificates and DNS records under the stack domain")
    app_distribution: bool = Field(description="one CloudFront distribution in front of the internal ALB")
    waf: bool = Field(description="AWS WAF web ACL(s) on every HTTP entry point (the ALB, CloudFront); none on "
                                  "the Network Load Balancer, which WAF cannot attach to")
    network_load_balancer: bool = Field(False, description="an internet-facing Network Load Balancer for the public "
                                                           "tcp services, one listener per service port")


class NodeGroup(_D):
    """EKS managed node group of an environment (sizing pass; capacity from the cost pass)."""

    instance_type: str
    min_size: int
    max_size: int
    arch: Literal["arm64", "x86_64"]
    capacity: Literal["on-demand", "spot"] = "on-demand"
