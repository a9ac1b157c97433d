// A throwaway PKI for TLS tests, made with the openssl CLI (as test/helpers/k8s-tokenreview.ts does):
// a CA, a server certificate for the given SANs and a client certificate, both signed by the CA.
// EC P-256 keys, valid for one day. The files live in a temp dir the caller removes with cleanup().

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** The client key's PEM body lines (the base64 between the BEGIN/END lines), for leak checks. */
  readonly clientKeyBodyLines: readonly string[];
  cleanup(): void;
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** `serverSans` in openssl syntax, e.g. `['DNS:vault.test']`. */
export function makeTestPki(serverSans: readonly string[]): TestPki {
  const dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-pki-'));
  const f = (name: string) => path.join(dir, name);
  try {
    openssl(['req', '-x509', ...EC, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=vaultenv test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const sign = (name: string, subject: string, extensions: string): void => {
      openssl(['req', ...EC, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject]);
      writeFileSync(f(`${name}.ext`), extensions);
      openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial',
        '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(`${name}.ext`)]);
    };
    sign('server', '/CN=vaultenv test server', `subjectAltName=${serverSans.join(',')}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n`);
    sign('client', '/CN=vaultenv test client', 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const clientKeyBodyLines = readFileSync(f('client.key'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('-----'));
  return {
    dir,
    caCert: f('ca.pem'),
    serverCert: f('server.pem'),
    serverKey: f('server.key'),
    clientCert: f('client.pem'),
    clientKey: f('client.key'),
    clientKeyBodyLines,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
