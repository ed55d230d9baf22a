"""Copilot manifest value forms: schedules, durations, counts, CloudFormation references, addons.

>>> cron("@every 30m"), cron("@daily"), cron("cron(0 3 ? * MON-FRI *)")
('*/30 * * * *', '0 0 * * *', '0 3 * * MON-FRI')
>>> duration("1h30m")
'90m'
>>> export_name("${COPILOT_APPLICATION_NAME}-${COPILOT_ENVIRONMENT_NAME}-uploadsBucketName")
('uploads', 'BucketName')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_KEYWORDS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
             "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_UNITS = {"s": 1, "m": 60, "h": 3600}


def seconds(text: str) -> int | None:
    """A Go duration (`1h30m`, `45s`) in seconds."""
    parts = re.findall(r"(\d+)([hms])", text)
    if not parts or "".join(n + u for n, u in parts) != text.strip():
        return None
    return sum(int(n) * _UNITS[u] for n, u in parts)


def duration(text: str) -> str | None:
    """An infracc duration (`30s`, `15m`, `2h`) equal to a Go duration, or None."""
    total = seconds(text)
    if not total:
        return None
    for unit, size in (("h", 3600), ("m", 60), ("s", 1)):
        if total % size == 0:
            return f"{total // size}{unit}"
    return None


def cron(schedule: str) -> str | None:
    """A 5-field UTC cron from Copilot's forms (keyword, `@every`, AWS `cron(...)`, 5-field), or None."""
    text = schedule.strip()
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    if text.startswith("@every "):
        total = seconds(text.removeprefix("@every ").strip())
        if total and total % 60 == 0:
            minutes = total // 60
            if minutes < 60 and 60 % minutes == 0:
                return f"*/{minutes} * * * *"
            if minutes % 60 == 0 and 24 % (minutes // 60) == 0:
                hours = minutes // 60
                return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
        return None
    aws = re.fullmatch(r"cron\((.*)\)", text)
    if aws:
        fields = aws[1].split()
        if len(fields) == 6 and fields[5] in ("*", "?"):
            return " ".join("*" if f == "?" else f for f in fields[:5])
        return None
    if len(text.split()) == 5:
        return text
    return None


def export_name(value: str) -> tuple[str, str] | None:
    """(resource prefix, output kind) of a Copilot addon export such as `…-uploadsBucketName`."""
    match = re.search(r"-([A-Za-z0-9]+?)(BucketName|BucketARN|AuroraSecret|SecurityGroup|TableName)$", value)
    return (match[1], match[2]) if match else None


@dataclass
class Addon:
    """What one CloudFormation addon template provides or grants."""

    buckets: list[str] = field(default_factory=list)
    databases: list[tuple[str, str, str | None]] = field(default_factory=list)  # (logical prefix, engine, version)
    tables: list[str] = field(default_factory=list)
    grants: dict[str, set[str]] = field(default_factory=dict)  # imported bucket prefix → s3 actions
    other: list[str] = field(default_factory=list)


_PLUMBING = {"AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::RDS::DBSubnetGroup",
             "AWS::RDS::DBClusterParameterGroup", "AWS::RDS::DBInstance", "AWS::SecretsManager::Secret",
             "AWS::SecretsManager::SecretTargetAttachment", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy"}


def read_addon(data: object) -> Addon:
    addon = Addon()
    resources = data.get("Resources") if isinstance(data, dict) else None
    for logical, resource in (resources or {}).items() if isinstance(resources, dict) else []:
        if not isinstance(resource, dict):
            continue
        kind = str(resource.get("Type", ""))
        raw_props = resource.get("Properties")
        props: dict[str, object] = raw_props if isinstance(raw_props, dict) else {}
        if kind == "AWS::S3::Bucket":
            addon.buckets.append(str(logical).removesuffix("Bucket"))
        elif kind == "AWS::DynamoDB::Table":
            addon.tables.append(str(logical))
        elif kind == "AWS::RDS::DBCluster":
            engine = str(props.get("Engine", "aurora-postgresql"))
            version = props.get("EngineVersion")
            addon.databases.append((str(logical).removesuffix("DBCluster"), "mysql" if "mysql" in engine else "postgres",
                                    str(version) if version is not None else None))
        elif kind == "AWS::IAM::ManagedPolicy":
            _grants(props, addon)
        elif kind not in _PLUMBING:
            addon.other.append(kind)
    return addon


def _grants(props: dict[str, object], addon: Addon) -> None:
    document = props.get("PolicyDocument")
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, dict):
            continue
        actions = statement.get("Action", [])
        names = [actions] if isinstance(actions, str) else [str(a) for a in actions] if isinstance(actions, list) else []
        for text in re.findall(r"-([A-Za-z0-9]+?)BucketARN", repr(statement.get("Resource"))):
            addon.grants.setdefault(text, set()).update(a for a in names if a.startswith("s3:"))


def bucket_mode(actions: set[str]) -> str | None:
    """infracc's `uses` mode for a set of S3 actions (None: read-write, the default)."""
    reads = any(a.startswith(("s3:Get", "s3:List")) for a in actions)
    writes = any(a.startswith(("s3:Put", "s3:Delete")) for a in actions)
    if reads and not writes:
        return "read"
    if writes and not reads:
        return "write"
    return None
