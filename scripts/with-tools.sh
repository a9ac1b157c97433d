#!/usr/bin/env bash
# Runs a command with the project's tools first on PATH: Node 26 (.tools/node, which scripts/setup.sh
# always installs), Bun (.tools/bun, which builds the single executable), bao, and node_modules/.bin. Everything the project runs goes through here, so the
# machine's own node, whatever its version, is never used by accident. Where there is no .tools/node (the
# Dockerfile's build stage, a node:26 image) the node on PATH is used.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
PATH="$root/node_modules/.bin:$PATH"
[ -x "$tools/node/bin/node" ] && PATH="$tools/node/bin:$PATH"
[ -x "$tools/bun/bin/bun" ] && PATH="$tools/bun/bin:$PATH"
[ -x "$tools/bao/bin/bao" ] && PATH="$tools/bao/bin:$PATH"
export PATH
exec "$@"
