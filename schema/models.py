"""Pydantic models of `stack.yaml`, spec version 1 (see SPEC.md).

Strict: unknown keys are errors (``extra="forbid"``) and every field carries a description,
which becomes the JSON Schema editors use. Cross-field and cross-component rules (references,
cycles, regions, CIDRs) live in the validate pass, where they can point at spec paths.
"""

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from infracc.compiler.corecache import PrebuiltModel
from infracc.schema.types import (
    ComponentName,
    Duration,
    EnvValue,
    EnvVarName,
    ImageRef,
    Quantity,
    Version,
)

Language = Literal["python", "node", "go", "java", "static", "dockerfile"]
Platform = Literal["ecs", "eks"]
Size = Literal["small", "medium", "large"]
Target = Literal["terraform", "kubernetes", "helm", "docker", "compose", "ci", "docs"]
if TYPE_CHECKING:  # mypy rejects float literals; pydantic needs them for the enum
    Cpu = float
else:
    Cpu = Literal[0.25, 0.5, 1, 2, 4, 8, 16]
BucketEvent = Literal["created", "deleted"]
TARGETS: tuple[str, ...] = ("terraform", "kubernetes", "helm", "docker", "compose", "ci", "docs")


def _shape(value: object) -> str:
    # Scalar-or-object fields: pick the branch from the YAML shape so errors name one branch.
    return "Object" if isinstance(value, dict | BaseModel) else "Scalar"


class Strict(PrebuiltModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Allow(Strict):
    """An explicit, reasoned exception to one security or compliance rule."""

    rule: str = Field(description="Rule id from the policy catalogue, e.g. `IC-SEC-010` (see `infracc explain`).",
                      pattern=r"^IC-[A-Z][A-Z0-9]*-[0-9]{3}$")
    reason: str = Field(min_length=10, description="Why the exception is acceptable; printed in the generated docs.")


class Usage(Strict):
    """Expected monthly volumes, used only by the cost estimate."""

    storage_gb: float | None = Field(None, ge=0, description="Average stored GB (buckets, tables, filesystems).")
    requests: int | None = Field(None, ge=0, description="Requests per month (buckets, queues, functions, sites).")
    transfer_gb: float | None = Field(None, ge=0, description="GB transferred out to the internet per month (services, sites).")
    duration_ms: int | None = Field(None, ge=1, description="Average invocation duration in milliseconds (functions).")
    reads: int | None = Field(None, ge=0, description="Read request units per month (on-demand tables): one per strongly consistent read of up to 4 KB, half for an eventually consistent one.")
    writes: int | None = Field(None, ge=0, description="Write request units per month (on-demand tables): one per write of up to 1 KB.")
    read_gb: float | None = Field(None, ge=0, description="GB read per month (filesystems with elastic throughput).")
    write_gb: float | None = Field(None, ge=0, description="GB written per month (filesystems with elastic throughput).")


class Build(Strict):
    """How to build the workload's image from source."""

    context: str = Field(description="Build context directory, relative to stack.yaml; must stay inside the stack's directory.")
    language: Language = Field(description="Toolchain: python, node, go, java, static (built site served by an unprivileged web server) or dockerfile (use the Dockerfile in `context`).")
    version: Version | None = Field(None, description="Language/runtime version, e.g. \"3.12\" for python, \"22\" for node. Quote it.")
    dockerfile: str | None = Field(None, description="Path of an existing Dockerfile inside `context` (language `dockerfile`); default `Dockerfile`.")
    digest: str | None = Field(None, pattern=r"^sha256:[a-f0-9]{64}$", description="Optional digest to pin the runtime base image to, in addition to its tag.")


class HealthCommand(Strict):
    """An exec probe for workloads without an HTTP port."""

    command: list[str] = Field(min_length=1, description="Command run inside the container; exit 0 means healthy.")


class Public(Strict):
    """Internet exposure of a service: the Application Load Balancer (http/grpc) or a Network Load Balancer (tcp)."""

    path: str = Field("/", pattern=r"^/[A-Za-z0-9._~\-/]*$", description="URL path prefix routed to this service (http/grpc only; a tcp service takes the whole port). Default `/`.")
    cdn: bool = Field(False, description="Put a CloudFront distribution in front of the service (http/grpc only: CloudFront and WAF do not carry raw TCP).")
    host: str | None = Field(None, description="Host name (must be under `domain` when set). Default: the stack domain.")


class Replicas(Strict):
    """Horizontal scaling bounds."""

    min: int = Field(1, ge=0, le=1000, description="Minimum replicas. High-availability environments raise it to at least 2.")
    max: int = Field(1, ge=1, le=1000, description="Maximum replicas for autoscaling.")
    cpu_target: int = Field(70, ge=10, le=95, description="Target average CPU utilisation (percent) for autoscaling.")

    @model_validator(mode="after")
    def _bounds(self) -> "Replicas":
        if self.max < self.min:
            raise ValueError(f"replicas.max ({self.max}) is below replicas.min ({self.min})")
        return self


class Deploy(Strict):
    """Rollout strategy."""

    strategy: Literal["rolling", "blue-green", "canary"] = Field("rolling", description="rolling, blue-green (switch all traffic after checks) or canary (shift traffic in `steps`).")
    steps: list[Annotated[int, Field(ge=1, le=100)]] | None = Field(None, description="Canary traffic percentages, increasing, ending at 100. Default [10, 50, 100] for canary.")

    @model_validator(mode="after")
    def _steps(self) -> "Deploy":
        if self.steps is None:
            return self
        if self.strategy != "canary":
            raise ValueError("`steps` only applies to strategy `canary`")
        if not self.steps or self.steps != sorted(set(self.steps)) or self.steps[-1] != 100:
            raise ValueError("canary steps must increase strictly and end at 100")
        return self


class Tracing(Strict):
    """Distributed tracing with an explicit sampling rate."""

    sample_rate: float | None = Field(None, ge=0, le=1, description="Fraction of traces recorded, 0.0 to 1.0 (services and jobs: the OpenTelemetry SDK's `parentbased_traceidratio` sampler; functions: an X-Ray sampling rule for the function). Default from the environment's size: 1.0 small, 0.5 medium, 0.1 large (functions without it: X-Ray's default rule, the first request each second and 5% of the rest).")


TracingSpec = Annotated[Annotated[bool, Tag("Scalar")] | Annotated[Tracing, Tag("Object")], Discriminator(_shape)]
TRACING_DESCRIPTION = ("`true`, `false` or `{sample_rate}`: OpenTelemetry traces to AWS X-Ray. Services and jobs get an "
                       "ADOT collector (an ECS sidecar, or one `otel-collector` Deployment per namespace on eks) and the "
                       "`OTEL_*` environment of the OpenTelemetry SDKs; functions get Lambda active tracing. Default: the "
                       "stack's `tracing`; without it, functions on and services/jobs off.")


class Common(Strict):
    """Fields every component has."""

    description: str | None = Field(None, description="What this component is for; shown in the runbook.")
    allow: list[Allow] = Field(default_factory=list, description="Reasoned exceptions to named policy rules.")
    usage: Usage | None = Field(None, description="Expected monthly volumes for the cost estimate.")


class RunAs(Strict):
    """The numeric user (and group) a workload's container runs as."""

    user: int = Field(ge=0, le=2147483647, description="Numeric UID, e.g. `101` for the stock nginx image. `0` (root) is refused unless the component has `allow: [{rule: IC-SEC-013, reason: ...}]`, and never on eks (its namespaces enforce Pod Security `restricted`). Default 10001, or the image's own user for the prebuilt images infracc knows (library/prebuilt_images.json).")
    group: int | None = Field(None, ge=0, le=2147483647, description="Numeric GID; also the group of the writable volumes. Default: the same number as `user`.")


WritablePath = Annotated[str, Field(pattern=r"^/[^\s:,]*$", max_length=255)]
MountPathText = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[^\s:,]+$")]


class Mount(Strict):
    """A shared file system mounted into the workload's containers."""

    filesystem: ComponentName = Field(description="Name of an entry under `filesystems:`.")
    path: MountPathText = Field(description="Absolute directory in the container, e.g. `/srv/media`. Not `/`, not /tmp or a `writable` path, not under /proc, /sys or /dev (IC-FS-006).")
    read_only: bool = Field(False, description="Mount read-only: the workload may read but never write (no `elasticfilesystem:ClientWrite`, a read-only mount on every target). Default false.")


# `filesystem:/path` is the read-write shorthand, as `uses` writes `name:mode`.
MountShorthand = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}:[^\s:,]+$", max_length=287)]
MountSpec = Annotated[Annotated[MountShorthand, Tag("Scalar")] | Annotated[Mount, Tag("Object")], Discriminator(_shape)]


class WorkloadFields(Strict):
    image: ImageRef | None = Field(None, description="Prebuilt image reference, pinned by tag or digest. Exactly one of `image`/`build`.")
    build: Build | None = Field(None, description="Build the image from source. Exactly one of `image`/`build`.")
    command: list[str] | None = Field(None, min_length=1, description="Override the image's command.")
    env: dict[EnvVarName, EnvValue] = Field(default_factory=dict, description="Environment variables: literals or `${component.output}` placeholders; `$${` writes a literal `${`.")
    secrets: list[EnvVarName] = Field(default_factory=list, description="Env var names whose values come from the secret store (AWS Secrets Manager). Values never appear in the spec.")
    cpu: Cpu | None = Field(None, description="vCPU: 0.25, 0.5, 1, 2, 4, 8 or 16. Default from the environment's size.")
    memory: Quantity | None = Field(None, description="Memory such as `512Mi` or `2Gi`; must be a valid Fargate pairing with `cpu`. Default from size.")
    uses: list[str] = Field(default_factory=list, description="Connections: `name` or `name:mode`. Each grants network access, least-privilege IAM and injected env vars.")
    health: Annotated[Annotated[str, Tag("Scalar")] | Annotated[HealthCommand, Tag("Object")], Discriminator(_shape)] | None = Field(None, description="HTTP path (services with a port; default `/`) or `{command: [...]}` exec probe.")
    writable: list[WritablePath] | None = Field(None, description="Absolute directories the image writes (e.g. `[/var/cache/nginx, /var/run]`). The root filesystem stays read-only; each path becomes an empty writable volume (Kubernetes emptyDir, an ECS task volume, a compose tmpfs); `/tmp` always is one. Not `/`, not under /proc, /sys or /dev, no duplicates. Absent: only /tmp, or for a prebuilt image infracc knows (library/prebuilt_images.json) the paths that image writes, with a warning saying what was assumed.")
    run_as: RunAs | None = Field(None, description="`{user: UID, group: GID}` the container runs as, for a prebuilt image that needs its own user. Absent: UID/GID 10001, or the image's own user for the prebuilt images infracc knows.")
    mounts: list[MountSpec] = Field(default_factory=list, description="Shared file systems (`filesystems:`) mounted into the containers: `filesystem:/path` (read-write) or `{filesystem, path, read_only}`. Each becomes an EFS access point for this workload (its `run_as` user, root directory `/<workload>`), NFS from this workload only, IAM mount (and write unless read-only) permissions; an ECS EFS volume, a Kubernetes PersistentVolume + claim, a compose named volume.")
    tracing: TracingSpec | None = Field(None, description=TRACING_DESCRIPTION)


class ServiceFields(WorkloadFields):
    port: int | None = Field(None, ge=1, le=65535, description="Container port. Absent: a background worker with no load balancer.")
    protocol: Literal["http", "grpc", "tcp"] = Field("http", description="http, grpc or tcp. A public http/grpc service sits behind the environment's HTTPS Application Load Balancer; a public tcp service behind its Network Load Balancer, on its own `port` (TLS terminated there with an ACM certificate when the stack has a `domain`, plain TCP otherwise; no CloudFront, no WAF). Internal tcp services are reached through service discovery.")
    public: Annotated[Annotated[bool, Tag("Scalar")] | Annotated[Public, Tag("Object")], Discriminator(_shape)] | None = Field(None, description="`true` or `{path, cdn, host}`: reachable from the internet through the load balancer / Ingress (a tcp service: `true` or `{host}` only; two public tcp services may not share a port).")
    replicas: Annotated[Annotated[int, Tag("Scalar")] | Annotated[Replicas, Tag("Object")], Discriminator(_shape)] | None = Field(None, description="Fixed count or `{min, max, cpu_target}`. Default from size.")
    deploy: Deploy | None = Field(None, description="Rollout strategy; default rolling.")
    stateful: bool = Field(False, description="Run as a StatefulSet with a volume (eks only).")
    volume_gb: int | None = Field(None, ge=1, le=16384, description="Volume size for stateful services (GiB). Default 10.")
    migrate: list[str] | None = Field(None, min_length=1, description="Command run once per deploy before new replicas start.")
    singleton: bool | None = Field(None, description="`true`: at most one copy ever runs, even during a deploy (a scheduler, a leader-only consumer): one replica in every environment (high availability does not raise it), replaced stop-then-start (ECS 0%/100%, Kubernetes `Recreate`), no autoscaling. `replicas` above 1 or a range is an error. `false`: never treated as one. Absent: a service with one replica and no `port` is a singleton.")


class JobFields(WorkloadFields):
    schedule: str | None = Field(None, description="5-field cron expression in UTC. Absent: a run-once job.")
    timeout: Duration | None = Field(None, description="Maximum run time, e.g. `30m`. Default 1h.")
    retries: int = Field(1, ge=0, le=10, description="Retries after a failed run.")
    singleton: bool | None = Field(None, description="`true` or absent: on Kubernetes a scheduled run is skipped while the previous one still runs (CronJob `concurrencyPolicy: Forbid`). ECS schedules (EventBridge Scheduler → RunTask) cannot forbid an overlap and do not stop a run at `timeout`: with `true` on ecs the application must take a lock itself (e.g. a database advisory lock), and infracc warns. `false`: runs may overlap (`concurrencyPolicy: Allow`).")


class DatabaseFields(Strict):
    engine: Literal["postgres", "mysql"] = Field("postgres", description="postgres or mysql.")
    version: Version | None = Field(None, description="Major engine version, e.g. \"16\" (postgres) or \"8.0\" (mysql). Default: the newest supported.")
    storage_gb: int | None = Field(None, ge=20, le=65536, description="Allocated gp3 storage in GB. Default from size.")
    instance: str | None = Field(None, pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="Explicit instance class such as `db.m7g.large`; overrides sizing.")
    backup_retention_days: int | None = Field(None, ge=0, le=35, description="Automated backup retention. Default from size and compliance.")
    contains_pii: bool = Field(False, description="Holds personal data: customer-managed KMS key, tagging, data inventory.")


class CacheFields(Strict):
    engine: Literal["redis", "valkey"] = Field("valkey", description="valkey or redis.")
    version: Version | None = Field(None, description="Engine version, e.g. \"8.0\" (valkey) or \"7.1\" (redis).")
    node: str | None = Field(None, pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$", description="Explicit node type such as `cache.t4g.small`; overrides sizing.")
    contains_pii: bool = Field(False, description="Holds personal data.")


class Lifecycle(Strict):
    archive_after_days: int | None = Field(None, ge=1, description="Move objects to a colder storage class after this many days.")
    expire_after_days: int | None = Field(None, ge=1, description="Delete objects after this many days.")

    @model_validator(mode="after")
    def _order(self) -> "Lifecycle":
        a, e = self.archive_after_days, self.expire_after_days
        if a is not None and e is not None and e <= a:
            raise ValueError("expire_after_days must be later than archive_after_days")
        return self


class BucketFields(Strict):
    versioning: bool = Field(True, description="Keep object versions.")
    lifecycle: Lifecycle | None = Field(None, description="Archive and expiry rules.")
    cors: list[str] = Field(default_factory=list, description="Origins allowed by CORS, e.g. `https://app.example.com`.")
    public_read: bool = Field(False, description="Public read access; refused unless allowed (serve public files through a site instead).")
    contains_pii: bool = Field(False, description="Holds personal data.")


class DeadLetter(Strict):
    max_receives: int = Field(5, ge=1, le=1000, description="Receives before a message moves to the dead-letter queue.")


class QueueFields(Strict):
    fifo: bool = Field(False, description="FIFO queue with exactly-once processing.")
    visibility_timeout: Duration = Field("30s", description="How long a received message stays hidden (≤ 12h).")
    retention: Duration = Field("4d", description="How long unconsumed messages are kept (60s..14d).")
    dead_letter: DeadLetter = Field(default_factory=DeadLetter, description="Dead-letter queue settings (always created).")
    contains_pii: bool = Field(False, description="Holds personal data.")


AttributeName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")]
IndexName = Annotated[str, Field(min_length=3, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")]


class TableKey(Strict):
    """A key attribute of a table or index: its name and DynamoDB scalar type."""

    name: AttributeName = Field(description="Attribute name (A-Z, a-z, 0-9, `_`, `-`, `.`).")
    type: Literal["string", "number", "binary"] = Field("string", description="string (S), number (N) or binary (B). Default string.")


KeySpec = Annotated[Annotated[AttributeName, Tag("Scalar")] | Annotated[TableKey, Tag("Object")], Discriminator(_shape)]


class TableIndex(Strict):
    """A global secondary index: another key to query the table by."""

    partition_key: KeySpec = Field(description="`name` (a string attribute) or `{name, type}`.")
    sort_key: KeySpec | None = Field(None, description="`name` or `{name, type}`. Absent: the index has a partition key only.")
    projection: Literal["all", "keys-only"] = Field("all", description="Attributes copied into the index: all, or keys-only (the table and index keys). Default all.")


class TableFields(Strict):
    partition_key: KeySpec = Field(description="Partition (hash) key: `name` (a string attribute) or `{name, type}`.")
    sort_key: KeySpec | None = Field(None, description="Sort (range) key: `name` or `{name, type}`. Absent: items are addressed by the partition key alone.")
    indexes: dict[IndexName, TableIndex] = Field(default_factory=dict, max_length=20, description="Global secondary indexes by name (at most 20). A `read` or `read-write` user may query them; a `write` user gets no index access.")
    ttl_attribute: AttributeName | None = Field(None, description="Attribute holding an expiry time in epoch seconds; DynamoDB deletes expired items. Not a key attribute. Absent: no TTL.")
    stream: Literal["keys-only", "new-image", "old-image", "new-and-old-images"] | None = Field(None, description="DynamoDB Streams view of every change: keys-only, new-image, old-image or new-and-old-images. Absent: no stream.")
    capacity: Literal["on-demand", "provisioned"] | None = Field(None, description="Billing mode: on-demand (pay per request) or provisioned (read/write capacity units with target-tracking auto scaling up to 4 times them). Default on-demand.")
    read_units: int | None = Field(None, ge=1, le=40000, description="Provisioned read capacity units (the auto-scaling minimum), for the table and each index. Only with `capacity: provisioned`. Default from the environment's size: 5 small, 25 medium, 100 large.")
    write_units: int | None = Field(None, ge=1, le=40000, description="Provisioned write capacity units (the auto-scaling minimum), for the table and each index. Only with `capacity: provisioned`. Default from the environment's size: 5 small, 25 medium, 100 large.")
    contains_pii: bool = Field(False, description="Holds personal data: a dedicated customer-managed KMS key, tagging, data inventory.")


# External dependencies (issue #16). A timeout may be given in milliseconds; other durations
# use the shared `Duration` type (s, m, h, d).
Timeout = Annotated[str, Field(pattern=r"^[1-9][0-9]*(ms|s|m)$")]


class CircuitBreaker(Strict):
    """When the application's client stops calling an external dependency for a while."""

    failures: int | None = Field(None, ge=1, le=1000, description="Failed calls (errors and timeouts) within `window` that open the circuit. Default 5.")
    window: Duration | None = Field(None, description="Time window the failures are counted in (10s..1h). Default 60s.")
    open_for: Duration | None = Field(None, description="How long the circuit stays open (calls fail fast) before one trial call is let through (1s..1h). Default 30s.")


class ExternalFields(Strict):
    host: str = Field(min_length=1, max_length=2048, description="Where the dependency answers: a DNS name (`api.stripe.com`) or a URL (`https://api.stripe.com/v1`); a URL's scheme sets `protocol` and its port `port` when those are not written.")
    port: int | None = Field(None, ge=1, le=65535, description="TCP port. Default: the URL's port, else 443 for https, 80 for http; required for tcp.")
    protocol: Literal["https", "http", "tcp"] | None = Field(None, description="https, http or tcp. Default: the URL's scheme, else https.")
    timeout: Timeout | None = Field(None, description="Time the application's client waits for one call, e.g. `800ms`, `5s` (at most 15m). Default 5s.")
    retries: int | None = Field(None, ge=0, le=10, description="Retries after a failed or timed-out call (with backoff, idempotent calls only). Default 2.")
    circuit_breaker: CircuitBreaker | None = Field(None, description="`{failures, window, open_for}`: the client stops calling after `failures` failed calls within `window`, for `open_for`. Default {failures: 5, window: 60s, open_for: 30s}.")
    critical: bool = Field(False, description="The stack cannot serve without it: the alarm fires after one minute instead of three and the runbook says so. Default false (the application degrades).")
    status_page: str | None = Field(None, max_length=2048, pattern=r"^https?://[^\s]+$", description="The provider's status page URL; shown in the runbook.")
    contact: str | None = Field(None, max_length=256, description="Who to call at the provider (support address, account id); shown in the runbook.")
    local: str | None = Field(None, max_length=2048, description="compose only: an http(s) URL the local users call instead, e.g. a mock you add to the compose project (`http://payments-mock:8080`). Default: the first environment's host.")


class SecretGenerate(Strict):
    """A value infracc creates once, when the secret is first created."""

    length: int | None = Field(None, ge=32, le=256, description="Number of random hexadecimal characters (4 bits each). Default 64 (256 bits).")


class SharedSecretFields(Strict):
    generate: SecretGenerate | None = Field(None, description="`{length}`: a random value written once at creation. Exactly one of `generate` / `value_from`.")
    value_from: Literal["external"] | None = Field(None, description="`external`: the secret is created empty and an operator sets its value after the first apply (`infracc tasks` prints the command). Exactly one of `generate` / `value_from`.")
    variable: EnvVarName | None = Field(None, description="Environment variable the using workloads read it from. Default: the name in upper case with `-` as `_` (`django-key` → `DJANGO_KEY`).")

    @model_validator(mode="after")
    def _one_source(self) -> "SharedSecretFields":
        if (self.generate is None) == (self.value_from is None):
            raise ValueError("set exactly one of `generate` or `value_from`")
        return self


class FilesystemFields(Strict):
    throughput: Literal["elastic", "bursting"] | None = Field(None, description="EFS throughput mode: elastic (pay per GB read and written, scales with the workload; AWS's recommendation for spiky or unknown loads) or bursting (throughput grows with the stored size, no per-GB transfer charge). Default elastic.")
    infrequent_access_after_days: Literal[0, 1, 7, 14, 30, 60, 90, 180, 270, 365] | None = Field(None, description="Days without access before a file moves to the Infrequent Access storage class (cheaper storage, a charge per GB read back; it moves back on first access). `0`: never. Default: 30 in large environments, never in the others (the sizing pass).")
    one_zone: bool = Field(False, description="EFS One Zone storage: the data lives in one availability zone (about half the price of Standard, lost with that zone). Refused in high-availability environments (IC-FS-005): set it in the overrides of the environments that may lose it. Default false (Standard, every zone of the region).")
    contains_pii: bool = Field(False, description="Holds personal data: a dedicated customer-managed KMS key, tagging, data inventory.")


def _created() -> list[BucketEvent]:
    return ["created"]


class BucketTrigger(Strict):
    bucket: ComponentName = Field(description="Bucket whose object events invoke the function.")
    events: list[BucketEvent] = Field(default_factory=_created, min_length=1, description="Object events: created, deleted.")


class QueueTrigger(Strict):
    queue: ComponentName = Field(description="Queue whose messages invoke the function.")
    batch_size: int = Field(10, ge=1, le=10000, description="Messages per invocation.")


class TableTrigger(Strict):
    table: ComponentName = Field(description="Table whose stream of changes invokes the function; the table needs `stream`.")
    batch_size: int = Field(100, ge=1, le=10000, description="Stream records per invocation. Default 100.")
    starting_position: Literal["latest", "trim-horizon"] = Field("latest", description="Where a new mapping starts reading: latest (changes from now on) or trim-horizon (the oldest record still in the stream, up to 24 hours). Default latest.")


class ScheduleTrigger(Strict):
    schedule: str = Field(description="5-field cron expression in UTC.")


class HttpRoute(Strict):
    path: str = Field("/", pattern=r"^/[A-Za-z0-9._~\-/{}+]*$", description="Route path on the HTTP API.")


class HttpTrigger(Strict):
    http: HttpRoute = Field(description="Expose the function through an API Gateway HTTP API.")


def _trigger_tag(value: object) -> str | None:
    if isinstance(value, dict):
        for key in ("bucket", "queue", "table", "schedule", "http"):
            if key in value:
                return key.capitalize().replace("Http", "Http") + "Trigger"
        return None
    return type(value).__name__


Trigger = Annotated[
    Annotated[BucketTrigger, Tag("BucketTrigger")] | Annotated[QueueTrigger, Tag("QueueTrigger")]
    | Annotated[TableTrigger, Tag("TableTrigger")] | Annotated[ScheduleTrigger, Tag("ScheduleTrigger")] | Annotated[HttpTrigger, Tag("HttpTrigger")],
    Discriminator(_trigger_tag, custom_error_type="trigger",
                  custom_error_message="a trigger is one of {bucket, events}, {queue}, {table}, {schedule} or {http: {path}}"),
]


class FunctionFields(Strict):
    runtime: str = Field(pattern=r"^(python3\.(9|1[0-4])|nodejs(18|20|22|24)\.x|java(11|17|21|25)|provided\.al2023|provided\.al2|ruby3\.[2-4]|dotnet[0-9]+)$",
                         description="AWS Lambda runtime id, e.g. `python3.12`, `nodejs22.x`.")
    source: str = Field(description="Source directory, relative to stack.yaml.")
    handler: str = Field(min_length=1, description="Handler entry point, e.g. `app.handler`.")
    memory: int = Field(256, ge=128, le=10240, description="Memory in MB (128..10240).")
    timeout: Duration = Field("30s", description="Maximum run time (≤ 15m).")
    trigger: Trigger | None = Field(None, description="One of `{bucket, events}`, `{queue}`, `{table}` (a table's stream: `{table, batch_size, starting_position}`), `{schedule}`, `{http: {path}}`.")
    env: dict[EnvVarName, EnvValue] = Field(default_factory=dict, description="Environment variables (literals or placeholders).")
    secrets: list[EnvVarName] = Field(default_factory=list, description="Env var names from the secret store.")
    uses: list[str] = Field(default_factory=list, description="Connections, as for services.")
    mounts: list[MountSpec] = Field(default_factory=list, description="Not supported: a function cannot mount a file system (refused with IC-FS-004; Lambda would need the VPC and an access point). Mount it in a service or job, or keep the files in a bucket.")
    tracing: TracingSpec | None = Field(None, description=TRACING_DESCRIPTION)


class SiteFields(Strict):
    source: str = Field(description="Directory of the built static site, relative to stack.yaml.")
    spa: bool = Field(False, description="Single-page app: unknown paths serve index.html.")
    host: str | None = Field(None, description="Host name under `domain`.")
