#!/usr/bin/env bash
# The container deployment, run for real: builds the image, brings up docker-compose.yml and checks
# it end to end through the published port as an operator would. Run by .ci/run; see docs/deploy.md.
#
#   scripts/deploy-check.sh            install what is missing, build, up, check, down -v
#   DCS_KEEP_STACK=1 ...               leave the stack running at the end
#
# Uses Docker Compose v2 where a Docker engine answers, else Podman (installed from Debian when
# missing) with podman-compose. Base images come from a registry where one answers, else they are
# made locally (scripts/base-images.sh).
SCRIPT=deploy-check
source "$(dirname "$0")/compose-stack.sh"
stack_up

# A real file: the Node.js binary the project runs on (about 120 MB of machine code and data).
FILE=$(readlink -f "$(command -v node)")
step "put and get $FILE ($(stat -c %s "$FILE") bytes)"
dcs put "$FILE" --name real.bin -q
dcs get real.bin -o "$WORK/real.out" -q
same "$FILE" "$WORK/real.out" "put/get"

step "kill -9 of storage-1 mid-download"
rm -f "$WORK/real.out"
dcs get real.bin -o "$WORK/real.out" -q & getter=$!
sleep 1
signal KILL storage-1
wait $getter || fail "get failed after storage-1 was killed"
same "$FILE" "$WORK/real.out" "get with storage-1 killed"
for _ in $(seq 30); do running storage-1 && break; sleep 1; done
running storage-1 || fail "storage-1 did not come back (restart: unless-stopped)"
step "storage-1 is back"

step "SIGTERM of the orchestrator mid-upload"
dcs put "$FILE" --name term.bin -q 2>"$WORK/term.err" & putter=$!
sleep 1.5
signal TERM orchestrator
put_code=0; wait $putter || put_code=$?
for _ in $(seq 30); do running orchestrator && break; sleep 1; done
running orchestrator || $ENGINE start "$(container orchestrator)" >/dev/null
wait_ready 60
if dcs stat term.bin --json >"$WORK/term.stat" 2>/dev/null; then
  # The orchestrator finished the upload before it stopped: then it must be whole.
  [ "$put_code" = 0 ] || fail "the put failed (exit $put_code: $(head -c 300 "$WORK/term.err")) but term.bin is visible: $(head -c 300 "$WORK/term.stat")"
  dcs get term.bin -o "$WORK/term.out" -q && same "$FILE" "$WORK/term.out" "a put that finished during shutdown"
  step "the put finished before the orchestrator stopped; term.bin is whole"
else
  [ "$put_code" != 0 ] || fail "the put said it succeeded but term.bin is not there"
  step "the put failed ($(head -c 200 "$WORK/term.err")); term.bin is not visible"
fi
dcs put "$FILE" --name term.bin -q
dcs get term.bin -o "$WORK/term.out" -q
same "$FILE" "$WORK/term.out" "the retried put"
step "the retried put completed"

step "restart of the orchestrator (state in PostgreSQL)"
$ENGINE restart "$(container orchestrator)" >/dev/null
wait_ready 60
dcs ls --json >"$WORK/ls.json"
node -e 'const names = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).map((f) => f.name).sort().join(","); if (names !== "real.bin,term.bin") { console.error("after restart: " + names); process.exit(1); }' "$WORK/ls.json" \
  || fail "the files did not survive the restart"
dcs get real.bin -o "$WORK/real.out" -q
same "$FILE" "$WORK/real.out" "get after the orchestrator restarted"

step "two compressors"
DCS_COMPRESSORS=2 "${COMPOSE[@]}" up -d >"$WORK/scale.log" 2>&1 || { tail -20 "$WORK/scale.log" >&2; fail "compose up with 2 compressors"; }
[ "$($ENGINE ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter label=com.docker.compose.service=compressor | wc -l)" = 2 ] \
  || fail "compose did not start two compressors"
wait_ready 60
# The orchestrator looks the compressors' name up again every 30 s (remote-transformer.ts): a put
# started sooner finishes (in a few seconds now) before it knows the second one.
sleep 31
head -c 64000000 /dev/urandom | base64 >"$WORK/text.txt"
# The client sends the chunks uncompressed and the orchestrator has its compressors compress them.
dcs put "$WORK/text.txt" --name text.txt --compress-on server -q
dcs get text.txt -o "$WORK/text.out" -q
same "$WORK/text.txt" "$WORK/text.out" "put/get with two compressors"
for c in $($ENGINE ps -q --filter "label=com.docker.compose.project=$PROJECT" --filter label=com.docker.compose.service=compressor); do
  n=$($ENGINE exec "$c" node -e "fetch('http://127.0.0.1:7070/metrics').then((r) => r.text()).then((t) => console.log([...t.matchAll(/^dcs_rpc_total\{[^}]*method=\"[^\"]*Compress[^}]*\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0)))")
  step "compressor $c: $n Compress calls"
  [ "$n" -gt 0 ] || fail "compressor $c got no work"
done

if [ "${DCS_KEEP_STACK:-}" = 1 ]; then step "done; the stack stays up"; exit 0; fi
step "compose down -v"
down
[ -z "$($ENGINE ps -aq --filter "label=com.docker.compose.project=$PROJECT")" ] || fail "containers left after down"
step "passed"
