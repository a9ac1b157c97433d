// A stand-in for the Kubernetes API server's TokenReview endpoint (never for Vault): OpenBao's
// kubernetes auth method POSTs the login JWT to <kubernetes_host>/apis/authentication.k8s.io/v1/tokenreviews
// and trusts the answer. This HTTPS server authenticates the service accounts it is given and no other
// token. Its self-signed certificate (SAN IP:127.0.0.1) is made with the openssl CLI at start.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface ServiceAccount {
  /** The JWT the pod would present. */
  jwt: string;
  namespace: string;
  name: string;
  uid: string;
}

export interface TokenReviewServer {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** PEM of the self-signed certificate (for `kubernetes_ca_cert`). */
  readonly caCertPem: string;
  /** Token reviews answered, authenticated or not. */
  readonly reviews: number;
  close(): Promise<void>;
}

const REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

function selfSignedCertificate(): { key: string; cert: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'vaultenv-k8s-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startTokenReviewServer(accounts: readonly ServiceAccount[]): Promise<TokenReviewServer> {
  const { key, cert } = selfSignedCertificate();
  let reviews = 0;
  const server = https.createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== REVIEW_PATH) {
        reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
        return;
      }
      let review: { spec?: { token?: unknown; audiences?: unknown } };
      try {
        review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof review;
      } catch {
        reply(400, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'BadRequest', code: 400 });
        return;
      }
      reviews++;
      const account = accounts.find((a) => a.jwt === review.spec?.token);
      const status =
        account === undefined
          ? { authenticated: false, error: '[invalid bearer token, token lookup failed]' }
          : {
              authenticated: true,
              user: {
                username: `system:serviceaccount:${account.namespace}:${account.name}`,
                uid: account.uid,
                groups: ['system:serviceaccounts', `system:serviceaccounts:${account.namespace}`, 'system:authenticated'],
              },
              audiences: Array.isArray(review.spec?.audiences) ? review.spec.audiences : [],
            };
      reply(201, { kind: 'TokenReview', apiVersion: 'authentication.k8s.io/v1', metadata: { creationTimestamp: null }, spec: review.spec ?? {}, status });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    caCertPem: cert,
    get reviews() {
      return reviews;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
