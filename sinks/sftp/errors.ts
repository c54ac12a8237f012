// Maps what ssh2 / ssh2-sftp-client throw to typed SinkErrors (a pure decision on code and message).
import { SinkError, type SinkErrorCode } from '../sink.js';

// SFTP v3 status codes (draft-ietf-secsh-filexfer-02 §7).
const SFTP_STATUS: Record<number, SinkErrorCode> = {
  3: 'permission-denied',
  4: 'remote-failure',
  6: 'connection-lost',
  7: 'connection-lost',
};

const NETWORK = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'ERR_NOT_CONNECTED']);

interface ErrorLike {
  code?: unknown;
  level?: unknown;
  message?: unknown;
}

/** Classifies a failure of an operation on `remotePath`. `connectionLost` says the client saw the connection end. */
export function classifySftpError(error: unknown, action: string, remotePath: string | undefined, connectionLost: boolean): SinkError {
  if (error instanceof SinkError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const where = remotePath ? ` ${remotePath}` : '';
  const make = (code: SinkErrorCode, text: string) => new SinkError(code, `${action}${where}: ${text}`, remotePath, { cause: error });

  if (/no space|disk full|quota/i.test(message)) return make('no-space', `no space left on the server (${message})`);
  const status = typeof e.code === 'number' ? SFTP_STATUS[e.code] : undefined;
  if (status === 'permission-denied') return make(status, `permission denied (${message})`);
  if (status && status !== 'remote-failure') return make(status, message);
  if (connectionLost || (typeof e.code === 'string' && NETWORK.has(e.code)) || /unexpected (end|close)|no sftp connection|not connected|connection lost/i.test(message)) {
    return make('connection-lost', `connection lost (${message})`);
  }
  if (status === 'remote-failure') return make(status, `the server reported a failure (${message})`);
  return make('remote-failure', message);
}

/** Classifies a failure to connect. */
export function classifyConnectError(error: unknown, target: string): SinkError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  const message = typeof e.message === 'string' ? e.message : String(error);
  const make = (code: SinkErrorCode, text: string) => new SinkError(code, `connect ${target}: ${text}`, undefined, { cause: error });
  if (e.level === 'client-authentication' || /authentication/i.test(message)) return make('auth', `authentication refused (${message})`);
  if (/timed out/i.test(message) || e.level === 'client-timeout') return make('timeout', message);
  return make('connect', message);
}
