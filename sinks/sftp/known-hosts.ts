// Host-key trust: OpenSSH known_hosts lines (plain, hashed "|1|salt|hash", "[host]:port", wildcards,
// "!" negation, @revoked) and pinned "SHA256:..." fingerprints. Pure functions over the key blob.
import { createHash, createHmac } from 'node:crypto';

interface KnownHostEntry {
  marker: '' | '@revoked' | '@cert-authority';
  hostPatterns: string;
  keyType: string;
  keyBlob: Buffer;
}

/** The OpenSSH fingerprint of a public key blob: "SHA256:" + unpadded base64 of its sha256. */
export function sha256Fingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts "SHA256:abc", "abc" and padded base64; returns the canonical "SHA256:abc". */
export function normalizeFingerprint(text: string): string {
  return `SHA256:${text.trim().replace(/^SHA256:/i, '').replace(/=+$/, '')}`;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0] === '@revoked' || fields[0] === '@cert-authority' ? (fields.shift() as KnownHostEntry['marker']) : '';
    const [hostPatterns, keyType, keyBase64] = fields;
    if (!hostPatterns || !keyType || !keyBase64) continue; // malformed lines are skipped, as ssh does
    entries.push({ marker, hostPatterns, keyType, keyBlob: Buffer.from(keyBase64, 'base64') });
  }
  return entries;
}

/** The name ssh looks up: "host" on port 22, else "[host]:port". */
export function hostLookupName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

function hashedMatch(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) return false;
  return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
}

function hostMatches(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) return hashedMatch(patterns, name);
  let matched = false;
  for (const p of patterns.split(',')) {
    if (p.startsWith('!')) {
      if (globMatch(p.slice(1), name)) return false;
    } else if (globMatch(p, name)) matched = true;
  }
  return matched;
}

export type HostKeyVerdict = 'trusted' | 'revoked' | 'mismatch' | 'unknown-host';

/** What known_hosts says about the key a server presented for host:port. CA entries are not supported and never trust. */
export function checkKnownHosts(entries: KnownHostEntry[], host: string, port: number, keyBlob: Buffer): HostKeyVerdict {
  const name = hostLookupName(host, port);
  const forHost = entries.filter((e) => hostMatches(e.hostPatterns, name));
  if (forHost.some((e) => e.marker === '@revoked' && e.keyBlob.equals(keyBlob))) return 'revoked';
  if (forHost.some((e) => e.marker === '' && e.keyBlob.equals(keyBlob))) return 'trusted';
  return forHost.some((e) => e.marker === '') ? 'mismatch' : 'unknown-host';
}
