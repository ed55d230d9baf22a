"""Component models: each kind's fields + shared fields + per-environment `overrides`.

An override is a *partial* component: the same fields, all optional. The build step merges
it over the base and re-validates the result with the full model.
"""

from typing import TYPE_CHECKING, Any, TypeAlias

from pydantic import Field, create_model, model_validator

from infracc.schema.models import (
    BucketFields,
    CacheFields,
    Common,
    DatabaseFields,
    ExternalFields,
    FilesystemFields,
    FunctionFields,
    JobFields,
    QueueFields,
    ServiceFields,
    SharedSecretFields,
    SiteFields,
    Strict,
    TableFields,
    Usage,
    WorkloadFields,
)


def _optional(annotation: Any) -> Any:
    return annotation | None


def _partial(name: str, fields_model: type[Strict]) -> type[Strict]:
    fields: dict[str, Any] = {
        key: (_optional(info.annotation), Field(None, description=info.description))
        for key, info in fields_model.model_fields.items()
    }
    fields["usage"] = (Usage | None, Field(None, description="Usage for this environment."))
    return create_model(name, __base__=Strict, __doc__=f"Per-environment values for a {name[:-8].lower()}; same keys as the component.", **fields)


def _check_image_or_build(model: WorkloadFields) -> None:
    if (model.image is None) == (model.build is None):
        raise ValueError("set exactly one of `image` or `build`")


if TYPE_CHECKING:
    # The partial models are built at import time, which a type checker cannot follow: it sees
    # each as the base they share (pydantic resolves the annotations below to the real models).
    ServiceOverride: TypeAlias = Strict
    JobOverride: TypeAlias = Strict
    DatabaseOverride: TypeAlias = Strict
    CacheOverride: TypeAlias = Strict
    BucketOverride: TypeAlias = Strict
    QueueOverride: TypeAlias = Strict
    FunctionOverride: TypeAlias = Strict
    SiteOverride: TypeAlias = Strict
    TableOverride: TypeAlias = Strict
    ExternalOverride: TypeAlias = Strict
    FilesystemOverride: TypeAlias = Strict
else:
    ServiceOverride = _partial("ServiceOverride", ServiceFields)
    JobOverride = _partial("JobOverride", JobFields)
    DatabaseOverride = _partial("DatabaseOverride", DatabaseFields)
    CacheOverride = _partial("CacheOverride", CacheFields)
    BucketOverride = _partial("BucketOverride", BucketFields)
    QueueOverride = _partial("QueueOverride", QueueFields)
    FunctionOverride = _partial("FunctionOverride", FunctionFields)
    SiteOverride = _partial("SiteOverride", SiteFields)
    TableOverride = _partial("TableOverride", TableFields)
    ExternalOverride = _partial("ExternalOverride", ExternalFields)
    FilesystemOverride = _partial("FilesystemOverride", FilesystemFields)

_OVERRIDES = "Per-environment values: environment name → partial component with the same keys."


class Service(Common, ServiceFields):
    """A long-running workload: an HTTP/gRPC/TCP server, or a background worker without `port`."""

    overrides: dict[str, ServiceOverride] = Field(default_factory=dict, description=_OVERRIDES)

    @model_validator(mode="after")
    def _one_source(self) -> "Service":
        _check_image_or_build(self)
        return self


class Job(Common, JobFields):
    """A run-to-completion workload, on a cron `schedule` or run once."""

    overrides: dict[str, JobOverride] = Field(default_factory=dict, description=_OVERRIDES)

    @model_validator(mode="after")
    def _one_source(self) -> "Job":
        _check_image_or_build(self)
        return self


class Database(Common, DatabaseFields):
    """A managed relational database (RDS)."""

    overrides: dict[str, DatabaseOverride] = Field(default_factory=dict, description=_OVERRIDES)


class Cache(Common, CacheFields):
    """A managed in-memory cache (ElastiCache)."""

    overrides: dict[str, CacheOverride] = Field(default_factory=dict, description=_OVERRIDES)


class Bucket(Common, BucketFields):
    """An object store bucket (S3)."""

    overrides: dict[str, BucketOverride] = Field(default_factory=dict, description=_OVERRIDES)


class Queue(Common, QueueFields):
    """A message queue (SQS) with a dead-letter queue."""

    overrides: dict[str, QueueOverride] = Field(default_factory=dict, description=_OVERRIDES)


class Table(Common, TableFields):
    """A key-value / document table (DynamoDB)."""

    overrides: dict[str, TableOverride] = Field(default_factory=dict, description=_OVERRIDES)


class Filesystem(Common, FilesystemFields):
    """A shared file system (EFS) that services and jobs mount."""

    overrides: dict[str, FilesystemOverride] = Field(default_factory=dict, description=_OVERRIDES)


class Function(Common, FunctionFields):
    """A serverless function (Lambda)."""

    overrides: dict[str, FunctionOverride] = Field(default_factory=dict, description=_OVERRIDES)


class Site(Common, SiteFields):
    """A static website (S3 + CloudFront)."""

    overrides: dict[str, SiteOverride] = Field(default_factory=dict, description=_OVERRIDES)


class External(Common, ExternalFields):
    """A dependency outside the stack that workloads call (a payment or e-mail API): egress, client settings, alarm, runbook."""

    overrides: dict[str, ExternalOverride] = Field(default_factory=dict, description=_OVERRIDES)


class SharedSecret(Common, SharedSecretFields):
    """One Secrets Manager secret read by several workloads (e.g. a Django SECRET_KEY); the same in every environment (no `overrides`)."""


# Spec section → (kind id, model). The kind id prefixes IR node ids: `service.api`.
KINDS: dict[str, tuple[str, type[Strict]]] = {
    "services": ("service", Service),
    "jobs": ("job", Job),
    "databases": ("database", Database),
    "caches": ("cache", Cache),
    "buckets": ("bucket", Bucket),
    "queues": ("queue", Queue),
    "tables": ("table", Table),
    "filesystems": ("filesystem", Filesystem),
    "functions": ("function", Function),
    "sites": ("site", Site),
    "externals": ("external", External),
    "secrets": ("secret", SharedSecret),
}
SECTION_OF_KIND = {kind: section for section, (kind, _) in KINDS.items()}
