// A webhook receiver for erp-sync's alerts, as a team's would be: checks the signature (and its age), drops repeats
// by alert id, and prints what arrived. `npm start` points the alerts at one; tests make it fail or go away.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/log.js';
import type { AlertMessage } from '../../src/alerts/render.js';
import { SIGNATURE_HEADER, verifySignature } from './verify.js';

export interface ReceivedAlert {
  message: AlertMessage;
  signature: string;
  /** The body exactly as received. */
  body: string;
}

export interface AlertReceiverOptions {
  /** Absent: a random one. */
  secret?: string;
  port?: number;
  logger?: Logger;
  /** The receiver's clock (unix milliseconds), for the signature's age. */
  now?: () => number;
}

export interface AlertReceiver {
  url: string;
  port: number;
  secret: string;
  /** Each alert once, in the order it arrived (repeats of an id are answered 200 and not kept). */
  received(): ReceivedAlert[];
  /** Requests refused (bad signature, too old, not JSON). */
  refused(): number;
  /** Answers the next requests with these statuses (e.g. 503), in order, without taking them. */
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}

/** Bodies beyond this are refused (erp-sync's alerts are a few KiB). */
const MAX_BODY = 64 * 1024;

function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => resolve(size > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startAlertReceiver(opts: AlertReceiverOptions = {}): Promise<AlertReceiver> {
  const secret = opts.secret ?? randomBytes(24).toString('hex');
  const now = opts.now ?? Date.now;
  const kept: ReceivedAlert[] = [];
  const seen = new Set<string>();
  const failures: number[] = [];
  let refused = 0;
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const status = failures.shift();
      if (status !== undefined) return res.writeHead(status).end();
      const signature = String(req.headers[SIGNATURE_HEADER] ?? '');
      if (req.method !== 'POST' || body === null || !verifySignature(secret, body, signature, Math.floor(now() / 1000))) {
        refused++;
        opts.logger?.warn('sandbox alert receiver: request refused (bad or old signature)', { component: 'alert-receiver' });
        return res.writeHead(401).end();
      }
      const message = JSON.parse(body) as AlertMessage;
      if (!seen.has(message.id)) {
        seen.add(message.id);
        kept.push({ message, signature, body });
        const what = message.event === 'resolved' ? 'RESOLVED' : 'ALERT';
        opts.logger?.info(`sandbox alert receiver: ${what} ${message.summary}`, { component: 'alert-receiver', kind: message.kind, reason: message.reason, link: message.link });
      }
      res.writeHead(204).end();
    })().catch(() => res.writeHead(400).end());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    port,
    secret,
    received: () => [...kept],
    refused: () => refused,
    failNext: (...statuses) => void failures.push(...statuses),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
