// A recording, fault-injecting HTTP reverse proxy in front of a REAL bao server (plain HTTP), on
// 127.0.0.1. It never answers on its own unless a test injected a fault: everything else is the
// server's own response. Keep-alive on both sides: the client's connections are served keep-alive
// (each request records which client connection carried it), and upstream sockets are pooled.

import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface ProxiedRequest {
  /** 1-based order of arrival. */
  seq: number;
  method: string;
  /** Path including the query string, as the client sent it. */
  path: string;
  /** All request headers, unfiltered (X-Vault-Token included). */
  headers: IncomingHttpHeaders;
  body: string;
  /** 1-based id of the client TCP connection that carried the request (equal ids = keep-alive reuse). */
  connection: number;
  /** What a fault rule did to it, if one matched. */
  fault?: 'respond' | 'drop' | 'delay' | 'hang';
  /** Status the client got (undefined for dropped or still pending requests). */
  status?: number;
  /** The server's Retry-After header, when its answer had one. */
  retryAfter?: string;
  /** When the request arrived, in ms (performance.now() of the test process). */
  at: number;
  /** When its answer was sent in full, in the same clock (undefined for dropped or pending requests). */
  answeredAt?: number;
}

export interface FaultRule {
  /** Which requests the rule applies to; default all. */
  match?: (req: ProxiedRequest) => boolean;
  /** How many matching requests it applies to; default unlimited. */
  times?: number;
  /** Answer with this instead of forwarding. A non-string body is sent as JSON. */
  /** `chunked`: sent without a Content-Length, in chunks, so the client cannot know its size before reading it. */
  respond?: { status: number; body?: unknown; headers?: Record<string, string>; chunked?: boolean };
  /** Wait this long first (then respond / drop / forward). */
  delayMs?: number;
  /** Destroy the client connection without any response. */
  dropConnection?: boolean;
  /** Never answer: the connection stays open, silent, until the client gives up or the proxy closes. */
  hang?: boolean;
}

export interface FaultHandle {
  /** How many requests this rule has applied to so far. */
  hits(): number;
  /** Applications left (Infinity when unlimited). */
  remaining(): number;
  remove(): void;
}

export interface Proxy {
  /** `http://127.0.0.1:<port>`: point the client here. */
  readonly address: string;
  readonly port: number;
  readonly target: string;
  /** method + path (with query) of every request so far, in arrival order. */
  requests(): { method: string; path: string }[];
  /** Full records (headers, body, connection id, fault, status). */
  log(): readonly ProxiedRequest[];
  count(predicate?: (req: ProxiedRequest) => boolean): number;
  /** Client TCP connections accepted so far. */
  connections(): number;
  /** Adds a rule after the existing ones; the first rule that matches and has applications left applies. */
  inject(rule: FaultRule): FaultHandle;
  /** Forgets all rules and recorded requests (connection ids keep counting). */
  reset(): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/**
 * What a proxy saw and the faults it was told to inject: the requests in arrival order, and the
 * rules each new request is matched against (the first that matches and has applications left).
 * Shared by this proxy and the TLS one (tls-proxy.ts).
 */
export interface RuleBook<R extends FaultRule> {
  /** Records a request that just arrived; answers its record and the rule it falls under, if any. */
  arrived(request: Omit<ProxiedRequest, 'seq' | 'at'>): { record: ProxiedRequest; rule: R | undefined };
  records(): ProxiedRequest[];
  inject(rule: R): FaultHandle;
  /** Forgets all rules and recorded requests. */
  reset(): void;
  /** What a proxy hands its tests of the book, as it is: both proxies spread it into their own. */
  controls: Pick<Proxy, 'requests' | 'log' | 'reset'> & { inject(rule: R): FaultHandle };
}

export function createRuleBook<R extends FaultRule>(): RuleBook<R> {
  let rules: Array<{ rule: R; left: number; hits: number }> = [];
  let records: ProxiedRequest[] = [];
  let seq = 0;
  const book: Omit<RuleBook<R>, 'controls'> = {
    arrived(request) {
      const record: ProxiedRequest = { seq: ++seq, ...request, at: performance.now() };
      records.push(record);
      const active = rules.find((r) => r.left > 0 && (r.rule.match?.(record) ?? true));
      if (active !== undefined) {
        active.left -= 1;
        active.hits += 1;
      }
      return { record, rule: active?.rule };
    },
    records: () => records,
    inject(rule) {
      const active = { rule, left: rule.times ?? Number.POSITIVE_INFINITY, hits: 0 };
      rules.push(active);
      return {
        hits: () => active.hits,
        remaining: () => active.left,
        remove: () => {
          rules = rules.filter((r) => r !== active);
        },
      };
    },
    reset() {
      rules = [];
      records = [];
      seq = 0;
    },
  };
  return {
    ...book,
    controls: {
      requests: () => records.map((r) => ({ method: r.method, path: r.path })),
      log: () => records,
      inject: (rule) => book.inject(rule),
      reset: () => book.reset(),
    },
  };
}

export async function startProxy(target: string, options: { keepAliveTimeoutMs?: number; port?: number } = {}): Promise<Proxy> {
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:') throw new Error(`startProxy: only plain http targets are supported, got ${target}`);
  const agent = new http.Agent({ keepAlive: true });
  const book = createRuleBook<FaultRule>();
  let connectionCount = 0;
  const connectionIds = new WeakMap<Socket, number>();
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer({ keepAlive: true, keepAliveTimeout: options.keepAliveTimeoutMs ?? 60_000 });
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 60_000;
  server.on('connection', (socket: Socket) => {
    connectionIds.set(socket, ++connectionCount);
  });

  const delay = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const forward = (req: IncomingMessage, res: ServerResponse, record: ProxiedRequest): void => {
    const headers = endToEnd(req.headers);
    headers.host = upstream.host;
    if (record.body.length > 0 || req.headers['content-length'] !== undefined) {
      headers['content-length'] = String(Buffer.byteLength(record.body));
    }
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: record.path, headers, agent },
      (ures) => {
        record.status = ures.statusCode ?? 502;
        const retryAfter = ures.headers['retry-after'];
        if (retryAfter !== undefined) record.retryAfter = retryAfter;
        res.writeHead(record.status, endToEnd(ures.headers));
        ures.pipe(res);
        ures.on('error', () => res.destroy());
      },
    );
    up.on('error', (err) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      record.status = 502;
      const body = JSON.stringify({ errors: [`proxy: upstream error: ${err.message}`] });
      res.writeHead(502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    up.end(record.body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    const { record, rule } = book.arrived({
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body,
      connection: connectionIds.get(req.socket) ?? 0,
    });
    res.on('finish', () => (record.answeredAt = performance.now()));
    if (rule?.delayMs !== undefined && rule.delayMs > 0) {
      record.fault = 'delay';
      await delay(rule.delayMs);
    }
    if (rule?.hang === true) {
      record.fault = 'hang';
      return;
    }
    if (rule?.dropConnection === true) {
      record.fault = 'drop';
      req.socket.destroy();
      return;
    }
    if (rule?.respond !== undefined) {
      record.fault = 'respond';
      const { status, body: payload, headers, chunked } = rule.respond;
      const text = payload === undefined ? '' : typeof payload === 'string' ? payload : JSON.stringify(payload);
      const out: OutgoingHttpHeaders = chunked === true ? {} : { 'content-length': Buffer.byteLength(text) };
      if (payload !== undefined && typeof payload !== 'string') out['content-type'] = 'application/json';
      Object.assign(out, headers);
      record.status = status;
      res.writeHead(status, out);
      res.end(text);
      return;
    }
    forward(req, res, record);
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks).toString('utf8')).catch(() => res.destroy());
    });
    req.on('error', () => res.destroy());
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('proxy: could not read its port');
  const port = address.port;

  return {
    address: `http://127.0.0.1:${port}`,
    port,
    target,
    ...book.controls,
    count: (predicate) => (predicate === undefined ? book.records().length : book.records().filter(predicate).length),
    connections: () => connectionCount,
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      agent.destroy();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
