// createVaultHttp's failures that happen before anything is sent. Everything that talks to a server
// is tested against real OpenBao servers in test/integration/.
import { describe, expect, it } from 'vitest';
import { VaultFailure, isRetryable } from '../../../src/vault/failure.ts';
import { createVaultHttp, type VaultHttpOptions } from '../../../src/vault/http.ts';
import { createDeadline } from '../../../src/vault/deadline.ts';
import { rejected } from '../../helpers/thrown.ts';

const TOKEN = 'hvs.CANARY-token';

function client(extra: Partial<VaultHttpOptions>) {
  // Port 9 on the loopback: nothing is sent, Node refuses the request before it connects.
  return createVaultHttp({ host: '127.0.0.1', port: 9, tls: false, validateCerts: true, token: undefined, timeoutMs: 1000, maxSockets: 1, ...extra });
}

describe('a request whose headers Node refuses', () => {
  it.each([
    ['a token with a line break', { token: `${TOKEN}\n` }],
    ['a token with a carriage return inside', { token: `hvs.CANARY\r\nX-Evil: 1` }],
    ['a namespace with a line break', { token: TOKEN, namespace: 'team\nCANARY' }],
  ])('%s is an invalid-request failure without the header value, not an uncaught TypeError', async (_what, extra) => {
    const http = client(extra);
    try {
      for (const method of ['GET', 'POST'] as const) {
        const error = await rejected(http.request(method, '/v1/secret/data/x', method === 'POST' ? { body: {} } : {}));
        expect(error).toBeInstanceOf(VaultFailure);
        const failure = error as VaultFailure;
        expect(failure.kind).toBe('invalid-request');
        expect(failure.detail).toBe('invalid character in a request header (token or namespace)');
        expect(isRetryable(failure.kind)).toBe(false);
        expect(`${failure.message} ${failure.detail}`).not.toContain('CANARY');
      }
      expect(http.requestsSent).toBe(0);
    } finally {
      http.close();
    }
  });

  it('sends again once the token is replaced by a valid one (the failure is per request)', async () => {
    const http = client({ token: `${TOKEN}\n` });
    try {
      expect(((await rejected(http.request('GET', '/v1/x'))) as VaultFailure).kind).toBe('invalid-request');
      http.setToken(TOKEN);
      // With a valid token the request is built and sent (nothing that answers like Vault listens on port 9).
      const error = await rejected(http.request('GET', '/v1/x'));
      expect(error).toBeInstanceOf(VaultFailure);
      expect((error as VaultFailure).kind).toBe('unreachable');
      expect(http.requestsSent).toBe(1);
    } finally {
      http.close();
    }
  });
});

describe('the start-up deadline', () => {
  it('once it passed, a request is not sent: it fails as a deadline failure, not retried', async () => {
    let now = 0;
    const deadline = createDeadline(5_000, () => now);
    const http = client({ deadline });
    try {
      now = 5_000;
      const error = await rejected(http.request('GET', '/v1/secret/data/x'));
      expect(error).toBeInstanceOf(VaultFailure);
      expect((error as VaultFailure).kind).toBe('deadline');
      expect((error as VaultFailure).detail).toBe('the 5 s start-up deadline passed before the request was sent');
      expect(http.requestsSent).toBe(0);
    } finally {
      http.close();
    }
  });
});
