// The embedded server's host key: loaded from disk, or generated once and kept, so clients can pin it.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import ssh2 from 'ssh2';
import { generateEd25519 } from './keygen.js';

export interface HostKey {
  privateKey: Buffer;
  /** Public key blob (SSH wire format). */
  publicBlob: Buffer;
  keyType: string;
  sha256: string;
}

export function loadOrCreateHostKey(path: string): HostKey {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const pair = generateEd25519();
    writeFileSync(path, pair.private, { mode: 0o600, flag: 'wx' });
  }
  const privateKey = readFileSync(path);
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw new Error(`host key ${path}: ${parsed.message}`);
  const publicBlob = parsed.getPublicSSH();
  // OpenSSH's form, computed here rather than with the sink's own code, so that the sink's pinning is checked.
  const sha256 = `SHA256:${createHash('sha256').update(publicBlob).digest('base64').replace(/=+$/, '')}`;
  return { privateKey, publicBlob, keyType: parsed.type, sha256 };
}
