// Starts OpenSSH's sshd on a free loopback port for tests and benchmarks (the SFTP sink against the real server):
// its own host key, config and key-only user. As root (CI) it creates a dedicated unprivileged user, so file modes apply to it.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

const SSHD = '/usr/sbin/sshd';
const TEST_USER = 'erpsync-sftp';

export const sshdAvailable = existsSync(SSHD) && existsSync('/usr/bin/ssh-keygen');

export interface SshdServer {
  host: '127.0.0.1';
  port: number;
  username: string;
  /** Client private key (no passphrase) authorised for `username`. */
  privateKeyPath: string;
  knownHostsFile: string;
  hostKeySha256: string;
  /** Writable by `username`; the SFTP path equals the local path (no chroot). */
  dropDir: string;
  /** Inside dropDir, not writable by `username`. */
  lockedDir: string;
  stop(): Promise<void>;
}

const isRoot = () => process.getuid?.() === 0;

/** As root: the unprivileged SFTP user, created once (idempotent). Otherwise: whoever runs the tests. */
function ensureUser(): { name: string; uid: number; gid: number } {
  if (!isRoot()) return { name: userInfo().username, uid: userInfo().uid, gid: userInfo().gid };
  try {
    execFileSync('id', ['-u', TEST_USER], { stdio: 'ignore' });
  } catch {
    // '*' rather than useradd's locked '!': sshd without PAM refuses even key logins to locked accounts.
    execFileSync('useradd', ['--system', '--no-create-home', '--home-dir', '/nonexistent', '--shell', '/bin/sh', '--password', '*', TEST_USER]);
  }
  const id = (flag: string) => Number(execFileSync('id', [flag, TEST_USER], { encoding: 'utf8' }).trim());
  return { name: TEST_USER, uid: id('-u'), gid: id('-g') };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function keygen(path: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'erp-sync-test', '-f', path]);
}

/** Starts sshd -D and resolves once it reports listening. */
export async function startSshd(): Promise<SshdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'erp-sync-sshd-'));
  chmodSync(dir, 0o755); // the SFTP user must traverse it to reach the drop and authorized_keys
  const user = ensureUser();
  keygen(join(dir, 'host_key'));
  keygen(join(dir, 'client_key'));
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o644 });
  const dropDir = join(dir, 'drop');
  const lockedDir = join(dropDir, 'locked');
  mkdirSync(lockedDir, { recursive: true });
  chownSync(dropDir, user.uid, user.gid);
  chmodSync(lockedDir, 0o555); // owned by root when we are root: unwritable for the SFTP user either way

  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_key')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      `AllowUsers ${user.name}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin no',
      'UsePAM no',
      'StrictModes no', // the temp dir is not the user's home; ownership checks would refuse it
      'Subsystem sftp internal-sftp',
      'ForceCommand internal-sftp',
      'LogLevel INFO',
      '',
    ].join('\n'),
  );
  if (isRoot()) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege-separation directory

  const child = spawn(SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.includes(`Server listening on 127.0.0.1 port ${port}`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`sshd exited (${code}): ${stderr}`)));
    child.once('error', reject);
  });

  const hostPub = readFileSync(join(dir, 'host_key.pub'), 'utf8').trim().split(/\s+/);
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
  return {
    host: '127.0.0.1',
    port,
    username: user.name,
    privateKeyPath: join(dir, 'client_key'),
    knownHostsFile,
    // OpenSSH's own fingerprint of its host key, not the sink's computation it is there to check.
    hostKeySha256: execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', join(dir, 'host_key.pub')], { encoding: 'utf8' }).split(/\s+/)[1]!,
    dropDir,
    lockedDir,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
