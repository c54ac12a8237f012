// JSON-lines logging (readable on a terminal) with a redaction layer: secrets never reach the output.
import winston from 'winston';
import { printable, printableLines } from './printable.js';

const SECRET_KEY = /(pass(word|phrase)?|secret|token|authorization|private.?key|api.?key|credential|cookie)/i;
const BEARER = /\b(Bearer|OAuth|Basic)\s+[A-Za-z0-9._~+/=$-]{6,}/g;
const PEM = /-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g;
const REDACTED = '[REDACTED]';

// Literal secret values known at run time (configured passwords, issued tokens).
const knownSecrets = new Set<string>();

/** Registers a secret value so it is masked wherever it would appear in a log line, as is or URL-encoded. */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < 4) return;
  for (const form of [value, encodeURIComponent(value), encodeURI(value), new URLSearchParams({ v: value }).toString().slice(2)]) knownSecrets.add(form);
  try {
    knownSecrets.add(decodeURIComponent(value)); // a URL's password comes percent-encoded; drivers print it decoded
  } catch {
    // not percent-encoded text: the value itself is registered
  }
}

/** True for a field name that holds a secret (password, token, key, …). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

function scrubText(text: string): string {
  let out = text.replace(PEM, REDACTED).replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  for (const s of knownSecrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** Deep copy of a log value with secret-looking keys and known secret values masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return printable(scrubText(value));
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    const own: Record<string, unknown> = { ...value };
    // A failed query's parameters are data (tokens, webhook payloads): only their number is logged.
    if (Array.isArray(own.parameters)) {
      own.parameters = `[${own.parameters.length} values not logged]`;
      delete own.detail; // PostgreSQL's detail quotes values too ("Key (x)=(…) already exists")
    }
    if (own.driverError instanceof Error) own.driverError = { name: own.driverError.name, code: (own.driverError as { code?: unknown }).code };
    // The stack keeps its line breaks; the message (which may quote a file or entry name) is escaped.
    return { name: value.name, message: printable(scrubText(value.message)), stack: value.stack && printableLines(scrubText(value.stack)), ...(redact(own, depth + 1) as object) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && typeof v !== 'boolean' ? REDACTED : redact(v, depth + 1);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  for (const key of Reflect.ownKeys(info)) {
    if (typeof key !== 'string') continue; // winston's own Symbol keys (level, message) are rewritten below
    const v = (info as Record<string, unknown>)[key];
    (info as Record<string, unknown>)[key] = key !== 'level' && SECRET_KEY.test(key) && v != null ? REDACTED : redact(v);
  }
  return info;
});

function formatFor(tty: boolean, enabled: (level: string) => boolean): winston.Logform.Format {
  // winston formats every entry before its transport drops the ones below the level: the per-step info lines of a
  // daemon at LOG_LEVEL=warn were redacted and JSON-encoded for nothing (~4 % of its CPU). Dropped first here.
  const base = [winston.format((info) => (enabled(info.level) ? info : false))(), winston.format.errors({ stack: true }), redactFormat(), winston.format.timestamp()];
  if (!tty) return winston.format.combine(...base, winston.format.json());
  return winston.format.combine(
    ...base,
    winston.format.colorize(),
    winston.format.printf(({ timestamp, level, message, ...rest }) => {
      const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
      return `${String(timestamp)} ${level} ${String(message)}${fields.length ? ' ' + fields.join(' ') : ''}`;
    }),
  );
}

export type Logger = winston.Logger;

/** Builds a logger writing to the given stream (stdout by default). */
export function createLogger(opts: { level?: string; stream?: NodeJS.WritableStream; tty?: boolean } = {}): Logger {
  const stream = opts.stream ?? process.stdout;
  const tty = opts.tty ?? Boolean((stream as NodeJS.WriteStream).isTTY);
  const logger: Logger = winston.createLogger({
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    format: formatFor(tty, (level) => logger.isLevelEnabled(level)),
    transports: [new winston.transports.Stream({ stream })],
  });
  return logger;
}

/** The process-wide logger; modules take children with company/batch/step fields. */
export const log: Logger = createLogger();
