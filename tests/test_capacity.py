"""EKS capacity: the managed node group must hold the pods' requests (issue #12, item 5).

The sizing pass (`fit_nodes`) sizes the group from these requests: `min_size` (the group's
desired size) holds every service at `replicas_min`, `max_size` every service at `replicas_max`.
This test checks it independently, with its own capacity table.

Requests are what the Kubernetes backend writes (requests = limits = `comp.sizing` cpu/memory):
services × replicas, every Job/CronJob once, and a `<service>-migrate` Job per service with a
`migrate` command (a pre-upgrade hook, running beside the old pods). The comparison uses raw
instance capacity; allocatable is lower still (kube-reserved, eviction threshold, and the
DaemonSets of the add-ons: aws-node, kube-proxy, eks-pod-identity-agent, cloudwatch agent).
"""
from __future__ import annotations

import pytest
from conftest import EXAMPLES, compiled

# vCPU and memory (MiB) of the EC2 instance types the size profiles use for EKS nodes (AWS EC2
# instance type specifications). `library/` has prices for these types but no capacity table:
# the sizing pass needs one (e.g. `library/instances.json`) to size the node group from requests.
INSTANCES = {
    "t4g.medium": (2, 4 * 1024),
    "m7g.large": (2, 8 * 1024),
    "m7g.xlarge": (4, 16 * 1024),
}


def requests(example: str, env: str, replicas: str) -> tuple[float, int]:
    """Total (vCPU, MiB) the environment's pods request with every service at `replicas`."""
    cpu, memory = 0.0, 0
    for comp in compiled(example).ir.envs[env].graph.components("service", "job"):
        size = comp.sizing
        count = getattr(size, replicas) if comp.kind == "service" else 1
        if comp.kind == "service" and comp.resolved.migrate:
            count += 1
        cpu += count * size.cpu
        memory += count * size.memory_mib
    return cpu, memory


def shortfalls(example: str, replicas: str, nodes: str) -> list[str]:
    ir = compiled(example).ir
    if ir.platform != "eks":
        pytest.skip("no EKS node group")
    found = []
    for env, ir_env in ir.envs.items():
        group = ir_env.nodes
        if group is None:
            continue
        assert group.instance_type in INSTANCES, f"add {group.instance_type} to INSTANCES"
        vcpu, mib = INSTANCES[group.instance_type]
        count = getattr(group, nodes)
        cpu, memory = requests(example, env, replicas)
        if cpu > count * vcpu or memory > count * mib:
            found.append(f"{env}: pods request {cpu:g} vCPU / {memory} MiB at {replicas}; {count} × "
                         f"{group.instance_type} ({nodes}) give {count * vcpu:g} vCPU / {count * mib} MiB")
    return found


@pytest.mark.parametrize("example", EXAMPLES)
def test_minimum_replicas_fit_the_nodes_that_run(example: str) -> None:
    """Without a node autoscaler the group stays at `desired_size = min_size`."""
    problems = shortfalls(example, "replicas_min", "min_size")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("example", EXAMPLES)
def test_maximum_replicas_fit_the_largest_node_group(example: str) -> None:
    problems = shortfalls(example, "replicas_max", "max_size")
    assert not problems, "\n".join(problems)
