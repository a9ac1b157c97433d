#!/usr/bin/env bash
# Runs a command with the project's tools first on PATH: Node 24 (when the machine's node is older),
# bao, and node_modules/.bin. Everything the project runs goes through here, so the machine's own
# Node 20 is never used by accident.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
PATH="$root/node_modules/.bin:$PATH"
[ -x "$tools/node/bin/node" ] && PATH="$tools/node/bin:$PATH"
[ -x "$tools/bao/bin/bao" ] && PATH="$tools/bao/bin:$PATH"
export PATH
exec "$@"
