// OAuth tokens at rest: AES-256-GCM (node:crypto) under the key from ERP_SYNC_SECRET_KEY, bound to the row and
// column they belong to. A sealed value is `enc:v1:<key id>:<base64 of iv | tag | ciphertext>`; the key id lets a
// previous key (rotation) open what it sealed, and every write seals under the current key.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'enc:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A stored token that the configured keys cannot open (wrong key, missing key, tampered value). */
export class TokenKeyError extends Error {
  override readonly name = 'TokenKeyError';
}

interface Key {
  id: string;
  bytes: Buffer;
}

const keyOf = (bytes: Buffer): Key => ({ id: createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes });

/** Current key first, then previous ones; empty: tokens are stored in plain text (with a start-up warning). */
let keys: Key[] = [];

/** 32 bytes as 64 hex digits or base64; null when the text is neither. */
export function parseSecretKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const b = Buffer.from(t, 'base64');
    if (b.length === 32) return b;
  }
  return null;
}

/** Sets the process's token keys (start-up; tests). */
export function useTokenKeys(current: Buffer | null, previous: Buffer[] = []): void {
  keys = current ? [current, ...previous].map(keyOf) : [];
}

export function tokensEncrypted(): boolean {
  return keys.length > 0;
}

export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

/** True when the value is plain text, or sealed under another key than the current one: the next write re-seals it. */
export function needsReseal(stored: string | null): boolean {
  if (stored === null || !keys[0]) return false;
  return !stored.startsWith(`${PREFIX}${keys[0].id}:`);
}

/** `context` names the row and column (e.g. `oauth_tokens/acme/refresh_token`): a value moved elsewhere does not open. */
export function sealToken(plain: string, context: string): string;
export function sealToken(plain: string | null, context: string): string | null;
export function sealToken(plain: string | null, context: string): string | null {
  const key = keys[0];
  if (plain === null || !key) return plain;
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.bytes, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `${PREFIX}${key.id}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

/** The token a stored value holds; plain text (stored before a key was set) passes through. */
export function openToken(stored: string | null, context: string): string | null {
  if (stored === null || !isSealed(stored)) return stored;
  const [id, data] = stored.slice(PREFIX.length).split(':');
  const key = keys.find((k) => k.id === id);
  if (!key) {
    throw new TokenKeyError(
      keys.length
        ? `${context} was encrypted with another key (id ${id}); configured: ${keys.map((k) => k.id).join(', ')}`
        : `${context} is encrypted (key id ${id}) but no ERP_SYNC_SECRET_KEY is set`,
    );
  }
  const raw = Buffer.from(data ?? '', 'base64');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.bytes, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new TokenKeyError(`${context} does not decrypt under key ${key.id} (altered, or moved from another row)`);
  }
}
