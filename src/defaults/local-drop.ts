// The local SFTP drop (an embedded SSH server over dataDir/sftp-drop) that companies without sinks deliver to.
import { mkdirSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { startSftpDrop, type SftpDrop } from '../../sandboxes/sftp-drop/server.js';
import { generateEd25519 } from '../../sandboxes/sftp-drop/keygen.js';
import { createSftpSink } from '../../sinks/sftp/sink.js';
import { SftpSinkConfigSchema } from '../../sinks/sftp/config.js';
import type { SftpPool } from '../../sinks/sftp/connections.js';
import type { Sink } from '../../sinks/sink.js';

const USER = 'erp-sync';

export interface LocalDrop {
  root: string;
  drop: SftpDrop;
  sinkFor(logger: Logger, pool?: SftpPool): Sink;
  close(): Promise<void>;
}

/** The client key the daemon logs in with: generated once, kept with owner-only permissions. */
function clientKey(dir: string): { privatePath: string; publicKey: string } {
  const privatePath = join(dir, 'sftp-client-key');
  if (!existsSync(privatePath)) {
    const pair = generateEd25519();
    writeFileSync(privatePath, pair.private, { mode: 0o600 });
    writeFileSync(`${privatePath}.pub`, pair.public);
  }
  return { privatePath, publicKey: readFileSync(`${privatePath}.pub`, 'utf8').trim() };
}

export async function startLocalDrop(dataDir: string, logger: Logger): Promise<LocalDrop> {
  const root = join(dataDir, 'sftp-drop');
  const keys = join(dataDir, 'keys');
  mkdirSync(root, { recursive: true });
  mkdirSync(keys, { recursive: true, mode: 0o700 });
  const key = clientKey(keys);
  const drop = await startSftpDrop({ root, host: '127.0.0.1', port: 0, hostKeyPath: join(keys, 'sftp-drop-host-key'), users: [{ username: USER, publicKeys: [key.publicKey] }], log: logger.child({ component: 'sftp-drop' }) });
  logger.info('local SFTP drop started', { root, port: drop.port, hostKey: drop.hostKeySha256 });
  // The files as Concur wrote them, and beside them the normalized journal (generic CSV) a newcomer can open.
  const config = SftpSinkConfigSchema.parse({
    host: '127.0.0.1',
    port: drop.port,
    username: USER,
    privateKeyPath: key.privatePath,
    hostKeySha256: drop.hostKeySha256,
    deliver: ['entries', 'normalized'],
  });
  return {
    root,
    drop,
    sinkFor: (log, pool) => createSftpSink(config, { log, pool }),
    close: () => drop.close(),
  };
}
