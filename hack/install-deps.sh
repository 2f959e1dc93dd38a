#!/usr/bin/env bash
# Installs what the project needs to build and test: C libraries, test peers, Python test packages.
# Idempotent: a second run installs nothing and takes seconds.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"

apt_packages=(
  pkg-config
  libsrtp2-dev libssl-dev libavformat-dev libavcodec-dev libavutil-dev libopus-dev libyaml-dev
  ffmpeg chromium iproute2
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-nice python3-gi python3-gst-1.0
  gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0
  nginx libnginx-mod-rtmp nftables prometheus
)

missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# kubectl 1.32 drives the devcluster tests. It comes with the machine image (Google Cloud SDK's kubectl
# dispatcher, which runs the 1.32 release against devcluster's 1.32 /version); Debian has no kubectl 1.32 package.
if ! command -v kubectl >/dev/null; then
  echo "install-deps: kubectl (1.32) is missing; install it (e.g. the Google Cloud SDK 'kubectl' package) and retry" >&2
  exit 1
fi

python=${PYTHON:-python3}
"$python" -m pip install -q --disable-pip-version-check -r "$here/Tests/Integration/requirements.txt"
echo "install-deps: ok"
