#!/usr/bin/env bash
# `npm test`: sets up Node 26 and what else is missing (scripts/setup.sh), builds the bundle and the
# single executable (from that Node 26), type-checks, lints, then runs every test (unit, integration
# against real OpenBao dev servers, e2e of the built CLI) on Node 26, and the tests that spawn the
# CLI once more against the single executable (VAULTENV_TEST_CLI=sea). Ends with one "N passed, N failed" line counting both runs.
# Arguments go to the first vitest run only; given any, the single-executable run is skipped.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
run() { bash scripts/with-tools.sh "$@"; }
echo "== build" && run node scripts/build.mjs
echo "== typecheck" && run tsc --noEmit -p tsconfig.json
echo "== lint" && run eslint .
reports="$(mktemp -d)"
trap 'rm -rf "$reports"' EXIT
status=0
echo "== tests"
run vitest run --reporter=default --reporter=json --outputFile.json="$reports/main.json" "$@" || status=$?

sea="dist/vaultenv-$(run node -p 'process.platform + "-" + process.arch')"
if [ "$#" -eq 0 ] && [ -x "$sea" ]; then
  # Every integration or e2e test file that spawns the CLI through test/helpers/run-cli.ts.
  mapfile -t files < <(grep -lE '\b(runCli|cliCommand)\(' test/e2e/*.test.ts test/integration/*.test.ts)
  # And the exec stage's own tests, whose harness then runs on the executable's runtime (Bun).
  files+=(test/e2e/exec-stage.test.ts)
  echo "== tests again against the single executable $sea (${#files[@]} files)"
  VAULTENV_TEST_CLI=sea run vitest run --project integration --reporter=default --reporter=json \
    --outputFile.json="$reports/sea.json" "${files[@]}" || status=$?
fi

if compgen -G "$reports/*.json" >/dev/null; then
  run node -e '
    let passed = 0, failed = 0, skipped = 0;
    for (const file of process.argv.slice(1)) {
      const text = require("fs").readFileSync(file, "utf8");
      if (text === "") continue;
      const r = JSON.parse(text);
      passed += r.numPassedTests; failed += r.numFailedTests; skipped += r.numPendingTests;
    }
    console.log(`Tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ""));
  ' "$reports"/*.json
fi
exit "$status"
