#!/usr/bin/env bash
# Checks of the gRPC API in proto/, offline (buf and protoc-gen-es from node_modules/.bin; no
# Buf Schema Registry, no remote plugins). Run by test/proto/proto.test.ts, so by `npm test`.
#
#   1. buf lint                 STANDARD rules (proto/buf.yaml)
#   2. buf breaking             against the committed baseline image proto/baseline/dcs-v1.binpb,
#                               with the FILE rule set from proto/buf.yaml
#   3. buf format               the .proto files are formatted the way `buf format -w` leaves them
#   4. generated code           `buf generate` into a temporary directory equals src/services/gen
#                               (src/services/gen itself is never written by this script)
#
# Fixing failures:
#   lint / format:   cd proto && buf format -w      (then fix what `buf lint` still reports)
#   generated code:  cd proto && buf generate       (then commit src/services/gen with the .proto change;
#                    comment changes count too: protoc-gen-es copies comments into the .d.ts files)
#   breaking:        do not touch the baseline; make the change compatible instead: add a field with a
#                    new number, mark an old field `[deprecated = true]` instead of deleting, renaming,
#                    renumbering or retyping it (the FILE rules refuse all four, and a change of
#                    presence such as adding `optional`).
#
# When and how to update the baseline:
#   The baseline is the released dcs.v1 API that clients and older nodes depend on. Rebuild it only
#   as a deliberate, reviewed, versioned API step, never to make this check pass:
#     - after additive changes (new fields, messages, RPCs) ship in a release, so that they are
#       protected from then on as well (until then they are simply not in the baseline);
#     - when a break is unavoidable: put the new shape in a new package version (proto/dcs/v2,
#       package dcs.v2) next to dcs.v1 — an addition, which passes — and keep serving dcs.v1 until
#       its clients have moved; removing dcs.v1 then is the break a rebuilt baseline acknowledges.
#   How:  cd proto && buf build -o baseline/dcs-v1.binpb
#   and commit it alone with a message that names the API version and the change. `buf build` is
#   deterministic, so an unchanged API gives a byte-identical file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$root/node_modules/.bin:$PATH"
cd "$root/proto"

# Where buf.gen.yaml writes, relative to the proto directory (keep in sync with its `out:`).
gen_out="../src/services/gen"
if ! grep -qE "^[[:space:]]*out:[[:space:]]*${gen_out}[[:space:]]*$" buf.gen.yaml; then
  echo "check-proto: buf.gen.yaml no longer writes to ${gen_out}; update gen_out in $0" >&2
  exit 1
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/dcs-check-proto.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

failed=()
step() {
  local name="$1"
  shift
  if "$@"; then
    echo "check-proto: ${name}: ok"
  else
    echo "check-proto: ${name}: FAILED" >&2
    failed+=("$name")
  fi
}

generated_up_to_date() {
  # --output re-roots buf.gen.yaml's relative `out:` paths: ../src/services/gen lands in $tmp/src/services/gen.
  mkdir -p "$tmp/proto"
  buf generate --output "$tmp/proto" || return 1
  if ! diff -rq "$tmp/proto/$gen_out" "$gen_out" >/dev/null; then
    diff -ru "$tmp/proto/$gen_out" "$gen_out" | head -n 60 || true
    echo "check-proto: src/services/gen is stale: run 'cd proto && buf generate' and commit the result" >&2
    return 1
  fi
}

step "buf lint" buf lint
step "buf breaking (FILE, against baseline/dcs-v1.binpb)" buf breaking --against baseline/dcs-v1.binpb
step "buf format" buf format --diff --exit-code
step "generated code" generated_up_to_date

if [ "${#failed[@]}" -gt 0 ]; then
  echo "check-proto: failed: ${failed[*]}" >&2
  exit 1
fi
echo "check-proto: all checks passed"
