#!/usr/bin/env python3
"""Create a Broadcast the way a Streamlick backend does (docs/backend.md), and print where the studio publishes.

With nothing but the Role of manifests/rbac/backend-role.yaml (create/get/list/watch/delete Broadcasts, create
Secrets) it:
  1. checks that the Broadcast API is installed (a list of Broadcasts, limit 1);
  2. creates Secret <name>-stream-keys with one key per destination (the stream keys, read from the environment:
     STREAM_KEY_<DESTINATION>, e.g. STREAM_KEY_YOUTUBE for --destination youtube=...);
  3. creates Secret <name>-ingest-token with a WHIP bearer token it generates itself (`token`, and `guestToken` for
     guests, the shape of the Secrets the operator creates). The backend's Role cannot read Secrets, so it makes the
     token itself and thereby knows it; the Broadcast names it in spec.ingest.tokenSecretRef;
  4. creates the Broadcast;
  5. watches it until its condition Scheduled is True and status.ingest.whipURL is set, then prints
     `whipURL: ...` (and whepURL, the token's Secret) on stdout and exits 0.
While no media pod has room the Broadcast stays Pending (condition Scheduled False, reason NoCapacity): that is
reported, and the wait goes on until --timeout, because the operator places it as soon as a pod has room.

Exit codes: 0 scheduled; 1 error (no CRD, forbidden, bad input, ...); 2 timed out (not scheduled); 3 timed out while
Pending for lack of capacity; 4 the operator rejected the spec (phase Failed).

    export KUBECONFIG=~/.kube/streamlick-backend.kubeconfig
    export STREAM_KEY_YOUTUBE=xxxx-xxxx-xxxx-xxxx
    python3 examples/backend/create_broadcast.py --namespace streamlick --name weekly-show --title "Weekly show" \\
        --destination youtube=rtmp://a.rtmp.youtube.com/live2

Needs the `kubernetes` Python client (37.0.2: `pip install kubernetes==37.0.2`).
"""

import argparse
import json
import os
import re
import secrets
import sys
import time

try:
    import urllib3
    from kubernetes import client, config, watch
    from kubernetes.client.rest import ApiException
    from kubernetes.config.config_exception import ConfigException
except ImportError:
    sys.exit("this example needs the kubernetes Python client: pip install kubernetes==37.0.2")

GROUP = "media.streamlick.io"
VERSION = "v1alpha1"
PLURAL = "broadcasts"
CRD_NAME = f"{PLURAL}.{GROUP}"
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

EXIT_ERROR, EXIT_TIMEOUT, EXIT_NO_CAPACITY, EXIT_FAILED = 1, 2, 3, 4


class Failure(Exception):
    """An error to report in one clear message, with the exit code to end with."""

    def __init__(self, message: str, code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.code = code


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- connecting ---

def connect(kubeconfig, context):
    """(ApiClient, namespace of the kubeconfig's context or of the pod, where the credentials came from)."""
    if kubeconfig or not os.environ.get("KUBERNETES_SERVICE_HOST"):
        path = os.path.expanduser(kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config")
        if not os.path.exists(path):
            raise Failure(f"no kubeconfig at {path}: pass --kubeconfig FILE or set KUBECONFIG")
        try:
            api_client = config.new_client_from_config(config_file=path, context=context, persist_config=False)
            contexts, active = config.list_kube_config_contexts(config_file=path)
            if context:
                active = next((c for c in contexts if c["name"] == context), active)
        except ConfigException as error:
            raise Failure(f"cannot use kubeconfig {path}: {error}") from None
        return api_client, (active or {}).get("context", {}).get("namespace"), path
    # In a pod: the ServiceAccount's token and namespace (the Role is bound to the ServiceAccount).
    config.load_incluster_config()
    namespace_file = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"
    namespace = open(namespace_file).read().strip() if os.path.exists(namespace_file) else None
    return client.ApiClient(), namespace, "the pod's ServiceAccount"


def api_failure(error: ApiException, action: str, credentials: str) -> Failure:
    """An ApiException as one sentence a backend engineer can act on."""
    message = error.reason or ""
    try:
        message = json.loads(error.body).get("message") or message
    except (TypeError, ValueError, AttributeError):
        pass
    if error.status == 401:
        return Failure(f"{action}: unauthorized (401): the credentials of {credentials} were refused")
    if error.status == 403:
        return Failure(f"{action}: forbidden (403): {message}. The backend's identity needs the Role of "
                       f"manifests/rbac/backend-role.yaml in this namespace (docs/backend.md)")
    return Failure(f"{action}: {error.status} {message}")


def call(action: str, credentials: str, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except ApiException as error:
        raise api_failure(error, action, credentials) from None
    except urllib3.exceptions.HTTPError as error:
        raise Failure(f"{action}: cannot reach the API server: {error}") from None


# --- what the backend creates ---

def stream_keys_secret(name: str, broadcast: str, keys: dict) -> client.V1Secret:
    return client.V1Secret(
        metadata=client.V1ObjectMeta(name=name, labels=labels(broadcast)),
        type="Opaque", string_data=keys)


def ingest_token_secret(name: str, broadcast: str, token: str, guest_token: str) -> client.V1Secret:
    return client.V1Secret(
        metadata=client.V1ObjectMeta(name=name, labels=labels(broadcast)),
        type="Opaque", string_data={"token": token, "guestToken": guest_token})


def labels(broadcast: str) -> dict:
    # The backend's Role cannot delete Secrets: these labels let an administrator find the ones of a deleted
    # Broadcast (docs/backend.md, "Deleting").
    return {"app.kubernetes.io/managed-by": "streamlick-backend", "media.streamlick.io/broadcast": broadcast}


def broadcast_body(namespace: str, name: str, title: str, destinations: list, keys_secret: str,
                   token_secret: str) -> dict:
    spec = {"title": title,
            "ingest": {"tokenSecretRef": {"name": token_secret, "key": "token"}}}
    if destinations:
        spec["destinations"] = [{"name": d, "url": url, "streamKeySecretRef": {"name": keys_secret, "key": d}}
                                for d, url in destinations]
    return {"apiVersion": f"{GROUP}/{VERSION}", "kind": "Broadcast",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


# --- waiting ---

def condition(obj: dict, kind: str):
    for entry in (obj.get("status") or {}).get("conditions") or []:
        if entry.get("type") == kind:
            return entry
    return None


class Waiter:
    """Follows one Broadcast's status through watch events until it is scheduled (returns the object), failed or
    deleted (raises Failure); reports each new NoCapacity message once."""

    def __init__(self, namespace: str, name: str) -> None:
        self.namespace, self.name = namespace, name
        self.last_pending = None

    def done(self, obj: dict):
        status = obj.get("status") or {}
        scheduled = condition(obj, "Scheduled")
        if status.get("phase") == "Failed":
            reason = f"{scheduled.get('reason')}: {scheduled.get('message')}" if scheduled else "no reason given"
            raise Failure(f"the operator rejected Broadcast {self.namespace}/{self.name} (phase Failed, {reason}); "
                          f"delete it and create a corrected one", EXIT_FAILED)
        if scheduled and scheduled.get("status") == "True" and (status.get("ingest") or {}).get("whipURL"):
            return obj
        if scheduled and scheduled.get("status") == "False" and scheduled.get("message") != self.last_pending:
            self.last_pending = scheduled.get("message")
            progress(f"Pending ({scheduled.get('reason')}): {scheduled.get('message')}; the operator places the "
                     f"Broadcast as soon as a media pod has room, waiting")
        return None

    def describe(self, obj) -> str:
        if obj is None:
            return "no status written yet"
        status = obj.get("status") or {}
        scheduled = condition(obj, "Scheduled")
        text = f"phase {status.get('phase') or '(none)'}"
        if scheduled:
            text += f", Scheduled={scheduled.get('status')} ({scheduled.get('reason')}: {scheduled.get('message')})"
        else:
            text += ", no Scheduled condition yet"
        return text


def wait_scheduled(custom: client.CustomObjectsApi, namespace: str, name: str, resource_version: str,
                   timeout: float, credentials: str) -> dict:
    """Watches the Broadcast from `resource_version` (the create's: nothing after it is missed) until it is
    scheduled; raises Failure on timeout, phase Failed or deletion."""
    waiter = Waiter(namespace, name)
    deadline = time.monotonic() + timeout
    last = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        stream = watch.Watch()
        try:
            for event in stream.stream(custom.list_namespaced_custom_object, GROUP, VERSION, namespace, PLURAL,
                                       field_selector=f"metadata.name={name}", resource_version=resource_version,
                                       timeout_seconds=max(1, int(remaining)), _request_timeout=remaining + 5):
                obj = event["object"]
                resource_version = obj["metadata"]["resourceVersion"]
                if event["type"] == "DELETED":
                    raise Failure(f"Broadcast {namespace}/{name} was deleted while waiting for it to be scheduled")
                last = obj
                if waiter.done(obj):
                    stream.stop()
                    return obj
                if time.monotonic() >= deadline:
                    stream.stop()
                    break
        except ApiException as error:
            if error.status != 410:
                raise api_failure(error, f"watching Broadcast {namespace}/{name}", credentials) from None
            # The watch fell behind the server's history: read the object afresh and watch on from there.
            last = call(f"reading Broadcast {namespace}/{name}", credentials, custom.get_namespaced_custom_object,
                        GROUP, VERSION, namespace, PLURAL, name)
            resource_version = last["metadata"]["resourceVersion"]
            if waiter.done(last):
                return last
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.ProtocolError):
            pass  # the stream ended or stalled: watch again from the last version seen
        except urllib3.exceptions.HTTPError as error:
            raise Failure(f"watching Broadcast {namespace}/{name}: cannot reach the API server: {error}") from None
    if waiter.last_pending is not None and (condition(last or {}, "Scheduled") or {}).get("status") == "False":
        raise Failure(f"timed out after {timeout:g} s: Broadcast {namespace}/{name} is still Pending "
                      f"({waiter.describe(last)}). It stays queued and is scheduled when a media pod has room; "
                      f"delete it if it is no longer wanted", EXIT_NO_CAPACITY)
    raise Failure(f"timed out after {timeout:g} s waiting for Broadcast {namespace}/{name} to be scheduled "
                  f"({waiter.describe(last)}): is broadcast-operator running?", EXIT_TIMEOUT)


# --- main ---

def parse_destination(text: str) -> tuple:
    name, sep, url = text.partition("=")
    if not sep or not DNS_LABEL.match(name) or not re.match(r"^rtmps?://.+", url):
        raise argparse.ArgumentTypeError(f"expected NAME=rtmp://host/app (NAME a DNS label), not {text!r}")
    return name, url


def stream_key_variable(destination: str) -> str:
    return "STREAM_KEY_" + destination.upper().replace("-", "_")


def run(args) -> int:
    if not DNS_LABEL.match(args.name) or len(args.name) > 40:
        raise Failure(f"--name {args.name!r} must be a DNS label of at most 40 characters (the Secrets' names "
                      f"add a suffix)")
    names = [d for d, _ in args.destination]
    if len(set(names)) != len(names):
        raise Failure("destination names must be unique")
    keys = {}
    for destination in names:
        variable = stream_key_variable(destination)
        if not os.environ.get(variable):
            raise Failure(f"set {variable} to the stream key of destination {destination!r} (stream keys are read "
                          f"from the environment so that they never appear in a command line)")
        keys[destination] = os.environ[variable]

    api_client, context_namespace, credentials = connect(args.kubeconfig, args.context)
    namespace = args.namespace or context_namespace or "default"
    core, custom = client.CoreV1Api(api_client), client.CustomObjectsApi(api_client)

    # 1. The Broadcast API is there (before anything is created: the backend could not delete a stray Secret).
    try:
        custom.list_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, limit=1)
    except ApiException as error:
        if error.status == 404:
            raise Failure(f"the Broadcast API ({CRD_NAME}) is not installed in this cluster: an administrator "
                          f"applies it with `kubectl apply -f manifests/crd/{CRD_NAME}.yaml`") from None
        raise api_failure(error, f"listing Broadcasts in namespace {namespace}", credentials) from None
    except urllib3.exceptions.HTTPError as error:
        raise Failure(f"cannot reach the API server ({credentials}): {error}") from None

    keys_secret, token_secret = f"{args.name}-stream-keys", f"{args.name}-ingest-token"

    def create_secret(body: client.V1Secret, what: str) -> None:
        try:
            core.create_namespaced_secret(namespace, body)
        except ApiException as error:
            if error.status == 409:
                raise Failure(f"Secret {namespace}/{body.metadata.name} already exists: choose another --name") \
                    from None
            raise api_failure(error, f"creating Secret {namespace}/{body.metadata.name} ({what})", credentials) \
                from None
        progress(f"created Secret {namespace}/{body.metadata.name} ({what})")

    # 2. and 3. The Secrets the Broadcast refers to, so that it never refers to a missing one.
    if keys:
        create_secret(stream_keys_secret(keys_secret, args.name, keys), "stream keys")
    token = secrets.token_hex(32)
    create_secret(ingest_token_secret(token_secret, args.name, token, secrets.token_hex(32)), "WHIP ingest token")

    # 4. The Broadcast.
    body = broadcast_body(namespace, args.name, args.title or args.name, args.destination, keys_secret, token_secret)
    try:
        created = custom.create_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, body)
    except ApiException as error:
        if error.status == 409:
            raise Failure(f"Broadcast {namespace}/{args.name} already exists") from None
        raise api_failure(error, f"creating Broadcast {namespace}/{args.name}", credentials) from None
    progress(f"created Broadcast {namespace}/{args.name}; waiting for the operator to schedule it")

    # 5. Scheduled, with the WHIP URL of its media pod.
    scheduled = wait_scheduled(custom, namespace, args.name, created["metadata"]["resourceVersion"], args.timeout,
                               credentials)
    status = scheduled["status"]
    assignment = status.get("assignment") or {}
    print(f"Broadcast {namespace}/{args.name} is Scheduled on media pod {assignment.get('pod')} "
          f"(epoch {assignment.get('epoch')})")
    print(f"whipURL: {status['ingest']['whipURL']}")
    print(f"whepURL: {status['ingest'].get('whepURL', '')}")
    print(f"token: key token of Secret {namespace}/{status['ingest'].get('tokenSecretName', token_secret)}")
    if args.show_token:
        print(f"bearer: {token}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG_PATH"),
                        help="kubeconfig file (env KUBECONFIG_PATH; else KUBECONFIG, ~/.kube/config, or in a pod "
                             "its ServiceAccount)")
    parser.add_argument("--context", default=None, help="kubeconfig context (default: the current one)")
    parser.add_argument("--namespace", "-n", default=os.environ.get("BROADCAST_NAMESPACE"),
                        help="namespace (env BROADCAST_NAMESPACE; else the context's, else default)")
    parser.add_argument("--name", default=os.environ.get("BROADCAST_NAME") or f"show-{secrets.token_hex(3)}",
                        help="the Broadcast's name (env BROADCAST_NAME; default show-<random>)")
    parser.add_argument("--title", default=None, help="free text (default: the name)")
    parser.add_argument("--destination", action="append", type=parse_destination, default=[],
                        metavar="NAME=URL", help="an RTMP destination, repeatable; its stream key comes from "
                                                 "env STREAM_KEY_<NAME>")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for Scheduled (default 60)")
    parser.add_argument("--show-token", action="store_true", help="also print the WHIP bearer token")
    args = parser.parse_args()
    try:
        return run(args)
    except Failure as failure:
        print(f"error: {failure}", file=sys.stderr, flush=True)
        return failure.code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
