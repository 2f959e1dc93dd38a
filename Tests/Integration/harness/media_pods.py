"""The test's side of the operator contract (/work/notes/operator-contract.md), through the Python client:

- `MediaPods` plays kubelet for media pods: Pod objects with the media-pod label, capacity, zone and public-url
  annotations, and their Ready condition and podIP written through the pods/status subresource;
- `Broadcasts` creates Broadcasts, reads what the operator wrote (assignment, conditions, Events) and plays the media
  pod's part of the deletion protocol (condition EgressStopped);
- `BroadcastHistory` records every version of every Broadcast of a namespace from a watch, so a test can check
  afterwards that no broadcast ever had two pods for one epoch, that epochs only grew and that no pod was ever over
  its capacity.

Each holds a DevCluster and takes a new ApiClient after the cluster restarted (DevCluster.stop closes the old ones).
"""

import datetime
import itertools
import threading
import time

from .kube import GROUP, PLURAL, VERSION, broadcast as broadcast_manifest, wait_until

MEDIA_POD_LABEL = "app.kubernetes.io/component"
ZONE_LABEL = "topology.kubernetes.io/zone"
CAPACITY = "media.streamlick.io/capacity"
DRAINING = "media.streamlick.io/draining"
PUBLIC_URL = "media.streamlick.io/public-url"
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
POD_LABEL = "media.streamlick.io/pod"
FINALIZER = "media.streamlick.io/egress-stopped"
MERGE_PATCH = "application/merge-patch+json"

_pod_ips = itertools.count(1)


def now_rfc3339() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def condition(obj: dict, type_: str) -> dict:
    """The condition `type_` of a Broadcast dict's status; {} when absent."""
    for entry in ((obj or {}).get("status") or {}).get("conditions") or []:
        if entry.get("type") == type_:
            return entry
    return {}


def assignment(obj: dict):
    """(pod, epoch) of a Broadcast dict's status.assignment; None when it has none."""
    found = ((obj or {}).get("status") or {}).get("assignment") or {}
    return (found["pod"], found.get("epoch")) if found.get("pod") else None


def phase(obj: dict):
    return ((obj or {}).get("status") or {}).get("phase")


class _Apis:
    """The typed APIs of one ApiClient of `cluster`, renewed when the cluster has been (re)started since."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        self._starts = None

    def _renew(self) -> None:
        from kubernetes import client

        if self._starts == self.cluster.starts:
            return
        api_client = self.cluster.api_client()
        self._starts = self.cluster.starts
        self._client = api_client
        self._core = client.CoreV1Api(api_client)
        self._custom = client.CustomObjectsApi(api_client)
        self._coordination = client.CoordinationV1Api(api_client)

    @property
    def client(self):
        self._renew()
        return self._client

    @property
    def core(self):
        self._renew()
        return self._core

    @property
    def custom(self):
        self._renew()
        return self._custom

    @property
    def coordination(self):
        self._renew()
        return self._coordination

    def plain(self, obj) -> dict:
        """A typed model as the JSON dict the server sent (camelCase keys)."""
        return self.client.sanitize_for_serialization(obj)


class MediaPods:
    """Media pods of one namespace, written the way kubelet and the media pod would."""

    def __init__(self, cluster, namespace: str) -> None:
        self.apis = _Apis(cluster)
        self.namespace = namespace

    def create(self, name: str, capacity: int = None, zone: str = None, ready: bool = True, public_url: str = None,
               pod_ip: str = None, draining: bool = False) -> dict:
        """Creates the Pod, then writes its status (phase Running, podIP, condition Ready) as kubelet would.
        Without `capacity` the Pod has no capacity annotation (the operator's default is 10). Returns the Pod."""
        labels = {MEDIA_POD_LABEL: "media-pod"}
        if zone is not None:
            labels[ZONE_LABEL] = zone
        annotations = {}
        if capacity is not None:
            annotations[CAPACITY] = str(capacity)
        if public_url is not None:
            annotations[PUBLIC_URL] = public_url
        if draining:
            annotations[DRAINING] = "true"
        body = {"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": self.namespace, "labels": labels, "annotations": annotations},
                # A node no kubelet runs: the test is the kubelet.
                "spec": {"nodeName": "media-node", "containers": [{"name": "media", "image": "media-pod"}]}}
        self.apis.core.create_namespaced_pod(self.namespace, body)
        if pod_ip is None:
            number = next(_pod_ips)
            pod_ip = f"10.244.{number // 250}.{number % 250 + 1}"
        return self._write_status(name, ready, pod_ip)

    def _write_status(self, name: str, ready: bool, pod_ip: str = None) -> dict:
        status = {"phase": "Running",
                  "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                                  "lastTransitionTime": now_rfc3339()}]}
        if pod_ip is not None:
            status["podIP"] = pod_ip
            status["podIPs"] = [{"ip": pod_ip}]
        pod = self.apis.core.patch_namespaced_pod_status(name, self.namespace, {"status": status},
                                                         _content_type=MERGE_PATCH)
        return self.apis.plain(pod)

    def set_ready(self, name: str, ready: bool) -> dict:
        """The Ready condition through pods/status (podIP kept)."""
        return self._write_status(name, ready)

    def set_draining(self, name: str, draining: bool = True) -> dict:
        patch = {"metadata": {"annotations": {DRAINING: "true" if draining else None}}}
        return self.apis.plain(self.apis.core.patch_namespaced_pod(name, self.namespace, patch,
                                                                   _content_type=MERGE_PATCH))

    def hold(self, name: str, finalizer: str = "test.streamlick.io/hold") -> None:
        """Adds a finalizer, so that deleting the Pod leaves it Terminating (with a deletionTimestamp)."""
        self.apis.core.patch_namespaced_pod(name, self.namespace, {"metadata": {"finalizers": [finalizer]}},
                                            _content_type=MERGE_PATCH)

    def delete(self, name: str) -> None:
        """Deletes the Pod (devcluster deletes pods at once, without graceful termination, unless held)."""
        self.apis.core.delete_namespaced_pod(name, self.namespace)

    def get(self, name: str) -> dict:
        return self.apis.plain(self.apis.core.read_namespaced_pod(name, self.namespace))

    def deletion_costs(self) -> dict:
        """{pod name: its pod-deletion-cost annotation as an int, or None without one} for the media pods of the
        namespace."""
        pods = self.apis.core.list_namespaced_pod(self.namespace, label_selector=f"{MEDIA_POD_LABEL}=media-pod")
        costs = {}
        for pod in pods.items:
            value = (pod.metadata.annotations or {}).get(DELETION_COST)
            costs[pod.metadata.name] = int(value) if value is not None else None
        return costs

    def wait_for_deletion_costs(self, expected: dict, timeout: float = 5.0) -> dict:
        """Waits until deletion_costs() == `expected` ({pod: count}); fails with the last costs seen."""
        last = {}

        def equal():
            last["costs"] = self.deletion_costs()
            return last["costs"] == expected

        try:
            wait_until(equal, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"deletion costs not {expected} within {timeout} s; "
                                 f"last: {last.get('costs')}") from None
        return last["costs"]


class Broadcasts:
    """Broadcasts of one namespace: creating them, reading the operator's work, answering for the media pod."""

    def __init__(self, cluster, namespace: str) -> None:
        self.apis = _Apis(cluster)
        self.namespace = namespace

    # --- writes of the user ---

    def create(self, name: str, spec: dict = None) -> dict:
        body = broadcast_manifest(name, self.namespace, spec)
        return self.apis.custom.create_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, body)

    def delete(self, name: str) -> None:
        """Asks for deletion (what `kubectl delete bc NAME --wait=false` does)."""
        self.apis.custom.delete_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)

    # --- reads ---

    def get(self, name: str):
        """The Broadcast as a dict; None when it does not exist."""
        from kubernetes.client.exceptions import ApiException

        try:
            return self.apis.custom.get_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL, name)
        except ApiException as error:
            if error.status == 404:
                return None
            raise

    def list(self) -> list:
        return self.apis.custom.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL)["items"]

    def assignment(self, name: str):
        """(pod, epoch) of the Broadcast's status.assignment; None without one."""
        return assignment(self.get(name))

    def assignments(self) -> dict:
        """{broadcast name: (pod, epoch) or None} for every Broadcast of the namespace."""
        return {item["metadata"]["name"]: assignment(item) for item in self.list()}

    def load(self) -> dict:
        """{pod: number of Broadcasts assigned to it}, from the Broadcasts' status."""
        counts = {}
        for found in self.assignments().values():
            if found is not None:
                counts[found[0]] = counts.get(found[0], 0) + 1
        return counts

    def phases(self) -> dict:
        """{phase: count} over the namespace's Broadcasts (None for one without a phase yet)."""
        counts = {}
        for item in self.list():
            counts[phase(item)] = counts.get(phase(item), 0) + 1
        return counts

    def events(self, name: str, reason: str = None) -> list:
        """The core v1 Events whose involvedObject is this Broadcast (kind and name), oldest first, as dicts;
        only those with `reason` when given."""
        found = []
        for event in self.apis.core.list_namespaced_event(self.namespace).items:
            involved = event.involved_object
            if involved is None or involved.kind != "Broadcast" or involved.name != name:
                continue
            if reason is not None and event.reason != reason:
                continue
            found.append(self.apis.plain(event))
        return sorted(found, key=lambda e: int(e["metadata"].get("resourceVersion", 0)))

    def event_count(self, name: str, reason: str) -> int:
        """How many times an Event `reason` was recorded for this Broadcast (an Event's `count` included)."""
        return sum(max(event.get("count") or 1, 1) for event in self.events(name, reason))

    # --- waiting ---

    def wait_for_events(self, name: str, reason: str, count: int = 1, timeout: float = 5.0) -> list:
        """Until at least `count` Events `reason` were recorded for this Broadcast; returns them."""
        try:
            wait_until(lambda: self.event_count(name, reason) >= count, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"fewer than {count} Events {reason} for Broadcast {self.namespace}/{name} within "
                                 f"{timeout} s; its Events: {self.events(name)}") from None
        return self.events(name, reason)

    def wait_for(self, name: str, predicate, timeout: float = 5.0, message: str = None) -> dict:
        """Polls the Broadcast every 50 ms until `predicate(obj)` is truthy; returns that version of it."""
        holder = {}

        def check():
            holder["obj"] = self.get(name)
            return holder["obj"] is not None and predicate(holder["obj"])

        try:
            wait_until(check, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"Broadcast {self.namespace}/{name}: {message or 'condition'} not reached within "
                                 f"{timeout} s; last seen: {holder.get('obj')!r}") from None
        return holder["obj"]

    def wait_scheduled(self, name: str, timeout: float = 5.0) -> dict:
        """Until phase Scheduled with an assignment; returns the Broadcast."""
        return self.wait_for(name, lambda obj: phase(obj) == "Scheduled" and assignment(obj) is not None,
                             timeout, "phase Scheduled with an assignment")

    def wait_gone(self, name: str, timeout: float = 5.0) -> float:
        """Until the Broadcast no longer exists; returns the seconds waited."""
        start = time.monotonic()
        last = {}

        def gone():
            last["obj"] = self.get(name)
            return last["obj"] is None

        try:
            wait_until(gone, timeout=timeout)
        except AssertionError:
            raise AssertionError(f"Broadcast {self.namespace}/{name} still exists after {timeout} s: "
                                 f"{last.get('obj')!r}") from None
        return time.monotonic() - start

    # --- the media pod's part ---

    def report_egress_stopped(self, name: str) -> dict:
        """What the assigned media pod does once it has stopped a deleted Broadcast's egress: condition
        EgressStopped=True through the status subresource (read-modify-write, retried on 409)."""
        from kubernetes.client.exceptions import ApiException

        for _ in range(50):
            obj = self.get(name)
            status = obj.setdefault("status", {})
            conditions = [c for c in status.get("conditions") or [] if c.get("type") != "EgressStopped"]
            conditions.append({"type": "EgressStopped", "status": "True", "reason": "Stopped",
                               "message": "every RTMP stream ended", "lastTransitionTime": now_rfc3339()})
            status["conditions"] = conditions
            try:
                return self.apis.custom.replace_namespaced_custom_object_status(GROUP, VERSION, self.namespace,
                                                                               PLURAL, name, obj)
            except ApiException as error:
                if error.status != 409:
                    raise
            time.sleep(0.02)
        raise AssertionError(f"EgressStopped for {self.namespace}/{name}: 50 conflicts in a row")


class BroadcastHistory:
    """Every version of every Broadcast of a namespace, recorded from a watch on its own thread; the watch resumes
    from the last resourceVersion after a dropped connection or a devcluster restart.

    `versions` is [(resourceVersion, event type, name, (pod, epoch) or None)] in the order the watch delivered them."""

    def __init__(self, cluster, namespace: str) -> None:
        self.apis = _Apis(cluster)
        self.namespace = namespace
        self.versions = []
        self.errors = []
        self.relists = 0  # after a 410 Expired: the history has a gap
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = None

    def start(self) -> "BroadcastHistory":
        self._list()
        self._thread = threading.Thread(target=self._run, name=f"broadcast-history-{self.namespace}", daemon=True)
        self._thread.start()
        return self

    def _list(self) -> None:
        listed = self.apis.custom.list_namespaced_custom_object(GROUP, VERSION, self.namespace, PLURAL)
        for item in listed["items"]:
            self._record("LISTED", item)
        self._resource_version = listed["metadata"]["resourceVersion"]

    def _record(self, kind: str, obj: dict) -> None:
        with self._lock:
            self.versions.append((int(obj["metadata"]["resourceVersion"]), kind, obj["metadata"]["name"],
                                  assignment(obj)))

    def _run(self) -> None:
        from kubernetes import watch
        from kubernetes.client.exceptions import ApiException

        while not self._stopping.is_set():
            try:
                stream = watch.Watch().stream(self.apis.custom.list_namespaced_custom_object, GROUP, VERSION,
                                              self.namespace, PLURAL, resource_version=self._resource_version,
                                              timeout_seconds=1, _request_timeout=5)
                for event in stream:
                    obj = event["object"]
                    if event["type"] == "BOOKMARK":
                        continue
                    self._record(event["type"], obj)
                    self._resource_version = obj["metadata"]["resourceVersion"]
                    if self._stopping.is_set():
                        break
            except ApiException as error:
                with self._lock:
                    self.errors.append(repr(error))
                if error.status == 410:
                    # Versions between the last one seen and now are lost: problems() says so.
                    self._safe_list()
                time.sleep(0.1)
            except Exception as error:  # a restart drops the connection; resume from the last version seen
                with self._lock:
                    self.errors.append(repr(error))
                time.sleep(0.1)

    def _safe_list(self) -> None:
        try:
            self._list()
            self.relists += 1
        except Exception as error:
            with self._lock:
                self.errors.append(repr(error))

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=8)

    def snapshot(self) -> list:
        with self._lock:
            return list(self.versions)

    def wait_for_version(self, resource_version: int, timeout: float = 5.0) -> None:
        """Until the watch has delivered a version at least as new as `resource_version`."""
        wait_until(lambda: any(rv >= resource_version for rv, _, _, _ in self.snapshot()), timeout=timeout,
                   message=f"the watch reaching resourceVersion {resource_version}")

    def problems(self, capacities: dict = None) -> list:
        """What the history shows that the contract forbids: one epoch of a broadcast on two pods, an epoch going
        down, and (with `capacities`, {pod: capacity}) a pod holding more broadcasts than its capacity at any point."""
        found = [f"the watch expired {self.relists} times: versions in between were not seen"] if self.relists else []
        pods_of_epoch = {}
        last_epoch = {}
        current = {}
        for rv, kind, name, placed in self.snapshot():
            if kind == "DELETED":
                current.pop(name, None)
                continue
            current[name] = placed
            if placed is None:
                continue
            pod, epoch = placed
            pods = pods_of_epoch.setdefault((name, epoch), set())
            pods.add(pod)
            if len(pods) > 1:
                found.append(f"{name} epoch {epoch} on pods {sorted(pods)} (at resourceVersion {rv})")
            if epoch < last_epoch.get(name, 0):
                found.append(f"{name} epoch went from {last_epoch[name]} down to {epoch} (at resourceVersion {rv})")
            last_epoch[name] = max(epoch, last_epoch.get(name, 0))
            if capacities:
                load = {}
                for other in current.values():
                    if other is not None:
                        load[other[0]] = load.get(other[0], 0) + 1
                over = {p: n for p, n in load.items() if n > capacities.get(p, 10)}
                if over:
                    found.append(f"over capacity at resourceVersion {rv}: {over}")
        return found

    def assignments_of(self, name: str) -> list:
        """The distinct (pod, epoch) a broadcast had, in the order they appeared."""
        seen = []
        for _, _, version_name, placed in self.snapshot():
            if version_name == name and placed is not None and placed not in seen:
                seen.append(placed)
        return seen
