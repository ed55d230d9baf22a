"""The estimate prices exactly what is deployed (issue #13 item 1), both ways.

For every example and environment (and for generated specs), the generated Terraform JSON and
Kubernetes manifests are priced here independently of the cost pass: the test walks the
resources that carry a fixed monthly cost (NAT gateways, Elastic IPs and load-balancer addresses, ALBs, NLBs,
RDS instances and storage, ElastiCache nodes, ECS services' tasks, the EKS control plane,
node groups and their root volumes, StatefulSet volumes, KMS keys, Secrets Manager secrets
(including the one RDS manages for the master password), CloudWatch alarms, WAF web ACLs and
their rules, Route 53 zones the stack creates, interface VPC endpoints, the capacity units of
provisioned DynamoDB tables and their global secondary indexes) and looks each unit
price up in `library/prices.json` by its own reading of the resource's arguments. It then
asserts, per price row:

- every fixed-cost resource has an estimate line with the same quantity;
- no fixed-cost estimate line lacks its resource;
- and the fixed totals agree within 5%.

The estimate's lines are matched by the price row they cite (`LineItem.source`), never by
their wording. Usage-priced lines (transfer, requests, storage in S3, job run time) have no
quantity without `usage` and are outside this check; they are listed in the estimate with
their unit price.
"""
from __future__ import annotations

import json
import math
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLES, ROOT, compiled
from hypothesis import given
from specgen import stacks
from test_generated import compile_spec, generated

from infracc.compiler import library_data as lib
from infracc.compiler.ir import EnvIR
from infracc.compiler.passes.levers import table as levers_table

H = 730
TOLERANCE = 0.05
# Price rows (service, item prefix) whose lines are fixed monthly costs: billed per hour or
# month of a resource's existence, whatever the traffic.
FIXED = (("vpc", "nat-gateway"), ("vpc", "public-ipv4-address"), ("vpc", "interface-endpoint"),
         ("elb", "alb"), ("elb", "nlb"), ("rds", "db."), ("rds", "storage-"), ("rds", "extended-support-"),
         ("elasticache", "cache."), ("fargate", "vcpu"), ("fargate", "memory"), ("eks", "cluster"),
         ("ec2", ""), ("ebs", "gp"), ("kms", "customer-managed-key"), ("secretsmanager", "secret"),
         ("cloudwatch", "alarm-standard-resolution"), ("waf", "web-acl"), ("waf", "rule"),
         ("route53", "hosted-zone"), ("dynamodb", "provisioned-"))
USAGE_ITEMS = {("vpc", "nat-gateway-data-processed"), ("vpc", "interface-endpoint-data-processed"), ("elb", "alb-lcu"),
               ("elb", "nlb-lcu")}
EKS_DEFAULT_DISK_GB = 20  # CreateNodegroup diskSize default for Linux (EKS API reference)


def fixed(service: str, item: str) -> bool:
    return (service, item) not in USAGE_ITEMS and any(
        service == s and item.startswith(prefix) for s, prefix in FIXED)


@cache
def rows_by_citation() -> dict[str, lib.Price]:
    """`LineItem.source` text → the price row it cites (one row per region; the item is what matters),
    including the reserved EC2 and ElastiCache rows of library/levers.json."""
    rows = {f"{p.source} [{p.key}]": p for p in lib._price_index().values()}
    for raw in levers_table()["reserved_nodes"]:
        p = lib.Price.model_validate(raw)
        rows[f"{p.source} [{p.key}]"] = p
    return rows


def reserved_row(service: str, item: str, region: str) -> lib.Price | None:
    """A reserved EC2 / ElastiCache row of library/levers.json, looked up here on its own."""
    for raw in levers_table()["reserved_nodes"]:
        if raw["service"] == service and raw["item"] == f"{item}-reserved-1y-no-upfront" and raw["region"] == region:
            return lib.Price.model_validate(raw)
    return None


@dataclass
class Priced:
    """One fixed-cost quantity read from the output, at a price row."""

    resource: str       # Terraform address or Kubernetes object
    citation: str       # the price row, as the estimate cites it
    quantity: float
    monthly: float


DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def cron_hours(start: str, stop: str) -> float:
    """Hours a month between an EventBridge `cron(M H ? * DAYS *)` start and stop (730/168 h per week-hour)."""
    (m1, h1, days), (m2, h2, days2) = (re.fullmatch(r"cron\((\d+) (\d+) \? \* (\S+) \*\)", c).groups()  # type: ignore[union-attr]
                                       for c in (start, stop))
    assert days == days2, (start, stop)
    count = 0
    for part in days.split(","):
        first, _, last = part.partition("-")
        count += DAYS.index(last or first) - DAYS.index(first) + 1
    per_day = (int(h2) * 60 + int(m2) - int(h1) * 60 - int(m1)) / 60
    return count * per_day * H / 168


class Inventory:
    """Prices one environment's Terraform JSON and manifests from `library/prices.json`."""

    def __init__(self, region: str, reserved_databases: bool = False, reserved_caches: bool = False,
                 reserved_nodes: bool = False) -> None:
        self.region = region
        self.reserved_databases = reserved_databases  # `commitments.databases`: bought, not created
        self.reserved_caches = reserved_caches        # `commitments.caches`
        self.reserved_nodes = reserved_nodes          # `commitments.nodes`
        self.lines: list[Priced] = []
        self.storage_classes: list[dict[str, Any]] = []
        self.unpriced: list[tuple[str, str]] = []   # (resource, "service item") without a row here
        # Usage-priced resources whose line must exist (no quantity to compare): (resource, service, item).
        self.usage_lines: list[tuple[str, str, str]] = []

    def add(self, resource: str, service: str, item: str, quantity: float, region: str | None = None,
            **attrs: str) -> None:
        row = lib.price(service, item, region or self.region, **attrs)
        if row is None:
            self.unpriced.append((resource, f"{service} {item}"))
            return
        self.lines.append(Priced(resource, f"{row.source} [{row.key}]", quantity, row.usd * quantity))

    def add_reserved(self, resource: str, service: str, item: str, quantity: float) -> None:
        row = reserved_row(service, item, self.region)
        if row is None:
            self.unpriced.append((resource, f"{service} {item}-reserved-1y-no-upfront"))
            return
        self.lines.append(Priced(resource, f"{row.source} [{row.key}]", quantity, row.usd * quantity))

    # ---- Terraform ---------------------------------------------------------------------------

    def terraform(self, doc: dict[str, Any]) -> None:
        res: dict[str, dict[str, dict[str, Any]]] = doc.get("resource", {})
        tasks = res.get("aws_ecs_task_definition", {})
        running = self.schedules(res)
        for name in res.get("aws_nat_gateway", {}):
            self.add(f"aws_nat_gateway.{name}", "vpc", "nat-gateway", H)
        for name, _eip in res.get("aws_eip", {}).items():
            self.add(f"aws_eip.{name}", "vpc", "public-ipv4-address", H)
        for name, lb in res.get("aws_lb", {}).items():
            kind = lb.get("load_balancer_type", "application")
            assert kind in ("application", "network"), name
            # A network load balancer has its own hourly row (Elastic Load Balancing pricing, NLB).
            self.add(f"aws_lb.{name}", "elb", "alb" if kind == "application" else "nlb", H)
            if not lb.get("internal"):  # one public IPv4 address per subnet (AZ) of an internet-facing ALB or NLB
                self.add(f"aws_lb.{name} addresses", "vpc", "public-ipv4-address", H * len(lb["subnets"]))
        for name, db in res.get("aws_db_instance", {}).items():
            deployment = "multi-az" if db.get("multi_az") else "single-az"
            if self.reserved_databases:  # a reservation is billed every hour of its term
                self.add(f"aws_db_instance.{name} (reserved)", "rds", f"{db['instance_class']}-reserved-1y-no-upfront", H,
                         engine=db["engine"], deployment=deployment)
            else:
                self.add(f"aws_db_instance.{name}", "rds", db["instance_class"], running.get(f"aws_db_instance.{name}", H),
                         engine=db["engine"], deployment=deployment)
            storage = db.get("storage_type", "gp2")
            self.add(f"aws_db_instance.{name} storage", "rds", f"storage-{storage}", db["allocated_storage"],
                     deployment=deployment)
            if db.get("manage_master_user_password"):  # RDS creates and rotates a Secrets Manager secret
                self.add(f"aws_db_instance.{name} master secret", "secretsmanager", "secret", 1)
            self._extended_support(f"aws_db_instance.{name}", db)
        for name, group in res.get("aws_elasticache_replication_group", {}).items():
            nodes = group.get("num_cache_clusters") or (
                group.get("num_node_groups", 1) * (group.get("replicas_per_node_group", 0) + 1))
            if self.reserved_caches:  # reserved nodes are priced for Redis OSS and cover Valkey nodes too
                self.add_reserved(f"aws_elasticache_replication_group.{name} (reserved)", "elasticache",
                                  group["node_type"], H * nodes)
            else:
                self.add(f"aws_elasticache_replication_group.{name}", "elasticache", group["node_type"], H * nodes,
                         engine=group["engine"])
        for name, svc in res.get("aws_ecs_service", {}).items():
            task = tasks[svc["task_definition"].split(".")[1]]
            arch = "arm64" if task.get("runtime_platform", {}).get("cpu_architecture") == "ARM64" else "x86_64"
            count = svc.get("desired_count", 0)
            hours = running.get(f"aws_ecs_service.{name}", H)
            # Fargate Spot has no price in the table: on-demand is the upper bound the estimate states.
            self.add(f"aws_ecs_service.{name} vCPU", "fargate", "vcpu", hours * count * int(task["cpu"]) / 1024, arch=arch)
            self.add(f"aws_ecs_service.{name} memory", "fargate", "memory", hours * count * int(task["memory"]) / 1024, arch=arch)
        for name, _cluster in res.get("aws_eks_cluster", {}).items():
            self.add(f"aws_eks_cluster.{name}", "eks", "cluster", H, support="standard")
        for name, group in res.get("aws_eks_node_group", {}).items():
            desired = group["scaling_config"]["desired_size"]
            hours = running.get(f"aws_eks_node_group.{name}", H)
            assert len(group["instance_types"]) == 1, name
            if self.reserved_nodes:  # EC2 reserved instances for the minimum size, every hour of the term
                assert group.get("capacity_type", "ON_DEMAND") == "ON_DEMAND", name
                self.add_reserved(f"aws_eks_node_group.{name} (reserved)", "ec2", group["instance_types"][0],
                                  H * group["scaling_config"]["min_size"])
            else:
                self.add(f"aws_eks_node_group.{name}", "ec2", group["instance_types"][0], hours * desired)
            # Without a launch template EKS creates the root volumes itself, as gp2
            # (aws/containers-roadmap#1417), of `disk_size` GiB (default 20).
            assert "launch_template" not in group, "price the launch template's volumes"
            # Scaled to 0 off hours, the nodes and their root volumes are gone.
            self.add(f"aws_eks_node_group.{name} root volumes", "ebs", "gp2",
                     desired * group.get("disk_size", EKS_DEFAULT_DISK_GB) * hours / H)
        for name, key in res.get("aws_kms_key", {}).items():
            region = "us-east-1" if key.get("provider") == "aws.us_east_1" else None
            self.add(f"aws_kms_key.{name}", "kms", "customer-managed-key", 1, region=region)
        for name, _secret in res.get("aws_secretsmanager_secret", {}).items():
            self.add(f"aws_secretsmanager_secret.{name}", "secretsmanager", "secret", 1)
        for name, _alarm in res.get("aws_cloudwatch_metric_alarm", {}).items():
            self.add(f"aws_cloudwatch_metric_alarm.{name}", "cloudwatch", "alarm-standard-resolution", 1)
        for name, acl in res.get("aws_wafv2_web_acl", {}).items():
            region = "us-east-1" if acl.get("provider") == "aws.us_east_1" else None
            self.add(f"aws_wafv2_web_acl.{name}", "waf", "web-acl", 1, region=region)
            self.add(f"aws_wafv2_web_acl.{name} rules", "waf", "rule", len(acl.get("rule", [])), region=region)
        for name, _zone in res.get("aws_route53_zone", {}).items():
            self.add(f"aws_route53_zone.{name}", "route53", "hosted-zone", 1, region="global")
        for name, endpoint in res.get("aws_vpc_endpoint", {}).items():
            if endpoint.get("vpc_endpoint_type") == "Interface":
                self.add(f"aws_vpc_endpoint.{name}", "vpc", "interface-endpoint", H * len(endpoint["subnet_ids"]))
        for name, table in res.get("aws_dynamodb_table", {}).items():
            if table.get("billing_mode") != "PROVISIONED":  # on demand: request units are usage
                continue
            # The table and each global secondary index hold their own capacity units, billed per
            # unit-hour (auto scaling starts them at these and never below its minimum).
            holders = [table, *table.get("global_secondary_index", [])]
            self.add(f"aws_dynamodb_table.{name} WCU", "dynamodb", "provisioned-write-capacity-unit",
                     H * sum(h["write_capacity"] for h in holders))
            self.add(f"aws_dynamodb_table.{name} RCU", "dynamodb", "provisioned-read-capacity-unit",
                     H * sum(h["read_capacity"] for h in holders))
        self._filesystems(res)
        for rtype in res:
            assert rtype not in ("aws_instance", "aws_launch_template", "aws_ebs_volume", "aws_nat_instance",
                                 "aws_db_cluster", "aws_rds_cluster", "aws_elasticache_cluster",
                                 "aws_elasticache_serverless_cache", "aws_lb_nlb"), f"price {rtype} in this test"

    def _filesystems(self, res: dict[str, dict[str, dict[str, Any]]]) -> None:
        """EFS bills stored GB-months by storage class (One Zone when the file system names an
        availability zone, else Standard) and, with automatic backups ENABLED in its backup
        policy, the backups' warm storage: each needs its line in the estimate."""
        for name, fs in res.get("aws_efs_file_system", {}).items():
            item = "one-zone-storage" if fs.get("availability_zone_name") else "standard-storage"
            self.usage_lines.append((f"aws_efs_file_system.{name}", "efs", item))
        for name, policy in res.get("aws_efs_backup_policy", {}).items():
            if policy["backup_policy"]["status"] == "ENABLED":
                self.usage_lines.append((f"aws_efs_backup_policy.{name}", "backup", "efs-warm-storage"))

    @staticmethod
    def schedules(res: dict[str, dict[str, dict[str, Any]]]) -> dict[str, float]:
        """Hours a month a scheduled resource runs, from its off-hours stop/start pair: ECS services
        (Application Auto Scaling scheduled actions to 0), RDS instances (EventBridge Scheduler
        stop/startDBInstance) and EKS node groups (updateNodegroupConfig to 0)."""
        pairs: dict[str, dict[str, str]] = defaultdict(dict)
        targets = {f"${{aws_appautoscaling_target.{n}.resource_id}}": t for n, t in res.get("aws_appautoscaling_target", {}).items()}
        services = {s["name"]: f"aws_ecs_service.{n}" for n, s in res.get("aws_ecs_service", {}).items()}
        for action in res.get("aws_appautoscaling_scheduled_action", {}).values():
            target = targets[action["resource_id"]]
            service = services[target["resource_id"].rsplit("/", 1)[1]]
            stop = int(action["scalable_target_action"]["max_capacity"]) == 0
            pairs[service]["stop" if stop else "start"] = action["schedule"]
        for schedule in res.get("aws_scheduler_schedule", {}).values():
            arn, text = schedule["target"]["arn"], schedule["target"].get("input", "")
            if arn.endswith(("rds:stopDBInstance", "rds:startDBInstance")):
                what = "aws_db_instance." + re.search(r"aws_db_instance\.(\w+)\.", text)[1]  # type: ignore[index]
                pairs[what]["stop" if arn.endswith("stop" + "DBInstance") else "start"] = schedule["schedule_expression"]
            elif arn.endswith("eks:updateNodegroupConfig"):
                what = "aws_eks_node_group." + re.search(r"aws_eks_node_group\.(\w+)\.", text)[1]  # type: ignore[index]
                stop_now = '"DesiredSize":0' in text
                pairs[what]["stop" if stop_now else "start"] = schedule["schedule_expression"]
        out = {}
        for what, pair in pairs.items():
            assert set(pair) == {"start", "stop"}, (what, pair)
            out[what] = cron_hours(pair["start"], pair["stop"])
        return out

    def _extended_support(self, address: str, db: dict[str, Any]) -> None:
        """RDS Extended Support: per vCPU-hour on top of the instance, for a major version past
        the end of standard support (unless the instance opts out, which RDS allows only before)."""
        if db.get("engine_lifecycle_support") == "open-source-rds-extended-support-disabled":
            return
        if not lib.past_standard_support(db["engine"], db["engine_version"]):
            return
        vcpus = lib.instance_vcpus(db["instance_class"])
        self.add(f"{address} extended support", "rds", f"extended-support-{db['engine_version']}-year1-2",
                 H * vcpus, engine=db["engine"])

    # ---- Kubernetes --------------------------------------------------------------------------

    def manifests(self, docs: list[dict[str, Any]]) -> None:
        # The EBS volume type of each StorageClass the manifests define; `gp2` is the class EKS
        # clusters come with.
        classes = {"gp2": "gp2"} | {d["metadata"]["name"]: d["parameters"]["type"] for d in self.storage_classes}
        for doc in docs:
            if doc.get("kind") != "StatefulSet":
                continue
            replicas = doc["spec"].get("replicas", 1)
            for claim in doc["spec"].get("volumeClaimTemplates", []):
                size = claim["spec"]["resources"]["requests"]["storage"]
                assert size.endswith("Gi"), size
                volume = classes[claim["spec"].get("storageClassName", "gp2")]
                self.add(f"StatefulSet/{doc['metadata']['name']} {claim['metadata']['name']}", "ebs", volume,
                         replicas * int(size[:-2]))


def inventory(files: dict[str, str], env: str, region: str, reserved_databases: bool = False,
              reserved_caches: bool = False, reserved_nodes: bool = False) -> Inventory:
    inv = Inventory(region, reserved_databases, reserved_caches, reserved_nodes)
    for path, text in sorted(files.items()):
        if path.startswith(f"terraform/{env}/") and path.endswith(".tf.json"):
            inv.terraform(json.loads(text))
        elif path.startswith(f"kubernetes/{env}/storageclass-") and path.endswith(".yaml"):
            inv.storage_classes += [d for d in yaml.safe_load_all(text) if d]
    for path, text in sorted(files.items()):
        if path.startswith(f"kubernetes/{env}/") and path.endswith(".yaml"):
            inv.manifests([d for d in yaml.safe_load_all(text) if d])
    return inv


def estimated(env: EnvIR) -> dict[str, tuple[float, float, list[str]]]:
    """The estimate's fixed-cost lines per price row: (quantity, monthly, labels)."""
    rows = rows_by_citation()
    out: dict[str, tuple[float, float, list[str]]] = {}
    assert env.cost is not None
    for line in env.cost.items:
        row = rows.get(line.source or "")
        if row is None or not fixed(row.service, row.item) or line.quantity is None:
            continue
        q, m, labels = out.get(line.source or "", (0.0, 0.0, []))
        out[line.source or ""] = (q + line.quantity, m + (line.monthly or 0.0), [*labels, f"{line.component}: {line.item}"])
    return out


def usage_line_problems(inv: Inventory, env: EnvIR) -> list[str]:
    """Each usage-priced resource (EFS storage, backups) has one estimate line at its price row,
    or the estimate reports that row missing; and no such line lacks its resource."""
    assert env.cost is not None
    rows = rows_by_citation()
    cited: dict[tuple[str, str], int] = defaultdict(int)
    for line in env.cost.items:
        row = rows.get(line.source or "")
        if row is not None:
            cited[(row.service, row.item)] += 1
    wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
    for resource, service, item in inv.usage_lines:
        wanted[(service, item)].append(resource)
    missing = " | ".join(env.cost.missing_prices)
    problems = []
    for (service, item), resources in sorted(wanted.items()):
        if lib.price(service, item, inv.region) is None:
            if f"{service} {item}" not in missing:
                problems.append(f"no price for {service} {item} ({', '.join(resources)}) and the estimate does not "
                                "report it missing")
        elif cited[(service, item)] != len(resources):
            problems.append(f"{service} {item}: {len(resources)} deployed ({', '.join(resources)}), "
                            f"{cited[(service, item)]} estimate line(s)")
    for (service, item), count in sorted(cited.items()):
        if (service, item) in (("efs", "standard-storage"), ("efs", "one-zone-storage"), ("backup", "efs-warm-storage")) \
                and (service, item) not in wanted:
            problems.append(f"estimated but not deployed: {count} {service} {item} line(s)")
    return problems


def compare(files: dict[str, str], env: EnvIR) -> tuple[list[str], float, float]:
    """Problems (both directions), the independently priced fixed total, the estimate's."""
    # Commitments are purchases, not resources: read them from the spec as written.
    commitments = env.settings.commitments
    inv = inventory(files, env.name, env.settings.region,
                    reserved_databases=commitments is not None and commitments.databases != "on-demand",
                    reserved_caches=commitments is not None and commitments.caches != "on-demand",
                    reserved_nodes=commitments is not None and commitments.nodes != "on-demand")
    deployed: dict[str, list[Priced]] = defaultdict(list)
    for line in inv.lines:
        deployed[line.citation].append(line)
    estimate = estimated(env)
    # A resource the table has no price for must be a missing price of the estimate (a warning,
    # never $0); its quantity cannot be compared without a row.
    missing = " | ".join(env.cost.missing_prices if env.cost else [])
    problems = [f"no price for {what} ({resource}) and the estimate does not report it missing"
                for resource, what in inv.unpriced if what not in missing]
    for citation, lines in sorted(deployed.items()):
        qty = sum(p.quantity for p in lines)
        est = estimate.get(citation)
        what = ", ".join(p.resource for p in lines)
        if est is None:
            problems.append(f"deployed but not estimated: {what} ({qty:g} at {citation})")
        elif not math.isclose(est[0], qty, rel_tol=1e-4, abs_tol=1e-3):  # hours are rounded to 0.01 h
            problems.append(f"quantity differs at {citation}: estimate {est[0]:g} ({'; '.join(est[2])}), "
                            f"deployed {qty:g} ({what})")
    for citation, (qty, _, labels) in sorted(estimate.items()):
        if citation not in deployed:
            problems.append(f"estimated but not deployed: {'; '.join(labels)} ({qty:g} at {citation})")
    problems += usage_line_problems(inv, env)
    return problems, round(sum(p.monthly for p in inv.lines), 2), round(sum(m for _, m, _ in estimate.values()), 2)


def _files(result: Any) -> dict[str, str]:
    return {str(p): text for p, text in result.files.items()}


def _env_names(example: str) -> list[str]:
    spec = yaml.safe_load((ROOT / "examples" / example / "stack.yaml").read_text(encoding="utf-8"))
    return list(spec.get("environments") or ["dev", "staging", "prod"])


CASES = [(ex, env) for ex in EXAMPLES for env in _env_names(ex)]


@pytest.mark.parametrize(("example", "env"), CASES, ids=[f"{e}-{v}" for e, v in CASES])
def test_estimate_prices_the_deployment_inventory(example: str, env: str) -> None:
    result = compiled(example)
    problems, deployed, estimate = compare(_files(result), result.ir.envs[env])
    assert not problems, "\n".join(problems)
    assert estimate == pytest.approx(deployed, rel=TOLERANCE), (estimate, deployed)


@generated(6)
@given(gen=stacks(1, 5, targets=["terraform", "kubernetes"]))
def test_generated_stacks_estimate_their_inventory(gen: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="infracc-cost-") as tmp:
        result = compile_spec(gen, Path(tmp), ["terraform", "kubernetes"])
    files = _files(result)
    for env in result.ir.envs.values():
        problems, deployed, estimate = compare(files, env)
        assert not problems, f"environment {env.name}:\n" + "\n".join(problems) + "\n" + gen.yaml()
        assert estimate == pytest.approx(deployed, rel=TOLERANCE), (env.name, estimate, deployed, gen.yaml())


def test_the_inventory_check_can_fail() -> None:
    """A NAT gateway the estimate does not know about, and an estimate line with no resource,
    are both reported (the check is not vacuous)."""
    result = compiled(EXAMPLES[0])
    env = next(iter(result.ir.envs.values()))
    files = _files(result)
    path = next(p for p in files if p.startswith(f"terraform/{env.name}/") and p.endswith(".tf.json"))
    doc = json.loads(files[path])
    doc["resource"].setdefault("aws_nat_gateway", {})["extra"] = {"subnet_id": "x"}
    doc["resource"].pop("aws_kms_key", None)
    problems, _, _ = compare({**files, path: json.dumps(doc)}, env)
    assert any("quantity differs" in p and "nat" in p.lower() for p in problems), problems
    assert any("estimated but not deployed" in p and "KMS" in p for p in problems), problems


def test_the_file_system_check_can_fail() -> None:
    """An EFS file system the estimate does not know about is reported: as an unpriced line the
    estimate does not call missing, or as a count that differs once the row exists."""
    result = compiled(EXAMPLES[0])
    env = next(iter(result.ir.envs.values()))
    files = _files(result)
    path = next(p for p in files if p.startswith(f"terraform/{env.name}/") and p.endswith(".tf.json"))
    doc = json.loads(files[path])
    doc["resource"].setdefault("aws_efs_file_system", {})["extra"] = {"encrypted": True}
    problems, _, _ = compare({**files, path: json.dumps(doc)}, env)
    assert any("efs standard-storage" in p and "aws_efs_file_system.extra" in p for p in problems), problems


def report() -> str:
    """Per example and environment: the estimate's fixed total vs the independently priced output."""
    lines = ["| example | env | estimate (fixed) | deployed, priced independently | problems |", "|---|---|---:|---:|---:|"]
    for example, env in CASES:
        result = compiled(example)
        problems, deployed, estimate = compare(_files(result), result.ir.envs[env])
        lines.append(f"| {example} | {env} | ${estimate:,.2f} | ${deployed:,.2f} | {len(problems)} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report())
