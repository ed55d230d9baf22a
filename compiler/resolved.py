"""The resolved model: what each component *is* in one environment, every default decided.

The spec models (`infracc.schema`) describe what a user may write, with shorthands
(`public: true`, `health: "/x"`, `replicas: 3`) and `None` meaning "the default". The resolve
pass turns each component's effective spec into one of the frozen objects below: no unions
of shapes, no `None` that means "pick something". Backends, docs, cost, tasks and the graph
read these objects and the pass decisions, never the spec (a test enforces it). Each default
is decided here, once, and named on its field.

Access is typed: ``service(comp)`` returns the `Service` of a service component and raises
`ResolvedMissing` when the resolve pass has not run — a usage error, not an AttributeError.
"""

from typing import Annotated, Literal, Protocol, TypeVar

from pydantic import ConfigDict, Field

from infracc.compiler.corecache import PrebuiltModel

# Defaults decided once (SPEC.md names each one).
PROBE_INTERVAL_SECONDS = 10
PROBE_TIMEOUT_SECONDS = 5
PROBE_HEALTHY_THRESHOLD = 2
PROBE_UNHEALTHY_THRESHOLD = 3
PROBE_GRACE_SECONDS = 30
CANARY_STEPS = (10, 50, 100)
BAKE_MINUTES = 10
JOB_TIMEOUT_SECONDS = 3600
MIGRATION_TIMEOUT_SECONDS = 3600
VOLUME_GB = 10
# External dependencies (`externals:`): the client settings when the spec does not say.
EXTERNAL_TIMEOUT_MS = 5000
EXTERNAL_RETRIES = 2
BREAKER_FAILURES = 5
BREAKER_WINDOW_SECONDS = 60
BREAKER_OPEN_SECONDS = 30
# Its alarm: one minute of errors for a critical dependency, three of five otherwise.
EXTERNAL_ALARM_PERIODS = {True: (1, 1), False: (3, 5)}
# Shared secrets (`secrets:`): random hex characters written once.
SECRET_LENGTH = 64
# The ports a URL without one means.
SCHEME_PORTS = {"https": 443, "http": 80}
# The hardening profile's user and the directory every workload may write (IC-SEC-005).
RUN_AS_UID = 10001
ALWAYS_WRITABLE = "/tmp"


class _R(PrebuiltModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Probe(_R):
    """How a workload's health is checked: the same probe and timings on every target."""

    kind: Literal["http", "grpc", "tcp", "exec", "none"] = Field(
        description="http: GET `path` on the port (default for http services); grpc/tcp: a TCP connect on the "
                    "port; exec: run `command`; none: a worker with neither port nor `health`")
    path: str | None = Field(None, description="http only; default `/`")
    command: tuple[str, ...] = Field((), description="exec only")
    interval_seconds: int = PROBE_INTERVAL_SECONDS
    timeout_seconds: int = PROBE_TIMEOUT_SECONDS
    healthy_threshold: int = PROBE_HEALTHY_THRESHOLD
    unhealthy_threshold: int = PROBE_UNHEALTHY_THRESHOLD
    grace_seconds: int = Field(PROBE_GRACE_SECONDS, description="start period before failures count")


class Rollout(_R):
    """How new versions of a service replace old ones."""

    strategy: Literal["rolling", "blue-green", "canary"] = Field(description="default rolling")
    steps: tuple[int, ...] = Field(description="canary traffic percentages ending at 100 (default 10, 50, 100); "
                                               "blue-green (100,); rolling ()")
    bake_minutes: int = Field(BAKE_MINUTES, description="wait after the last traffic shift before the old version goes")

    @property
    def shifts_traffic(self) -> bool:
        """blue-green and canary move traffic between two versions (two target groups / a Rollout)."""
        return self.strategy != "rolling"


class Exposure(_R):
    """Internet exposure as written (`public: true` is `path: /`, no cdn, the stack domain)."""

    path: str = "/"
    cdn: bool = False
    host: str | None = Field(None, description="host as written; the endpoints pass derives each environment's host")


class RunAs(_R):
    """The numeric user and group a workload's container runs as."""

    user: int = RUN_AS_UID
    group: int = RUN_AS_UID


class Mount(_R):
    """A file system mounted into a workload: one EFS access point per (workload, file system)."""

    filesystem: str
    path: str = Field(description="absolute directory in the container (normalised)")
    read_only: bool = False


# Tracing when neither the workload nor the stack says: Lambda active tracing costs nothing but
# the traces it records, so functions keep it; a container's collector takes memory in every
# task or a Deployment per namespace, so services and jobs are traced only when asked.
FUNCTION_TRACING = True
WORKLOAD_TRACING = False


class Tracing(_R):
    """Tracing as written: the component's own `tracing`, else the stack's, else the kind's default."""

    enabled: bool
    sample_rate: float | None = Field(None, description="as written; None: the sizing pass picks one per environment size")


class Workload(_R):
    """Fields services and jobs share."""

    name: str
    description: str | None = None
    image: str | None = Field(description="prebuilt image reference; None when infracc builds it (see the build decision)")
    command: tuple[str, ...] = Field((), description="empty: the image's own command")
    secrets: tuple[str, ...] = ()
    probe: Probe
    writable: tuple[str, ...] = Field(
        (ALWAYS_WRITABLE,), description=f"directories writable under the read-only root, each an empty volume: "
                                        f"{ALWAYS_WRITABLE} first, then `writable` as written (normalised, once each), "
                                        "or what a known prebuilt image writes when the spec says nothing")
    run_as: RunAs = Field(RunAs(), description=f"`run_as` as written (group defaults to the user), else a known "
                                               f"prebuilt image's own user, else {RUN_AS_UID}:{RUN_AS_UID}")
    assumed_from: str | None = Field(
        None, description="the library/prebuilt_images.json row (repository) that filled `writable` or `run_as` "
                          "because the spec did not say; None when nothing was assumed")
    assumed: tuple[Literal["writable", "run_as"], ...] = Field((), description="which fields that row filled")
    mounts: tuple[Mount, ...] = Field((), description="file systems mounted, as written (one per file system; "
                                                      "`fs:/path` is read-write)")
    tracing: Tracing = Field(Tracing(enabled=WORKLOAD_TRACING), description=f"default {WORKLOAD_TRACING} (see WORKLOAD_TRACING)")

    @property
    def built(self) -> bool:
        return self.image is None


class Service(Workload):
    kind: Literal["service"] = "service"
    port: int | None = Field(description="None: a background worker")
    protocol: Literal["http", "grpc", "tcp"]
    public: Exposure | None = Field(description="None unless public (with a port)")
    rollout: Rollout
    stateful: bool = False
    volume_gb: int | None = Field(description=f"stateful only; default {VOLUME_GB}")
    migrate: tuple[str, ...] = Field((), description="empty: no migration step")
    singleton: bool | None = Field(None, description="as written: True forces a singleton, False opts out, None lets "
                                                     "the sizing pass infer it (one replica, no port)")


class Job(Workload):
    kind: Literal["job"] = "job"
    schedule: str | None = Field(description="5-field cron in UTC; None: run once")
    timeout_seconds: int = Field(description=f"default {JOB_TIMEOUT_SECONDS} (1h)")
    retries: int
    singleton: bool | None = Field(None, description="as written: True/None forbid overlapping scheduled runs where "
                                                     "the platform can (CronJob), False allows them")


class Database(_R):
    kind: Literal["database"] = "database"
    name: str
    description: str | None = None
    engine: Literal["postgres", "mysql"]
    contains_pii: bool


class Cache(_R):
    kind: Literal["cache"] = "cache"
    name: str
    description: str | None = None
    engine: Literal["redis", "valkey"]
    contains_pii: bool


class Bucket(_R):
    kind: Literal["bucket"] = "bucket"
    name: str
    description: str | None = None
    versioning: bool
    archive_after_days: int | None
    expire_after_days: int | None
    cors: tuple[str, ...]
    public_read: bool
    contains_pii: bool


class Queue(_R):
    kind: Literal["queue"] = "queue"
    name: str
    description: str | None = None
    fifo: bool
    visibility_timeout_seconds: int
    retention_seconds: int
    max_receives: int
    contains_pii: bool

    @property
    def aws_suffix(self) -> str:
        return ".fifo" if self.fifo else ""


class TableKey(_R):
    """A key attribute: `partition_key: id` is `TableKey(name="id", type="string")`."""

    name: str
    type: Literal["string", "number", "binary"] = "string"

    @property
    def dynamodb_type(self) -> Literal["S", "N", "B"]:
        return "S" if self.type == "string" else "N" if self.type == "number" else "B"


class TableIndex(_R):
    """A global secondary index (sorted by name)."""

    name: str
    partition_key: TableKey
    sort_key: TableKey | None
    projection: Literal["all", "keys-only"] = "all"


class Table(_R):
    kind: Literal["table"] = "table"
    name: str
    description: str | None = None
    partition_key: TableKey
    sort_key: TableKey | None
    indexes: tuple[TableIndex, ...] = Field((), description="global secondary indexes, sorted by name")
    ttl_attribute: str | None = Field(None, description="None: no TTL")
    stream: Literal["keys-only", "new-image", "old-image", "new-and-old-images"] | None = Field(
        None, description="the stream view type; None: no stream")
    contains_pii: bool

    @property
    def attributes(self) -> tuple[TableKey, ...]:
        """Every key attribute of the table and its indexes once, sorted by name (the attribute
        definitions DynamoDB wants; validation refused two types for one name)."""
        keys = [self.partition_key, *([self.sort_key] if self.sort_key else [])]
        for index in self.indexes:
            keys += [index.partition_key, *([index.sort_key] if index.sort_key else [])]
        return tuple(sorted({k.name: k for k in keys}.values(), key=lambda k: k.name))


# EFS access points: the root directory each workload sees, created on first use owned by the
# workload's user with this mode (owner and group write, others read and traverse).
ACCESS_POINT_PERMISSIONS = "0755"


class Filesystem(_R):
    kind: Literal["filesystem"] = "filesystem"
    name: str
    description: str | None = None
    throughput: Literal["elastic", "bursting"] = Field(description="default elastic")
    one_zone: bool = Field(False, description="EFS One Zone storage (first private subnet's zone); default Standard")
    contains_pii: bool


class BucketTrigger(_R):
    kind: Literal["bucket"] = "bucket"
    bucket: str
    events: tuple[Literal["created", "deleted"], ...]


class QueueTrigger(_R):
    kind: Literal["queue"] = "queue"
    queue: str
    batch_size: int


class TableTrigger(_R):
    kind: Literal["table"] = "table"
    table: str
    batch_size: int
    starting_position: Literal["latest", "trim-horizon"]


class ScheduleTrigger(_R):
    kind: Literal["schedule"] = "schedule"
    schedule: str


class HttpTrigger(_R):
    kind: Literal["http"] = "http"
    path: str


Trigger = Annotated[BucketTrigger | QueueTrigger | TableTrigger | ScheduleTrigger | HttpTrigger, Field(discriminator="kind")]


class Function(_R):
    kind: Literal["function"] = "function"
    name: str
    description: str | None = None
    runtime: str
    source: str
    handler: str
    memory_mb: int
    timeout_seconds: int
    trigger: Trigger | None = Field(description="None: invoked only by its users")
    secrets: tuple[str, ...] = ()
    tracing: Tracing = Field(Tracing(enabled=FUNCTION_TRACING), description=f"default {FUNCTION_TRACING} (see FUNCTION_TRACING)")

    @property
    def family(self) -> Literal["python", "nodejs"] | None:
        """Runtimes whose dependencies CI can package (pip / npm)."""
        if self.runtime.startswith("python"):
            return "python"
        if self.runtime.startswith("nodejs"):
            return "nodejs"
        return None


class Site(_R):
    kind: Literal["site"] = "site"
    name: str
    description: str | None = None
    source: str
    spa: bool
    host: str | None


class External(_R):
    """A dependency outside the stack: where it answers and how the application's client treats it."""

    kind: Literal["external"] = "external"
    name: str
    description: str | None = None
    host: str = Field(description="the DNS name (a URL's host)")
    port: int = Field(description="as written, else the URL's port, else 443 (https) / 80 (http)")
    protocol: Literal["https", "http", "tcp"] = Field(description="as written, else the URL's scheme, else https")
    path: str = Field("", description="a URL's path without the trailing `/` ('' for none)")
    timeout_ms: int = Field(description=f"default {EXTERNAL_TIMEOUT_MS}")
    retries: int = Field(description=f"default {EXTERNAL_RETRIES}")
    breaker_failures: int = Field(description=f"default {BREAKER_FAILURES}")
    breaker_window_seconds: int = Field(description=f"default {BREAKER_WINDOW_SECONDS}")
    breaker_open_seconds: int = Field(description=f"default {BREAKER_OPEN_SECONDS}")
    critical: bool = False
    status_page: str | None = None
    contact: str | None = None
    local: tuple[str, int, str] | None = Field(None, description="compose: (host, port, url) of `local`; None: the real one")

    @property
    def url(self) -> str:
        """`https://api.example.com` (the port only when it is not the scheme's); `host:port` for tcp."""
        if self.protocol == "tcp":
            return f"{self.host}:{self.port}"
        port = "" if SCHEME_PORTS[self.protocol] == self.port else f":{self.port}"
        return f"{self.protocol}://{self.host}{port}{self.path}"

    def output(self, name: str, local: bool = False) -> str:
        """The value of one output (ir.OUTPUTS["external"]): the same text on every target, except
        where and how compose calls it when `local` is set."""
        if local and self.local is not None and name in ("host", "port", "url"):
            return {"host": self.local[0], "port": str(self.local[1]), "url": self.local[2]}[name]
        return {"url": self.url, "host": self.host, "port": str(self.port), "timeout_ms": str(self.timeout_ms),
                "retries": str(self.retries), "cb_failures": str(self.breaker_failures),
                "cb_window_s": str(self.breaker_window_seconds), "cb_open_s": str(self.breaker_open_seconds)}[name]

    @property
    def alarm_period_seconds(self) -> int:
        """The breaker's window rounded up to whole minutes (CloudWatch periods of a minute or more)."""
        return max(60, -(-self.breaker_window_seconds // 60) * 60)

    @property
    def alarm_periods(self) -> tuple[int, int]:
        """(datapoints to alarm, evaluation periods)."""
        return EXTERNAL_ALARM_PERIODS[self.critical]


class SharedSecret(_R):
    """A secret several workloads read: one Secrets Manager secret, JSON `{"value": ...}`."""

    kind: Literal["secret"] = "secret"
    name: str
    description: str | None = None
    variable: str = Field(description="the variable users read it as: `variable`, else the name in upper case (`-` → `_`)")
    generate_length: int | None = Field(description="random hex characters written at creation; None: set by an operator")

    @property
    def generated(self) -> bool:
        return self.generate_length is not None


Resolved = (Service | Job | Database | Cache | Bucket | Queue | Table | Filesystem | Function | Site | External
            | SharedSecret)


class ResolvedMissing(RuntimeError):
    """A backend asked for the resolved model before the resolve pass ran (a usage error)."""


T = TypeVar("T", bound=_R)


class Resolvable(Protocol):
    """What the accessors need of a component (`ir.Component`, which imports this module)."""

    @property
    def id(self) -> str: ...

    @property
    def kind(self) -> str: ...


def _get(comp: Resolvable, cls: type[T]) -> T:
    r = getattr(comp, "resolved", None)
    if r is None:
        raise ResolvedMissing(f"{comp.id}: the resolve pass has not run; run the passes before the backends")
    if not isinstance(r, cls):
        raise TypeError(f"{comp.id} is a {comp.kind}, not a {cls.__name__.lower()}")
    return r


def service(comp: Resolvable) -> Service:
    return _get(comp, Service)


def job(comp: Resolvable) -> Job:
    return _get(comp, Job)


def workload(comp: Resolvable) -> Service | Job:
    r = _get(comp, Workload)
    if not isinstance(r, Service | Job):  # the only two workload models
        raise TypeError(f"{comp.id}: an unknown workload model {type(r).__name__}")
    return r


def database(comp: Resolvable) -> Database:
    return _get(comp, Database)


def cache(comp: Resolvable) -> Cache:
    return _get(comp, Cache)


def bucket(comp: Resolvable) -> Bucket:
    return _get(comp, Bucket)


def queue(comp: Resolvable) -> Queue:
    return _get(comp, Queue)


def table(comp: Resolvable) -> Table:
    return _get(comp, Table)


def filesystem(comp: Resolvable) -> Filesystem:
    return _get(comp, Filesystem)


def function(comp: Resolvable) -> Function:
    return _get(comp, Function)


def site(comp: Resolvable) -> Site:
    return _get(comp, Site)


def external(comp: Resolvable) -> External:
    return _get(comp, External)


def shared_secret(comp: Resolvable) -> SharedSecret:
    return _get(comp, SharedSecret)


def of(comp: Resolvable) -> Resolved:
    """The resolved object of any component."""
    r = _get(comp, _R)
    if not isinstance(r, Resolved):  # every model the resolve pass attaches is in `Resolved`
        raise TypeError(f"{comp.id}: an unknown resolved model {type(r).__name__}")
    return r


def secrets(comp: Resolvable) -> tuple[str, ...]:
    """Secret env var names of a workload or function; () for other kinds."""
    r = of(comp)
    return r.secrets if isinstance(r, Workload | Function) else ()


def public(comp: Resolvable) -> Exposure | None:
    """The exposure of a public service with a port; None for everything else."""
    r = of(comp)
    return r.public if isinstance(r, Service) else None


def rollout(comp: Resolvable) -> Rollout | None:
    r = of(comp)
    return r.rollout if isinstance(r, Service) else None


def tracing(comp: Resolvable) -> Tracing | None:
    """Tracing as written for a service, job or function; None for the other kinds."""
    r = of(comp)
    return r.tracing if isinstance(r, Workload | Function) else None


def contains_pii(comp: Resolvable) -> bool:
    return bool(getattr(of(comp), "contains_pii", False))
