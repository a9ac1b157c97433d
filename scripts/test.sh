#!/usr/bin/env bash
# `npm test`: sets up what the machine lacks (scripts/setup.sh), builds the bundle, type-checks, lints,
# then runs every test (unit, integration against real OpenBao dev servers, e2e of the built CLI).
# Ends with one "N passed, N failed" line.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
run() { bash scripts/with-tools.sh "$@"; }
echo "== build" && run node scripts/build.mjs
echo "== typecheck" && run tsc --noEmit -p tsconfig.json
echo "== lint" && run eslint .
echo "== tests"
report="$(mktemp -d)/vitest.json"
status=0
run vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
if [ -s "$report" ]; then
  run node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    console.log(`Tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
  ' "$report"
fi
exit "$status"
