# Shared by scripts/deploy-check.sh and scripts/demo.sh: the container tools, the images and the
# Compose stack of docker-compose.yml. Sourced, not run, with SCRIPT naming the caller in messages.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
PROJECT=${DCS_COMPOSE_PROJECT:-dcs}
URL=http://127.0.0.1:7070
export DCS_SERVER=$URL DCS_TOKEN=${DCS_TOKEN:-dcs-demo-token}
T0=$(date +%s)
step() { printf '%s %s [%3ss]: %s\n' "$(date +%T)" "$SCRIPT" "$(($(date +%s) - T0))" "$*"; }
fail() { printf '%s: FAILED: %s\n' "$SCRIPT" "$*" >&2; exit 1; }
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

# ---- tools
if docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1; then
  ENGINE=docker; COMPOSE=(docker compose -p "$PROJECT")
else
  if ! command -v podman >/dev/null || ! command -v podman-compose >/dev/null || ! command -v debootstrap >/dev/null || ! command -v curl >/dev/null; then
    step "installing podman, podman-compose, runc, debootstrap, curl"
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman buildah podman-compose runc debootstrap curl >/dev/null
  fi
  # On these machines crun cannot set rlimits or use hybrid cgroups: runc, and limits it may set.
  if [ ! -e /etc/containers/containers.conf.d/50-dcs.conf ]; then
    $SUDO mkdir -p /etc/containers/containers.conf.d
    printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\nruntime = "runc"\n' \
      | $SUDO tee /etc/containers/containers.conf.d/50-dcs.conf >/dev/null
  fi
  ENGINE=podman; COMPOSE=(podman-compose -p "$PROJECT")
fi
export PATH="$ROOT/node_modules/.bin:$PATH"
dcs() { node "$ROOT/bin/dcs.js" "$@"; }
# Signals go to the container's process from the host, as a crash or the OOM killer would send them:
# `podman kill` counts as a user's stop, after which no restart policy applies.
signal() { kill -s "$1" "$($ENGINE inspect -f '{{.State.Pid}}' "$(container "$2")")"; }
container() { $ENGINE ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter "label=com.docker.compose.service=$1" | head -1; }
running() { [ -n "$(container "$1")" ] && [ "$($ENGINE inspect -f '{{.State.Running}}' "$(container "$1")")" = true ]; }
wait_ready() { # until /readyz answers 200, or fail after $1 seconds
  for _ in $(seq "$1"); do curl -sf -o /dev/null "$URL/readyz" && return 0; sleep 1; done
  fail "the orchestrator was not ready within $1 s: $(curl -s "$URL/readyz" || echo 'no answer')"
}
same() { cmp -s "$1" "$2" || fail "$3: the bytes differ"; }

# ---- images: the base images (pulled or made here) and dcs:0.1.0 from the Dockerfile
build_images() {
  [ "$ENGINE" = podman ] && scripts/base-images.sh
  step "building dcs:0.1.0"
  if [ "$ENGINE" = podman ]; then
    podman build -q --pull=never --format docker -t dcs:0.1.0 . >/dev/null
  else
    docker build -q -t dcs:0.1.0 . >/dev/null
  fi
}

# ---- up (with a clean slate: volumes of an earlier run are removed)
WORK=$(mktemp -d /var/tmp/dcs-compose-XXXXXX)
# podman-compose removes only the replicas the file asks for now: name the most these scripts start.
down() { DCS_COMPRESSORS=2 "${COMPOSE[@]}" down -v >/dev/null 2>&1 || true; }
cleanup() { [ "${DCS_KEEP_STACK:-}" = 1 ] || down; rm -rf "$WORK"; }
trap cleanup EXIT
stack_up() {
  build_images
  down
  step "compose up"
  "${COMPOSE[@]}" up -d >"$WORK/up.log" 2>&1 || { tail -20 "$WORK/up.log" >&2; fail "compose up"; }
  wait_ready 90
  step "ready: $(curl -s "$URL/readyz")"
}
