"""Small helpers for the devcluster tests: manifests, polling, and reading kubectl's table output."""

import json
import re
import time

import yaml

GROUP = "media.streamlick.io"
VERSION = "v1alpha1"
PLURAL = "broadcasts"


class _QuotingDumper(yaml.SafeDumper):
    """Double-quotes every string: kubectl reads YAML 1.1, where a bare y, n, on or off is a boolean."""


_QuotingDumper.add_representer(str, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value,
                                                                                  style='"'))


def manifest(*objects) -> str:
    """YAML documents for `kubectl apply -f -`."""
    return yaml.dump_all(list(objects), Dumper=_QuotingDumper, sort_keys=False)


def configmap(name: str, namespace: str = None, data: dict = None, labels: dict = None, **metadata) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    meta.update(metadata)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data if data is not None else {"k": "v"}}


def broadcast(name: str, namespace: str = None, spec: dict = None, labels: dict = None, **metadata) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    meta.update(metadata)
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Broadcast", "metadata": meta,
            "spec": spec if spec is not None else {"title": f"show {name}"}}


def destination(name: str, url: str = "rtmp://127.0.0.1/live", **extra) -> dict:
    return {"name": name, "url": url, "streamKeySecretRef": {"name": f"{name}-key", "key": "streamKey"}, **extra}


def widget(name: str, namespace: str = None, replicas: int = 1) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "test.streamlick.io/v1", "kind": "Widget", "metadata": meta, "spec": {"replicas": replicas}}


def deployment(name: str, namespace: str = None, replicas: int = None, containers: list = None,
               labels: dict = None) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    spec = {"selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                         "spec": {"containers": containers or [{"name": "main", "image": "media-pod:1"}]}}}
    if replicas is not None:
        spec = {"replicas": replicas, **spec}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def pod(name: str, namespace: str = None, labels: dict = None, image: str = "media-pod:1") -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    # Bound to a node that is not the dev kubelet's, so nothing would ever run it: the test plays kubelet.
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"nodeName": "test-node", "containers": [{"name": "main", "image": image}]}}


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = "condition"):
    """Polls `predicate` until it returns something truthy (returned); fails with the last value after `timeout`."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not reached within {timeout} s (last: {last!r})")
        time.sleep(interval)


def parse_table(text: str) -> list:
    """kubectl's table output → [{HEADER: cell}], cut at the header's column starts (headers are separated by at
    least two spaces; one header may hold one space, as NOMINATED NODE). Empty cells are ''."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return []
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=\s\s))\S", header)]
    names = [header[s:e].strip() for s, e in zip(starts, starts[1:] + [len(header)])]
    rows = []
    for line in lines[1:]:
        cells = [line[s:e].strip() for s, e in zip(starts, starts[1:] + [len(line) + 1])]
        rows.append(dict(zip(names, cells)))
    return rows


def headers(text: str) -> list:
    """The column names of kubectl's table output."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    return [h for h in re.split(r"\s{2,}", first.strip()) if h]


def rv(obj) -> int:
    """An object's metadata.resourceVersion as an integer (devcluster's, like etcd's, are integers; clients must
    treat them as opaque, but the tests check that they increase)."""
    if isinstance(obj, dict):
        return int(obj["metadata"]["resourceVersion"])
    return int(obj.metadata.resource_version)


def api_error_body(error) -> dict:
    """The Status object of an ApiException."""
    return json.loads(error.body)
