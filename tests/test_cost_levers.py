"""Cost levers (issue #13 part B): each lever's decision, its Terraform, and its saving
recomputed here from the cited unit prices.

Unit prices used below (library/prices.json unless named; source of each row in brackets):
- fargate eu-west-1 vCPU-hour: arm64 0.03238, x86_64 0.04048; GB-hour: arm64 0.00356, x86_64 0.004445 [Q:processed/ecs.json]
- rds eu-west-1 postgres: db.t4g.micro single-az 0.017, db.t3.micro single-az 0.02 (the naive x86 class);
  db.m7g.large multi-az 0.372, db.m6i.large multi-az 0.394 USD/h [Q:processed/rds-postgresql-ondemand.json]
- rds eu-west-1 postgres db.m7g.large multi-az 1-year No Upfront reserved 0.2868 USD/h
  (library/levers.json, E:data/rds/eu-west-1-rds-postgresql-reservedinstance-multi-az-1y.json)
- elasticache eu-west-1 cache.t4g.micro: valkey 0.0136, redis 0.017 USD/h [Q:processed/elasticache.json]
- vpc us-east-1: nat-gateway 0.045 USD/h [L:natgateway.json], public-ipv4-address 0.005 USD/h [Q]
- ec2 eu-west-1 t4g.medium 0.0368 USD/h [Q:processed/ec2.json]

Off hours: the default window Mon-Fri 07:00-20:00 is 5 × 13 = 65 h a week, 65 × 730 / 168 h a month.
"""
from __future__ import annotations

import json

import pytest

from infracc.compiler import library_data as lib
from infracc.compiler.passes.levers import first_run_outside, parse_active, reserved_price
from infracc.compiler.pipeline import analyze, emit

H = 730
ACTIVE = round(65 * 730 / 168, 2)  # 282.44


def run(yaml: str):
    result = analyze(text="infracc: 1\nname: shop\n" + yaml)
    return result


def env_of(yaml: str, env: str):
    result = run(yaml)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    return result.ir.envs[env]


def line(env, component: str, prefix: str):
    return next(i for i in env.cost.items if i.component == component and i.item.startswith(prefix))


def saving(env, lever: str) -> float:
    return next((s.monthly_saving for s in env.cost.levers if s.lever == lever), 0.0)


def test_price_rows_the_tests_cite() -> None:
    assert lib.price("fargate", "vcpu", "eu-west-1", arch="arm64").usd == 0.03238
    assert lib.price("rds", "db.t4g.micro", "eu-west-1", engine="postgres", deployment="single-az").usd == 0.017
    assert lib.price("elasticache", "cache.t4g.micro", "eu-west-1", engine="redis").usd == 0.017
    assert lib.price("elasticache", "cache.t4g.micro", "eu-west-1", engine="valkey").usd == 0.0136
    row = reserved_price("db.m7g.large", "postgres", "multi-az", "eu-west-1")
    assert row is not None and row.usd == 0.2868 and "reservedinstance-multi-az-1y" in row.source


SERVICE = ("region: eu-west-1\nservices:\n  w:\n    build: {context: ., language: go}\n"
           "    port: 8080\n    cpu: 1\n    memory: 2Gi\n    replicas: 2\n")


def test_off_hours_default_for_dev_priced_at_active_hours() -> None:
    env = env_of(SERVICE, "dev")
    sched = env.levers.schedule
    assert sched is not None and sched.timezone == "Europe/Dublin" and sched.active == "Mon-Fri 07:00-20:00"
    assert (sched.start_cron, sched.stop_cron) == ("cron(0 7 ? * MON-FRI *)", "cron(0 20 ? * MON-FRI *)")
    assert sched.active_hours_per_month == ACTIVE and sched.services == ["w"]
    arm = 0.03238 + 2 * 0.00356
    assert env.graph.component("service.w").cost.monthly == pytest.approx(2 * ACTIVE * arm, abs=0.01)
    assert env.graph.component("service.w").cost.baseline_monthly == pytest.approx(2 * H * (0.04048 + 2 * 0.004445), abs=0.01)
    assert saving(env, "off-hours") == pytest.approx(2 * (H - ACTIVE) * arm, abs=0.02)


def test_the_last_environment_and_ha_are_always_on_by_default() -> None:
    yaml = SERVICE + "environments:\n  dev: {}\n  qa: {high_availability: true}\n  prod: {}\n"
    result = run(yaml)
    assert result.ok
    assert result.ir.envs["dev"].levers.schedule is not None
    assert result.ir.envs["qa"].levers.schedule is None and "high_availability" in result.ir.envs["qa"].levers.schedule_reason
    assert result.ir.envs["prod"].levers.schedule is None and "production" in result.ir.envs["prod"].levers.schedule_reason


def test_off_hours_false_and_a_custom_window() -> None:
    yaml = SERVICE + ("environments:\n  dev: {off_hours: false}\n"
                      "  qa: {off_hours: {active: 'Mon-Sat 06:30-22:00', timezone: America/New_York}}\n  prod: {}\n")
    result = run(yaml)
    assert result.ok
    assert result.ir.envs["dev"].levers.schedule is None and saving(result.ir.envs["dev"], "off-hours") == 0
    qa = result.ir.envs["qa"].levers.schedule
    assert qa.timezone == "America/New_York" and qa.days == ["MON", "TUE", "WED", "THU", "FRI", "SAT"]
    assert qa.start_cron == "cron(30 6 ? * MON-SAT *)" and qa.stop_cron == "cron(0 22 ? * MON-SAT *)"
    assert qa.active_hours_per_month == round(6 * 15.5 * 730 / 168, 2)


def test_rds_stopped_off_hours_storage_still_billed() -> None:
    env = env_of("region: eu-west-1\ndatabases:\n  db: {}\n", "dev")
    assert env.levers.schedule.databases == ["db"]
    assert line(env, "db", "db.t4g.micro").quantity == ACTIVE
    assert line(env, "db", "db.t4g.micro").monthly == pytest.approx(0.017 * ACTIVE, abs=1e-3)
    assert line(env, "db", "storage-gp3").quantity == 20  # storage is billed while stopped
    assert saving(env, "off-hours") == pytest.approx(0.017 * (H - ACTIVE), abs=0.01)


def test_database_commitment_priced_from_reserved_rows_and_never_stopped() -> None:
    yaml = ("region: eu-west-1\nenvironments:\n  dev: {commitments: {databases: reserved-1y-no-upfront}}\n"
            "  prod: {commitments: {databases: reserved-1y-no-upfront}}\n"
            "databases:\n  db: {instance: db.m7g.large}\n")
    result = run(yaml)
    assert result.ok
    prod, dev = result.ir.envs["prod"], result.ir.envs["dev"]
    reserved = line(prod, "db", "db.m7g.large reserved")
    assert reserved.unit_price == 0.2868 and reserved.monthly == pytest.approx(0.2868 * H)
    assert saving(prod, "commitments") == pytest.approx((0.372 - 0.2868) * H, abs=0.01)
    assert prod.graph.component("database.db").cost.baseline_monthly == pytest.approx(0.394 * H + 0.253 * 100, abs=0.01)  # x86, gp2, 100 GB (large)
    # a reserved instance is billed every hour: the schedule leaves it running
    assert dev.levers.schedule is None or dev.levers.schedule.databases == []
    assert line(dev, "db", "db.m7g.large reserved").quantity == H


def test_savings_plan_is_a_recommendation_never_counted() -> None:
    base = SERVICE + "environments:\n  dev: {}\n  prod: {}\n"
    bought = SERVICE + "environments:\n  dev: {}\n  prod: {commitments: {compute: savings-plan-1y-no-upfront}}\n"
    a, b = env_of(base, "prod"), env_of(bought, "prod")
    assert a.cost.monthly == b.cost.monthly  # no rate table: never a saving
    rec = next(r for r in b.cost.recommendations if r.lever == "compute-savings-plan")
    assert "66%" in rec.discount and "aws.amazon.com/savingsplans" in rec.source and rec.action.startswith("buy")
    assert all(s.lever != "compute-savings-plan" for s in b.cost.levers)


def test_no_nat_for_a_function_only_stack() -> None:
    yaml = ("region: us-east-1\nfunctions:\n  f: {runtime: python3.12, source: ./f, handler: app.handler,"
            " trigger: {schedule: '0 3 * * *'}, uses: [b]}\nbuckets:\n  b: {}\n")
    result = run(yaml)
    assert result.ok
    env = result.ir.envs["dev"]
    assert env.network.nat_gateways == 0 and env.network.nat_strategy == "none"
    assert not any(i.component == "network" for i in env.cost.items)
    assert saving(env, "nat") == pytest.approx(2 * (0.045 + 0.005) * H, abs=0.01)  # baseline: NAT + IP per AZ
    emit(result, ["terraform"])
    doc = json.loads(result.files[next(p for p in result.files if str(p) == "terraform/dev/cdk.tf.json")])
    assert "aws_nat_gateway" not in doc["resource"] and "aws_eip" not in doc["resource"]
    assert not any(r.get("destination_cidr_block") == "0.0.0.0/0" and "nat_gateway_id" in r
                   for r in doc["resource"].get("aws_route", {}).values())


def test_nat_kept_for_a_function_in_the_vpc_and_refusing_it_is_an_error() -> None:
    yaml = ("region: us-east-1\nfunctions:\n  f: {runtime: python3.12, source: ./f, handler: app.handler,"
            " trigger: {schedule: '0 3 * * *'}, uses: [db]}\ndatabases:\n  db: {}\n")
    env = env_of(yaml, "dev")
    assert env.network.nat_gateways == 1 and "functions in the VPC" in env.network.egress
    refused = run(SERVICE + "environments:\n  dev: {nat_gateway: false}\n")
    assert [d.code for d in refused.diagnostics if d.is_error] == ["IC-COST-022"]


def test_functions_in_the_vpc_without_nat_get_interface_endpoints() -> None:
    """`nat_gateway: false` with functions in the VPC: interface endpoints for the APIs they call
    (0.01 USD per endpoint-hour per AZ in us-east-1, [Q:processed/vpc.json]) instead of a NAT
    gateway; the Terraform checked by checkov, terraform validate/test and tf_semantics by hand
    (scripts in the commit message) has the endpoints in the private subnets, HTTPS from the VPC."""
    yaml = ("region: us-east-1\nenvironments: {dev: {nat_gateway: false}, prod: {}}\n"
            "functions:\n  f: {runtime: python3.12, source: ./f, handler: app.handler, trigger: {schedule: '0 3 * * *'},"
            " uses: [db, q:send]}\ndatabases:\n  db: {}\nqueues:\n  q: {}\n")
    result = run(yaml)
    assert result.ok, [d.message for d in result.diagnostics if d.is_error]
    env = result.ir.envs["dev"]
    assert env.network.nat_gateways == 0 and env.network.interface_endpoints == ["secretsmanager", "sqs"]
    endpoints = line(env, "network", "interface endpoints")
    assert endpoints.quantity == 2 * 2 * H and endpoints.monthly == pytest.approx(0.01 * 2 * 2 * H)
    assert saving(env, "nat") == pytest.approx(2 * (0.045 + 0.005) * H - 0.01 * 4 * H, abs=0.01)
    emit(result, ["terraform"])
    doc = json.loads(result.files[next(p for p in result.files if str(p) == "terraform/dev/cdk.tf.json")])
    eps = doc["resource"]["aws_vpc_endpoint"]
    assert eps["endpoint_sqs"]["vpc_endpoint_type"] == "Interface" and eps["endpoint_sqs"]["private_dns_enabled"] is True
    assert eps["endpoint_secretsmanager"]["service_name"].endswith(".secretsmanager")
    assert doc["resource"]["aws_security_group_rule"]["endpoints_https_in"]["cidr_blocks"] == [env.network.cidr]
    assert "aws_nat_gateway" not in doc["resource"]
    prod = result.ir.envs["prod"]  # without the override the function keeps its NAT gateway
    assert prod.network.nat_gateways >= 1 and prod.network.interface_endpoints == []


def test_valkey_against_a_redis_baseline_unless_the_spec_insists() -> None:
    env = env_of("region: eu-west-1\ncaches:\n  c: {}\n", "dev")
    assert line(env, "c", "cache.t4g.micro valkey").monthly == pytest.approx(0.0136 * H)
    assert env.graph.component("cache.c").cost.baseline_monthly == pytest.approx(0.017 * H)
    assert saving(env, "valkey") == pytest.approx((0.017 - 0.0136) * H, abs=0.01)
    redis = env_of("region: eu-west-1\ncaches:\n  c: {engine: redis}\n", "dev")
    assert saving(redis, "valkey") == 0 and line(redis, "c", "cache.t4g.micro redis").monthly == pytest.approx(0.017 * H)


def test_eks_nodes_scaled_to_zero_off_hours() -> None:
    yaml = "region: eu-west-1\nplatform: eks\nservices:\n  w: {build: {context: ., language: go}, port: 8080}\n"
    env = env_of(yaml, "dev")
    assert env.levers.schedule.nodes is True
    nodes = line(env, "cluster", "nodes t4g.medium")
    assert nodes.quantity == pytest.approx(ACTIVE * env.nodes.min_size)
    assert line(env, "cluster", "EKS control plane").quantity == H  # the control plane never stops


def test_lever_savings_add_up_to_the_total_saving() -> None:
    yaml = ("region: eu-west-1\nservices:\n  w: {build: {context: ., language: go}, port: 8080}\n"
            "databases:\n  db: {}\ncaches:\n  c: {}\n"
            "environments:\n  dev: {}\n  prod: {commitments: {databases: reserved-1y-no-upfront}}\n")
    result = run(yaml)
    assert result.ok
    for env in result.ir.envs.values():
        total = sum(s.monthly_saving for s in env.cost.levers)
        assert total == pytest.approx(env.cost.baseline_monthly - env.cost.monthly, abs=0.05), env.name


@pytest.mark.parametrize(("window", "code"), [("Mon-Fri 20:00-07:00", "IC-COST-020")])
def test_a_window_that_stops_before_it_starts_is_an_error(window: str, code: str) -> None:
    result = run(SERVICE + f"environments:\n  dev: {{off_hours: {{active: '{window}'}}}}\n")
    errors = [d for d in result.diagnostics if d.is_error]
    assert [d.code for d in errors] == [code] and errors[0].hint


def test_an_unknown_time_zone_is_an_error() -> None:
    result = run(SERVICE + "environments:\n  dev: {off_hours: {timezone: Europe/Atlantis}}\n")
    assert [d.code for d in result.diagnostics if d.is_error] == ["IC-COST-021"]


def test_a_time_zone_is_what_the_tz_database_lists() -> None:
    """`is_zone` opens one zone file instead of listing the database (issue #14): it accepts
    exactly what `zoneinfo.available_timezones()` lists, and no folder, path or other file."""
    import zoneinfo

    from infracc.compiler.passes.levers import is_zone

    listed = zoneinfo.available_timezones() | {"UTC"}
    assert len(listed) > 300 and all(is_zone(z) for z in listed)
    for name in ("Europe", "Europe/Atlantis", "europe/berlin", "", "../etc/passwd", "/etc/localtime",
                 "posixrules", "zone.tab", "tzdata.zi", "Europe/"):
        assert name not in listed and not is_zone(name), name


def test_a_job_running_while_its_database_is_stopped_is_warned() -> None:
    yaml = ("region: eu-west-1\njobs:\n  j: {build: {context: ., language: go}, schedule: '0 3 * * *', uses: [db]}\n"
            "databases:\n  db: {}\n")
    result = run(yaml)
    assert result.ok
    assert [d.code for d in result.diagnostics if d.code == "IC-COST-023"] == ["IC-COST-023", "IC-COST-023"]  # dev, staging
    inside = run(yaml.replace("'0 3 * * *'", "'0 10 * * 1-5'"))
    assert not [d for d in inside.diagnostics if d.code == "IC-COST-023"]


def test_window_parsing_and_job_runs() -> None:
    assert parse_active("Fri-Mon 08:00-18:00") == (("FRI", "SAT", "SUN", "MON"), "08:00", "18:00")
    assert parse_active("Mon-Fri 07:00-07:00") is None
    sched = env_of(SERVICE, "dev").levers.schedule
    assert first_run_outside("0 12 * * 1-5", sched) is None
    assert first_run_outside("0 12 * * 6", sched) == "Sat 12:00 Europe/Dublin"


def test_schedules_terraform_targets_and_scoped_role() -> None:
    yaml = SERVICE + "databases:\n  db: {}\n"
    result = run(yaml)
    assert result.ok
    emit(result, ["terraform"])
    doc = json.loads(result.files[next(p for p in result.files if str(p) == "terraform/dev/cdk.tf.json")])
    res = doc["resource"]
    actions = res["aws_appautoscaling_scheduled_action"]
    stop, start = actions["service_w_offhours_stop"], actions["service_w_offhours_start"]
    assert stop["scalable_target_action"] == {"min_capacity": "0", "max_capacity": "0"}
    assert start["scalable_target_action"] == {"min_capacity": "2", "max_capacity": "2"}  # replicas: 2
    assert stop["timezone"] == "Europe/Dublin" and stop["schedule"] == "cron(0 20 ? * MON-FRI *)"
    assert res["aws_appautoscaling_target"]["service_w_scaling"]["lifecycle"]["ignore_changes"] == ["min_capacity", "max_capacity"]
    rds = {k: v for k, v in res["aws_scheduler_schedule"].items() if k.startswith("offhours_db")}
    assert {v["target"]["arn"] for v in rds.values()} == {"arn:aws:scheduler:::aws-sdk:rds:stopDBInstance",
                                                          "arn:aws:scheduler:::aws-sdk:rds:startDBInstance"}
    assert all(json.loads(v["target"]["input"]) == {"DbInstanceIdentifier": "${aws_db_instance.db.identifier}"}
               for v in rds.values())
    policy = doc["data"]["aws_iam_policy_document"]["offhours_scheduler"]["statement"]
    rds_stmt = next(s for s in policy if s.get("sid") == "StopStartDatabases")
    assert rds_stmt["resources"] == ["${aws_db_instance.db.arn}"]
    assert sorted(rds_stmt["actions"]) == ["rds:StartDBInstance", "rds:StopDBInstance"]
    prod = json.loads(result.files[next(p for p in result.files if str(p) == "terraform/prod/cdk.tf.json")])
    assert "aws_appautoscaling_scheduled_action" not in prod["resource"]


def test_commitments_are_listed_to_purchase_in_the_docs() -> None:
    yaml = ("region: eu-west-1\ndatabases:\n  db: {instance: db.m7g.large}\n"
            "environments:\n  dev: {}\n  prod: {commitments: {databases: reserved-1y-no-upfront}}\n")
    result = run(yaml)
    assert result.ok
    emit(result, ["docs"])
    prod = result.files[next(p for p in result.files if str(p) == "docs/prod.md")]
    assert "To purchase" in prod and "db.m7g.large, postgres, Multi-AZ, 1 year, No Upfront, in eu-west-1" in prod
    cost = result.files[next(p for p in result.files if str(p) == "docs/cost.md")]
    assert "Savings by lever" in cost and "| commitments |" in cost and "**Off hours:**" in cost


EXAMPLES = ("three-tier", "microservices", "serverless")


@pytest.mark.parametrize("example", EXAMPLES)
def test_examples_lever_savings_add_up_and_non_prod_is_30_percent_below_baseline(example: str) -> None:
    """Every non-production environment of every example is ≥30% below its naive baseline from
    the levers alone; the last environment (production) is reported, not asserted: with the
    counted levers (Graviton, Valkey, the reservations its spec sets) it stays below 30%
    because Savings Plans and Spot have no rate table (see README, Cost levers)."""
    from conftest import ROOT

    result = analyze(ROOT / "examples" / example / "stack.yaml")
    assert result.ok
    for env in result.ir.envs.values():
        c = env.cost
        assert sum(s.monthly_saving for s in c.levers) == pytest.approx(c.baseline_monthly - c.monthly, abs=0.05)
        if not env.settings.is_last:
            assert c.savings_percent >= 30, (example, env.name, c.savings_percent)
            assert env.levers.schedule is not None or "nothing in the environment can be stopped" in env.levers.schedule_reason
        else:
            assert env.levers.schedule is None


def test_an_eks_job_firing_while_the_nodes_are_scaled_to_zero_is_warned() -> None:
    yaml = ("region: eu-west-1\nplatform: eks\nservices:\n  w: {build: {context: ., language: go}, port: 8080}\n"
            "jobs:\n  j: {build: {context: ., language: go}, schedule: '0 2 * * *'}\n")
    result = run(yaml)
    assert result.ok
    warned = [d for d in result.diagnostics if d.code == "IC-COST-023"]
    assert len(warned) == 2 and "node group is scaled to 0" in warned[0].message


def test_cache_commitment_priced_from_reserved_node_rows() -> None:
    """`commitments.caches`: reserved nodes at the 1-year No Upfront rate (library/levers.json,
    E:elasticache-reservedinstance-1 year-No Upfront-eu-west-1-Standard.json: cache.m7g.large 0.118
    USD/h against 0.174 Redis OSS on demand); a Valkey node is priced at the same (Redis OSS) rate."""
    from infracc.compiler.passes.levers import purchases, reserved_node_price

    row = reserved_node_price("elasticache", "cache.m7g.large", "eu-west-1")
    assert row is not None and row.usd == 0.118 and "No%20Upfront-eu-west-1-Standard" in row.source
    assert lib.price("elasticache", "cache.m7g.large", "eu-west-1", engine="redis").usd == 0.174
    valkey = lib.price("elasticache", "cache.m7g.large", "eu-west-1", engine="valkey").usd
    yaml = ("region: eu-west-1\nenvironments:\n  dev: {}\n  prod: {commitments: {caches: reserved-1y-no-upfront}}\n"
            "caches:\n  c: {node: cache.m7g.large}\n")
    prod = env_of(yaml, "prod")
    reserved = line(prod, "c", "cache.m7g.large valkey")
    nodes = prod.graph.component("cache.c").sizing.num_nodes
    assert reserved.unit_price == 0.118 and reserved.quantity == H * nodes and "upper bound" in reserved.assumption
    assert saving(prod, "valkey") == pytest.approx((0.174 - valkey) * H * nodes, abs=0.01)
    assert saving(prod, "commitments") == pytest.approx((valkey - 0.118) * H * nodes, abs=0.01)
    assert all(r.lever != "elasticache-reserved-nodes" for r in prod.cost.recommendations)
    assert any("ElastiCache reserved nodes for `c`" in p for p in purchases(prod))


EKS = ("region: us-east-1\nplatform: eks\nservices:\n  w: {build: {context: ., language: go}, port: 8080}\n")


def test_node_commitment_priced_from_ec2_reserved_rows_and_never_scaled_to_zero() -> None:
    """`commitments.nodes`: the node group's minimum size at the EC2 Standard 1-year No Upfront rate
    (E:data/ec2/us-east-1-reservedinstance-1y.json; its on-demand rate equals library/prices.json's)."""
    from infracc.compiler.passes.levers import purchases, reserved_node_price

    yaml = EKS + "environments:\n  dev: {commitments: {nodes: reserved-1y-no-upfront}}\n  prod: {}\n"
    dev = env_of(yaml, "dev")
    node = dev.nodes.instance_type
    row = reserved_node_price("ec2", node, "us-east-1")
    assert row is not None and "ec2/us-east-1-reservedinstance-1y.json" in row.source
    assert row.usd < lib.price("ec2", node, "us-east-1").usd
    reserved = line(dev, "cluster", f"nodes {node}")
    assert reserved.unit_price == row.usd and reserved.quantity == H * dev.nodes.min_size
    # a reservation is billed every hour: the schedule leaves the nodes running
    assert dev.levers.schedule is None or not dev.levers.schedule.nodes
    assert saving(dev, "commitments") == pytest.approx(
        (lib.price("ec2", node, "us-east-1").usd - row.usd) * H * dev.nodes.min_size, abs=0.01)
    assert any("EC2 Standard reserved instances" in p for p in purchases(dev))


@pytest.mark.parametrize(("yaml", "fragment"), [
    (EKS + "environments:\n  dev: {spot: true, commitments: {nodes: reserved-1y-no-upfront}}\n  prod: {}\n", "Spot"),
    (SERVICE + "environments:\n  dev: {}\n  prod: {commitments: {nodes: reserved-1y-no-upfront}}\n", "no EKS node group"),
])
def test_reserved_nodes_need_an_on_demand_eks_node_group(yaml: str, fragment: str) -> None:
    result = run(yaml)
    errors = [d for d in result.diagnostics if d.code == "IC-COST-024"]
    assert len(errors) == 1 and fragment in errors[0].message and errors[0].is_error, result.diagnostics


def _env_names(example: str) -> list[str]:
    import yaml as pyyaml
    from conftest import ROOT

    spec = pyyaml.safe_load((ROOT / "examples" / example / "stack.yaml").read_text(encoding="utf-8"))
    return list(spec.get("environments") or ["dev", "staging", "prod"])


EXAMPLE_ENVS = [(ex, env) for ex in EXAMPLES for env in _env_names(ex)]
# Production environments still short of 30% with the levers priced from sourced rows: what is left
# there is Fargate compute, internet egress and per-AZ NAT, whose discounts (Compute Savings Plans,
# Fargate/EC2 Spot) have no rate in the price table (README, Cost levers). Strict: passing fails.
SHORT_OF_30 = {("three-tier", "prod"), ("microservices", "prod"), ("serverless", "prod")}


@pytest.mark.parametrize(("example", "env"), [
    pytest.param(ex, env, marks=pytest.mark.xfail(strict=True, reason="no sourced Savings Plans / Spot rate"))
    if (ex, env) in SHORT_OF_30 else (ex, env) for ex, env in EXAMPLE_ENVS], ids=[f"{e}-{v}" for e, v in EXAMPLE_ENVS])
def test_every_example_environment_is_30_percent_below_its_naive_baseline(example: str, env: str) -> None:
    """Computed from the estimate and the baseline, each priced line by line from the table."""
    from conftest import ROOT

    result = analyze(ROOT / "examples" / example / "stack.yaml")
    assert result.ok
    c = result.ir.envs[env].cost
    assert c.baseline_monthly > 0 and not c.missing_prices  # every line has a sourced price
    assert (c.baseline_monthly - c.monthly) / c.baseline_monthly >= 0.30, (example, env, c.monthly, c.baseline_monthly)


def test_every_reserved_row_is_a_valid_price_under_its_key() -> None:
    """Lookups validate only the row they return (levers._reserved); every row is validated here."""
    from infracc.compiler import library_split
    from infracc.compiler.passes import levers

    rows = levers.table()["reserved"]
    keys = [key for region in library_split.regions("levers.json") for key in levers._reserved_rows(region)]
    assert len(keys) == len(set(keys)) == len(rows) > 1000
    for key in keys:
        price = levers._reserved(key)
        assert price is not None and (price.item, str(price.engine), str(price.deployment), price.region) == key
        assert price.usd > 0 and price.unit == "hour" and price.item.endswith("-reserved-1y-no-upfront")

