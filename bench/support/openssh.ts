// OpenSSH's `sftp put` as a benchmark floor, on the cipher erp-sync's sink negotiates: like with like (OpenSSH's
// own default, chacha20-poly1305, is slower than AES-GCM on AES-NI hardware and would flatter the sink).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Client } from 'ssh2';
import type { SshdServer } from '../../sandboxes/openssh/sshd.js';

/** The client-to-server cipher ssh2 negotiates with its defaults, which the sink keeps (session.ts sets no algorithms). */
export function sinkCipher(sshd: SshdServer): Promise<string> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('handshake', (negotiated) => {
      client.end();
      resolve(negotiated.cs.cipher);
    });
    client.once('error', reject);
    client.connect({ host: sshd.host, port: sshd.port, username: sshd.username, privateKey: readFileSync(sshd.privateKeyPath) });
  });
}

/** OpenSSH's sftp puts `file` at `remote` on the sshd; `cipher` undefined: its own default. */
export function opensshSftpPut(sshd: SshdServer, cipher: string | undefined, file: string, remote: string): void {
  execFileSync(
    'sftp',
    ['-q', '-b', '-', ...(cipher ? ['-c', cipher] : []), '-i', sshd.privateKeyPath, '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'BatchMode=yes', '-P', String(sshd.port), `${sshd.username}@127.0.0.1`],
    { input: `put ${file} ${remote}\n`, stdio: ['pipe', 'ignore', 'inherit'] },
  );
}
