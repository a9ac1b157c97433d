#!/usr/bin/env bash
# `npm run demo` (README.md, section "Quick start"): a Logstash pipeline's Elasticsearch credentials
# from Vault, end to end on this machine. Sets up (Node 26 and bao in .tools/, scripts/setup.sh),
# builds, starts a local OpenBao dev server, stores secret/elasticsearch/production {username,
# password}, and runs vaultenv with a secrets file naming both keys around a command that prints
# each variable's name and value length.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
bash scripts/with-tools.sh node scripts/build.mjs

work="$(mktemp -d)"
port="$(bash scripts/with-tools.sh node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
root_token="demo-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
bao_bin="$(bash scripts/with-tools.sh sh -c 'command -v bao || command -v vault')"
"$bao_bin" server -dev -dev-no-store-token -dev-root-token-id="$root_token" -dev-listen-address="127.0.0.1:$port" >"$work/bao.log" 2>&1 &
bao_pid=$!
trap 'kill "$bao_pid" 2>/dev/null; wait "$bao_pid" 2>/dev/null; rm -rf "$work"' EXIT

export VAULT_ADDR="http://127.0.0.1:$port"
for _ in $(seq 100); do
  curl -fsS "$VAULT_ADDR/v1/sys/health" >/dev/null 2>&1 && break
  sleep 0.1
done
echo "demo: OpenBao dev server at $VAULT_ADDR (KV v2 at secret/)"
curl -fsS -H "X-Vault-Token: $root_token" -X POST "$VAULT_ADDR/v1/secret/data/elasticsearch/production" \
  -d '{"data":{"username":"elastic","password":"'"$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"'"}}' >/dev/null

cat >"$work/logstash.secrets" <<'SECRETS'
ELASTICSEARCH_USERNAME=elasticsearch/production#username
ELASTICSEARCH_PASSWORD=elasticsearch/production#password
SECRETS
echo "demo: secrets file:"; sed 's/^/    /' "$work/logstash.secrets"
echo "demo: running vaultenv --host \$VAULT_ADDR --secrets-file logstash.secrets -- sh -c '<print names and lengths>'"
echo
VAULT_TOKEN="$root_token" bash scripts/with-tools.sh bin/vaultenv --host "$VAULT_ADDR" --secrets-file "$work/logstash.secrets" -- \
  sh -c 'for name in ELASTICSEARCH_USERNAME ELASTICSEARCH_PASSWORD; do eval "value=\${$name}"; echo "  $name is set, ${#value} characters"; done'
