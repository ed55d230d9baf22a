"""Local stand-ins for the data stores and functions, and the local value of every output.

A workload gets the same variable names locally as in the cloud; only the values differ
(`DB_HOST=db`). Secret values never appear: passwords are `${VAR}` interpolations from the
git-ignored `.env`, which `.env.example` lists with empty values.
"""
from __future__ import annotations

import json
from typing import Any

from infracc.compiler import resolved
from infracc.compiler.ir import Component

ACCOUNT = "000000000000"  # the placeholder account id ElasticMQ and the Lambda emulator use
S3, S3_INIT, SQS = "local-s3", "local-s3-init", "local-sqs"
DYNAMODB, DYNAMODB_INIT = "local-dynamodb", "local-dynamodb-init"
# DynamoDB Local (in memory: `-inMemory` needs `-sharedDb`, DynamoDB Developer Guide, "DynamoDB local
# usage notes") and the AWS CLI that creates the stack's tables in it at start.
DYNAMODB_LOCAL = "amazon/dynamodb-local:2.6.1"
AWS_CLI = "amazon/aws-cli:2.32.8"
MINIO = "minio/minio:RELEASE.2025-04-22T22-12-26Z"
ELASTICMQ = "softwaremill/elasticmq-native:1.6.11"
DB_IMAGES = {"postgres": ("postgres:{v}-alpine", 5432, "70:70"), "mysql": ("mysql:{v}", 3306, "999:999")}
CACHE_IMAGES = {"valkey": ("valkey/valkey:{v}-alpine", "valkey"), "redis": ("redis:{v}-alpine", "redis")}
LAMBDA_IMAGES = {"python": "public.ecr.aws/lambda/python:{v}", "nodejs": "public.ecr.aws/lambda/nodejs:{v}",
                 "java": "public.ecr.aws/lambda/java:{v}", "provided": "public.ecr.aws/lambda/provided:{v}",
                 "ruby": "public.ecr.aws/lambda/ruby:{v}", "dotnet": "public.ecr.aws/lambda/dotnet:{v}"}
HARDENED = {"cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"], "read_only": True, "tmpfs": ["/tmp"]}


def secret(name: str) -> str:
    """A required interpolation: compose stops with this message when `.env` lacks the name."""
    return "${" + name + ":?see .env.example}"


def db_name(comp: Component) -> str:
    return comp.name.replace("-", "_")


def queue_name(comp: Component) -> str:
    return comp.name + resolved.queue(comp).aws_suffix


def local_output(comp: Component, output: str, region: str) -> str:
    """The local value of `${component.output}`; secret parts are `${VAR}` interpolations."""
    password = secret(f"{comp.env_name}_PASSWORD")
    if comp.kind == "database":
        engine = resolved.database(comp).engine
        port = DB_IMAGES[engine][1]
        scheme = "postgresql" if engine == "postgres" else "mysql"
        values = {"host": comp.name, "port": str(port), "name": db_name(comp), "user": "app", "password": password,
                  "url": f"{scheme}://app:{password}@{comp.name}:{port}/{db_name(comp)}"}
    elif comp.kind == "cache":
        values = {"host": comp.name, "port": "6379", "password": password, "url": f"redis://:{password}@{comp.name}:6379/0"}
    elif comp.kind == "bucket":
        values = {"bucket": comp.name, "arn": f"arn:aws:s3:::{comp.name}"}
    elif comp.kind == "queue":
        values = {"queue_url": f"http://{SQS}:9324/{ACCOUNT}/{queue_name(comp)}",
                  "queue_arn": f"arn:aws:sqs:{region}:{ACCOUNT}:{queue_name(comp)}"}
    elif comp.kind == "table":
        values = {"name": comp.name, "arn": f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{comp.name}"}
    elif comp.kind == "external":  # `local` when set, else the real one (this environment's: a sandbox in dev)
        ext = resolved.external(comp)
        values = {name: ext.output(name, local=True) for name in ("url", "host", "port", "timeout_ms", "retries",
                                                                   "cb_failures", "cb_window_s", "cb_open_s")}
    elif comp.kind == "service":
        port = resolved.service(comp).port or 80
        values = {"url": f"http://{comp.name}:{port}", "host": comp.name, "port": str(port)}
    else:
        values = {"name": comp.name, "arn": f"arn:aws:lambda:{region}:{ACCOUNT}:function:{comp.name}"}
    return values[output]


def _engine_version(comp: Component) -> str:
    # The sizing pass always sets the engine version of a database or cache.
    assert comp.sizing is not None and comp.sizing.engine_version is not None
    return comp.sizing.engine_version


def database(comp: Component) -> dict[str, Any]:
    engine = resolved.database(comp).engine
    image, port, user = DB_IMAGES[engine]
    password = secret(f"{comp.env_name}_PASSWORD")
    if engine == "postgres":
        env = {"POSTGRES_USER": "app", "POSTGRES_DB": db_name(comp), "POSTGRES_PASSWORD": password}
        test, run, data = ["CMD", "pg_isready", "-U", "app", "-d", db_name(comp)], "/var/run/postgresql", "/var/lib/postgresql/data"
    else:
        env = {"MYSQL_USER": "app", "MYSQL_DATABASE": db_name(comp), "MYSQL_PASSWORD": password, "MYSQL_RANDOM_ROOT_PASSWORD": "yes"}
        test, run, data = ["CMD", "mysqladmin", "ping", "-h", "127.0.0.1", "--silent"], "/var/run/mysqld", "/var/lib/mysql"
    return {"image": image.format(v=_engine_version(comp)), "user": user, "environment": env,
            "healthcheck": _health(test), "volumes": [f"{comp.name}-data:{data}"],
            **HARDENED, "tmpfs": ["/tmp", run]}


def cache(comp: Component) -> dict[str, Any]:
    image, binary = CACHE_IMAGES[resolved.cache(comp).engine]
    password = secret(f"{comp.env_name}_PASSWORD")
    return {"image": image.format(v=_engine_version(comp).split(".")[0]), "user": "10001:10001",
            "command": [f"{binary}-server", "--requirepass", password, "--save", ""],
            "environment": {"REDISCLI_AUTH": password},
            "healthcheck": _health(["CMD", f"{binary}-cli", "ping"]), **HARDENED}


def object_store(buckets: list[Component]) -> dict[str, dict[str, Any]]:
    creds = {"MINIO_ROOT_USER": secret("AWS_ACCESS_KEY_ID"), "MINIO_ROOT_PASSWORD": secret("AWS_SECRET_ACCESS_KEY")}
    alias = f"http://{secret('AWS_ACCESS_KEY_ID')}:{secret('AWS_SECRET_ACCESS_KEY')}@"
    server = {"image": MINIO, "user": "10001:10001", "command": ["server", "/data"], "environment": {
        **creds, "MC_CONFIG_DIR": "/tmp/.mc", "MC_HOST_local": alias + "127.0.0.1:9000"},
        "healthcheck": _health(["CMD", "mc", "ready", "local"]), **HARDENED, "tmpfs": ["/tmp", "/data"]}
    script = " && ".join(f"mc mb --ignore-existing local/{b.name}" for b in buckets)
    init = {"image": MINIO, "user": "10001:10001", "entrypoint": ["/bin/sh", "-c", script],
            "environment": {"AWS_ACCESS_KEY_ID": secret("AWS_ACCESS_KEY_ID"), "AWS_SECRET_ACCESS_KEY": secret("AWS_SECRET_ACCESS_KEY"),
                            "MC_CONFIG_DIR": "/tmp/.mc", "MC_HOST_local": alias + f"{S3}:9000"},
            "depends_on": {S3: {"condition": "service_healthy"}}, **HARDENED}
    return {S3: server, S3_INIT: init}


def queue_server() -> dict[str, Any]:
    return {"image": ELASTICMQ, "user": "10001:10001", "volumes": ["./elasticmq.conf:/opt/elasticmq.conf:ro"],
            "healthcheck": _health(["CMD-SHELL", "wget -q -O /dev/null 'http://127.0.0.1:9324/?Action=ListQueues' || exit 1"]),
            **HARDENED}


def elasticmq_conf(queues: list[Component]) -> str:
    lines = ["# Generated by infracc: the stack's queues and their dead-letter queues, created at start.",
             "include classpath(\"application.conf\")", "", "node-address {", f'  host = "{SQS}"', "  port = 9324", "}",
             "", "queues {"]
    for q in queues:
        r = resolved.queue(q)
        name, fifo = queue_name(q), r.fifo
        dlq = q.name + "-dlq" + (".fifo" if fifo else "")
        lines += [f'  "{name}" {{', f"    defaultVisibilityTimeout = {r.visibility_timeout_seconds} seconds",
                  f"    fifo = {'true' if fifo else 'false'}",
                  f'    deadLettersQueue {{ name = "{dlq}", maxReceiveCount = {r.max_receives} }}', "  }",
                  f'  "{dlq}" {{ fifo = {"true" if fifo else "false"} }}']
    return "\n".join(lines + ["}", ""])


def table_store(tables: list[Component], region: str) -> dict[str, dict[str, Any]]:
    """DynamoDB Local in memory, and a one-shot AWS CLI that, once it is healthy, creates each table
    (keys, indexes, stream) unless it exists. DynamoDB Local has no TTL and no point-in-time
    recovery: expired items stay until the application deletes them."""
    server = {"image": DYNAMODB_LOCAL, "user": "10001:10001", "working_dir": "/home/dynamodblocal",
              "command": ["-jar", "DynamoDBLocal.jar", "-inMemory", "-sharedDb"],
              # Any HTTP answer (DynamoDB Local answers GET / with 400) means it listens.
              "healthcheck": _health(["CMD-SHELL", "curl -s -o /dev/null http://127.0.0.1:8000/ || exit 1"]), **HARDENED}
    endpoint = f"--endpoint-url http://{DYNAMODB}:8000"
    steps = [f"(aws dynamodb describe-table {endpoint} --table-name {t.name} >/dev/null 2>&1 || "
              f"aws dynamodb create-table {endpoint} {create_table_args(t)} >/dev/null)" for t in tables]
    init = {"image": AWS_CLI, "user": "10001:10001", "entrypoint": ["/bin/sh", "-c", " && ".join(steps)],
            "environment": {"AWS_ACCESS_KEY_ID": secret("AWS_ACCESS_KEY_ID"),
                            "AWS_SECRET_ACCESS_KEY": secret("AWS_SECRET_ACCESS_KEY"),
                            "AWS_REGION": region, "HOME": "/tmp"},
            "depends_on": {DYNAMODB: {"condition": "service_healthy"}}, **HARDENED}
    return {DYNAMODB: server, DYNAMODB_INIT: init}


def create_table_args(comp: Component) -> str:
    """`aws dynamodb create-table` arguments for one table, as its resolved model describes it.

    >>> from types import SimpleNamespace
    >>> t = resolved.Table(name="carts", partition_key=resolved.TableKey(name="id"), sort_key=None,
    ...                    contains_pii=False, stream="keys-only")
    >>> create_table_args(SimpleNamespace(id="table.carts", kind="table", name="carts", resolved=t))  # doctest: +NORMALIZE_WHITESPACE
    '--table-name carts --billing-mode PAY_PER_REQUEST --attribute-definitions AttributeName=id,AttributeType=S
     --key-schema AttributeName=id,KeyType=HASH --stream-specification StreamEnabled=true,StreamViewType=KEYS_ONLY'
    """
    t = resolved.table(comp)
    attrs = " ".join(f"AttributeName={a.name},AttributeType={a.dynamodb_type}" for a in t.attributes)
    keys = f"AttributeName={t.partition_key.name},KeyType=HASH" + (
        f" AttributeName={t.sort_key.name},KeyType=RANGE" if t.sort_key else "")
    out = f"--table-name {comp.name} --billing-mode PAY_PER_REQUEST --attribute-definitions {attrs} --key-schema {keys}"
    if t.indexes:
        indexes = [{"IndexName": i.name, "KeySchema": [{"AttributeName": i.partition_key.name, "KeyType": "HASH"}] + (
            [{"AttributeName": i.sort_key.name, "KeyType": "RANGE"}] if i.sort_key else []),
            "Projection": {"ProjectionType": "ALL" if i.projection == "all" else "KEYS_ONLY"}} for i in t.indexes]
        out += f" --global-secondary-indexes '{json.dumps(indexes, separators=(',', ':'))}'"
    if t.stream is not None:
        out += f" --stream-specification StreamEnabled=true,StreamViewType={t.stream.upper().replace('-', '_')}"
    return out


def function(comp: Component, source: str) -> dict[str, Any]:
    fn = resolved.function(comp)
    runtime = fn.runtime
    family = next(f for f in LAMBDA_IMAGES if runtime.startswith(f))  # the schema admits only these families
    version = runtime.removeprefix(family).removesuffix(".x")
    probe = {"python": ["CMD", "python3", "-c", "import socket; socket.create_connection(('127.0.0.1', 8080), 2)"],
             "nodejs": ["CMD", "node", "-e", "require('node:net').connect(8080, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))"]}
    return {"image": LAMBDA_IMAGES[family].format(v=version.lstrip(".")), "user": "10001:10001",
            "command": [fn.handler], "volumes": [f"{source}:/var/task:ro"],
            "healthcheck": _health(probe.get(family, ["CMD-SHELL", "curl -s -o /dev/null http://127.0.0.1:8080/ || exit 1"])),
            **HARDENED}


# Caches use the major tag only (ElastiCache "7.1" has no redis:7.1 image; redis:7 does).
def _health(test: list[str]) -> dict[str, Any]:
    return {"test": test, "interval": "10s", "timeout": "5s", "retries": 10, "start_period": "10s"}


# A file system's local stand-in: a named volume, opened once by a short container (Docker creates
# named volumes owned by root, 0755, so a non-root workload could not write them). Root only
# because root owns the volume: chmod by the owner needs no capability, and every one is dropped.
# Mode 1777 as /tmp (every local workload writes, only owners delete); the cloud's access points
# give each workload its own user and the shared group instead. Docker's official busybox, pinned.
VOLUME_INIT_IMAGE = "busybox:1.36.1"
VOLUME_INIT_MODE = "1777"


def filesystem_volume(comp: Component) -> str:
    return f"{comp.name}-files"


def filesystem_init(comp: Component) -> dict[str, Any]:
    """`<fs>-init`: makes the volume's root writable for the mounting workloads' users."""
    return {"image": VOLUME_INIT_IMAGE, "user": "0:0", "command": ["chmod", VOLUME_INIT_MODE, "/files"],
            "volumes": [f"{filesystem_volume(comp)}:/files"], **HARDENED}
