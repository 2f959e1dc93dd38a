"""The generated Broadcast CRD (manifests/crd/, `broadcast-operator crd`) through kubectl 1.32 against devcluster:
it installs, defaults a minimal Broadcast, shows the DESIGN.md §2 printer columns, and rejects what the schema can
reject with kubectl's usual message (issue 6: bad URL scheme, duplicate destination names, relay without whipURL)."""

import json
import pathlib

import pytest

pytestmark = pytest.mark.devcluster

REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
CRD = REPO_ROOT / "manifests/crd/broadcasts.media.streamlick.io.yaml"


@pytest.fixture(scope="module")
def broadcast_crd(devcluster):
    devcluster.kubectl("apply", "-f", str(CRD))
    devcluster.kubectl("wait", "--for=condition=Established", "--timeout=20s", "crd/broadcasts.media.streamlick.io")
    return devcluster


def broadcast(name: str, namespace: str, spec: dict) -> str:
    return json.dumps({"apiVersion": "media.streamlick.io/v1alpha1", "kind": "Broadcast",
                       "metadata": {"name": name, "namespace": namespace}, "spec": spec})


def destination(name: str, url: str = "rtmp://a.rtmp.youtube.com/live2") -> dict:
    return {"name": name, "url": url, "streamKeySecretRef": {"name": f"{name}-key", "key": "streamKey"}}


def rejected(cluster, manifest: str) -> str:
    result = cluster.kubectl("apply", "-f", "-", input=manifest, check=False)
    assert result.returncode != 0, result.stdout
    return result.stderr


def test_minimal_broadcast_is_defaulted_and_listed_with_the_design_columns(broadcast_crd, namespace):
    broadcast_crd.kubectl("apply", "-f", "-", input=broadcast("show", namespace, {"destinations": [destination("yt")]}))
    spec = broadcast_crd.kubectl_json("get", "bc", "show", "-n", namespace)["spec"]
    assert spec["egress"] == {"method": "rtmp"}
    assert spec["guests"] == {"max": 6} and spec["video"] == {"maxBitrateKbps": 4500}
    assert spec["destinations"][0]["enabled"] is True
    header = broadcast_crd.kubectl("get", "bc", "-n", namespace).stdout.splitlines()[0].split()
    assert header == ["NAME", "PHASE", "POD", "METHOD", "DESTINATIONS", "AGE"]
    assert "media" in broadcast_crd.kubectl("api-resources", "--categories=media", "-o", "name").stdout


def test_url_scheme_must_be_rtmp(broadcast_crd, namespace):
    stderr = rejected(broadcast_crd, broadcast("ftp", namespace, {"destinations": [destination("yt", "http://x/live")]}))
    assert stderr.strip() == ('The Broadcast "ftp" is invalid: spec.destinations[0].url: Invalid value: '
                              '"http://x/live": spec.destinations[0].url in body should match \'^rtmps?://.+\'')


def test_destination_names_are_unique(broadcast_crd, namespace):
    stderr = rejected(broadcast_crd, broadcast("dup", namespace, {"destinations": [destination("yt"), destination("yt")]}))
    assert stderr.strip() == ('The Broadcast "dup" is invalid: spec.destinations[1]: Duplicate value: '
                              'map[string]interface {}{"name":"yt"}')


def test_relay_needs_its_whip_url(broadcast_crd, namespace):
    stderr = rejected(broadcast_crd, broadcast("relay", namespace, {"egress": {
        "method": "relay", "relay": {"bearerTokenSecretRef": {"name": "t", "key": "token"}}}}))
    assert stderr.strip() == 'The Broadcast "relay" is invalid: spec.egress.relay.whipURL: Required value'
    stderr = rejected(broadcast_crd, broadcast("relay-missing", namespace, {"egress": {"method": "relay"}}))
    assert 'The Broadcast "relay-missing" is invalid' in stderr and "spec.egress" in stderr, stderr


def test_bounds_and_enums(broadcast_crd, namespace):
    stderr = rejected(broadcast_crd, broadcast("big", namespace, {"guests": {"max": 17}}))
    assert "spec.guests.max: Invalid value: 17: spec.guests.max in body should be less than or equal to 16" in stderr
    stderr = rejected(broadcast_crd, broadcast("many", namespace,
                                               {"destinations": [destination(f"d{i}") for i in range(11)]}))
    assert "spec.destinations: Too many: 11: must have at most 10 items" in stderr, stderr
    stderr = rejected(broadcast_crd, broadcast("method", namespace, {"egress": {"method": "srt"}}))
    assert 'spec.egress.method: Unsupported value: "srt": supported values: "rtmp", "relay"' in stderr, stderr
