// The floor: the least a program on this runtime does to run vaultenv's job, for the
// bench to set beside vaultenv (`npm run bench -- --floor`). It takes the bench's own command lines
// (`--version`, or `--secrets-file F [--kv-version 2] -- CMD ARGS`) and nothing else: it reads the
// NAME=path#key lines of F, asks for the KV version of the mount `secret` (unless told it), reads each
// path from secret/data/ over at most 8 keep-alive connections, one request at a time on each (as
// vaultenv's --max-concurrent-requests 8), and execs CMD with the values added to its environment.
// The connections are the runtime's own sockets: Bun's in a Bun executable (vaultenv's plain HTTP
// there), node:net and node:tls on Node (vaultenv's on Node); over TLS the certificate is checked
// against VAULT_CACERT, by the address's host name. No checks of the answers, no retries, no time
// limits, no error messages (any failure exits 1): what a wrapper cannot do without, so that the
// distance from vaultenv to this is what vaultenv's own code costs, and this against a peer is what
// the runtime costs.
'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- a script; `require` is how vaultenv loads built-ins on Bun */

const CONCURRENCY = 8;

function fail() {
  process.exit(1);
}

/** Over TLS on Node, as vaultenv's bundle does: one secure context, and the first session resumed. */
const nodeTls = { context: undefined, session: undefined };

function nodeTlsConnect(host, port, ca, onSecure) {
  const tls = require('node:tls');
  nodeTls.context ??= tls.createSecureContext({ ca });
  const resume = nodeTls.session === undefined ? {} : { session: nodeTls.session };
  const socket = tls.connect({ host, port, servername: host, secureContext: nodeTls.context, ALPNProtocols: ['http/1.1'], ...resume }, onSecure);
  socket.once('session', (session) => (nodeTls.session ??= session));
  return socket;
}

/** One keep-alive connection: `ask(path)` resolves to the answer's body (Content-Length framing only). */
function connection(host, port, token, ca) {
  let buffered = null;
  let waiting = null;
  let write;
  const data = (chunk) => {
    buffered = buffered === null ? Buffer.from(chunk) : Buffer.concat([buffered, chunk]);
    const end = buffered.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = /\r\ncontent-length: *(\d+)/i.exec(buffered.toString('latin1', 0, end));
    if (length === null) fail();
    const size = Number(length[1]);
    if (buffered.length < end + 4 + size) return;
    const body = buffered.toString('utf8', end + 4, end + 4 + size);
    buffered = null;
    const resolve = waiting;
    waiting = null;
    resolve(body);
  };
  let close;
  const opened = new Promise((resolve) => {
    if (typeof Bun !== 'undefined') {
      Bun.connect({
        hostname: host,
        port,
        ...(ca === undefined ? {} : { tls: { ca, serverName: host, rejectUnauthorized: true } }),
        socket: { open: (socket) => { write = (bytes) => socket.write(bytes); close = () => socket.terminate(); resolve(); }, data: (_, chunk) => data(chunk), error: fail, connectError: fail, close() {} },
      }).catch(fail);
    } else {
      const socket =
        ca === undefined
          ? require('node:net').connect({ host, port, noDelay: true }, () => resolve())
          : nodeTlsConnect(host, port, ca, () => resolve());
      socket.setNoDelay(true).on('data', data).on('error', fail);
      write = (bytes) => socket.write(bytes);
      close = () => socket.destroy();
    }
  });
  const ask = async (path) => {
    await opened;
    return new Promise((resolve) => {
      waiting = resolve;
      write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nX-Vault-Request: true\r\nX-Vault-Token: ${token}\r\n\r\n`);
    });
  };
  return { ask, close: () => opened.then(() => close()) };
}

/**
 * Node checks a host name against its IPv6 pattern at every connection and TLS handshake; the first
 * check compiles the pattern, which costs several ms with V8's regular-expression peephole pass on.
 * Compiled with it off, as vaultenv's bundle does (src/cli/v8-tuning.ts), so that the floor does
 * not pay what vaultenv need not.
 */
function compileAddressCheck(host) {
  const net = require('node:net');
  if (net.isIPv4(host)) return;
  const v8 = require('node:v8');
  v8.setFlagsFromString('--no-regexp-peephole-optimization');
  net.isIPv6(host);
  v8.setFlagsFromString('--regexp-peephole-optimization');
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--version') {
    process.stdout.write('floor\n');
    return;
  }
  const at = (flag) => (argv.indexOf(flag) >= 0 ? argv[argv.indexOf(flag) + 1] : undefined);
  const command = argv.slice(argv.indexOf('--') + 1);
  const fs = require('node:fs');
  const lines = fs.readFileSync(at('--secrets-file'), 'utf8').split('\n').filter((line) => line !== '');
  const refs = lines.map((line) => /^([^=]+)=([^#]+)#(.+)$/.exec(line) ?? fail()).map(([, name, path, key]) => ({ name, path, key }));
  const env = { ...process.env };
  if (refs.length > 0) {
    const address = new URL(process.env.VAULT_ADDR);
    const tls = address.protocol === 'https:';
    const ca = tls ? fs.readFileSync(process.env.VAULT_CACERT, 'utf8') : undefined;
    if (typeof Bun === 'undefined') compileAddressCheck(address.hostname);
    const open = () => connection(address.hostname, Number(address.port || (tls ? 443 : 80)), process.env.VAULT_TOKEN, ca);
    const connections = [open()];
    if (at('--kv-version') !== '2' && JSON.parse(await connections[0].ask('/v1/sys/internal/ui/mounts/secret')).data.options.version !== '2') fail();
    while (connections.length < Math.min(CONCURRENCY, refs.length)) connections.push(open());
    let next = 0;
    await Promise.all(
      connections.map(async ({ ask }) => {
        while (next < refs.length) {
          const { name, path, key } = refs[next++];
          env[name] = JSON.parse(await ask(`/v1/secret/data/${path}`)).data.data[key];
        }
      }),
    );
    await Promise.all(connections.map(({ close }) => close()));
  }
  process.execve(command[0], command, env);
}

main().catch(fail);
