#!/usr/bin/env bash
# `npm run demo`: dcs in distributed mode in containers, in one command: builds the image, brings up
# docker-compose.yml (PostgreSQL, orchestrator, chunker, compressor, three storage nodes), stores
# some sample files and prints the web UI's address and token. `npm run demo -- down` removes it all.
SCRIPT=demo
export DCS_KEEP_STACK=1
source "$(dirname "$0")/compose-stack.sh"
if [ "${1:-}" = down ]; then down; step "removed the stack and its volumes"; exit 0; fi
stack_up

step "storing sample files"
# Text that compresses and deduplicates (two versions of the README), and a binary that does less.
dcs put README.md docs/*.md -q
sed 's/dcs/DCS/' README.md >"$WORK/README.md" && dcs put "$WORK/README.md" --name README.md -q
dcs put "$(readlink -f "$(command -v node)")" --name bin/node -q
dcs ls
cat <<TXT

dcs is running in containers ($ENGINE). Open the web UI:
  $URL/#token=$DCS_TOKEN
or use the CLI against it:
  export DCS_SERVER=$URL DCS_TOKEN=$DCS_TOKEN
  npx dcs ls
Remove it (containers and volumes):  npm run demo -- down
TXT
