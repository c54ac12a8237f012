// npm run bench:sftp — a 256 MB file to OpenSSH sshd on loopback: erp-sync's SFTP sink against OpenSSH's
// own `sftp` client putting the same file, in the same run. Goal (issue 18): the sink at >= 0.9 of sftp's throughput.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { SftpSinkConfigSchema } from '../sinks/sftp/config.js';
import { createSftpSink } from '../sinks/sftp/sink.js';
import { createLogger } from '../src/log.js';
import { startSshd } from '../sandboxes/openssh/sshd.js';
import { goalLine } from './support/goal.js';

const SIZE = 256 * 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'erp-sync-bench-'));
const file = join(dir, 'payload.bin');

async function writeRandomFile(): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let written = 0; written < SIZE; written += 1 << 20) {
    const chunk = randomBytes(1 << 20);
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  return hash.digest('hex');
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const mbps = (s: number) => (SIZE / 1024 / 1024 / s).toFixed(1);

const ROUNDS = 3; // interleaved, best of each: a shared 2-core CI box is noisy

const sha256 = await writeRandomFile();
const sshd = await startSshd();
try {
  const quiet = createLogger({ stream: new PassThrough(), level: 'error' });
  const openssh: number[] = [];
  const ours: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    let start = process.hrtime.bigint();
    execFileSync(
      'sftp',
      ['-q', '-b', '-', '-i', sshd.privateKeyPath, '-o', `UserKnownHostsFile=${sshd.knownHostsFile}`, '-o', 'BatchMode=yes', '-P', String(sshd.port), `${sshd.username}@127.0.0.1`],
      { input: `put ${file} ${sshd.dropDir}/openssh-${round}.bin\n`, stdio: ['pipe', 'ignore', 'inherit'] },
    );
    openssh.push(seconds(start));
    if (statSync(join(sshd.dropDir, `openssh-${round}.bin`)).size !== SIZE) throw new Error('OpenSSH sftp put an incomplete file');

    const sink = createSftpSink(
      SftpSinkConfigSchema.parse({
        host: '127.0.0.1',
        port: sshd.port,
        username: sshd.username,
        privateKeyPath: sshd.privateKeyPath,
        knownHostsFile: sshd.knownHostsFile,
        remoteDir: join(sshd.dropDir, `sink-${round}`),
        pathTemplate: '{batchId}/{file}',
        deliver: 'original',
        manifest: false,
      }),
      { log: quiet },
    );
    start = process.hrtime.bigint();
    const report = await sink.deliver({
      company: 'Bench',
      concurBatchId: 'bench',
      batchRowId: '1',
      batchName: 'bench',
      closeDate: new Date(),
      original: { name: 'payload.bin', path: file, sha256, size: SIZE },
      entries: [],
      rows: 0,
      totals: {},
      reconciliation: null,
    });
    ours.push(seconds(start));
    if (!report.ok) throw report.error;
    const delivered = join(sshd.dropDir, `sink-${round}`, 'bench', 'payload.bin');
    if (createHash('sha256').update(readFileSync(delivered)).digest('hex') !== sha256) throw new Error('the sink delivered other bytes');
    rmSync(delivered);
    rmSync(join(sshd.dropDir, `openssh-${round}.bin`));
  }

  const best = (xs: number[]) => Math.min(...xs);
  const ratio = best(openssh) / best(ours);
  const all = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' / ');
  console.log(`256 MB to OpenSSH sshd on loopback, ${ROUNDS} interleaved rounds (best of each)`);
  console.log(`  OpenSSH sftp put : ${best(openssh).toFixed(2)} s  ${mbps(best(openssh))} MB/s   (rounds ${all(openssh)} s)`);
  console.log(`  erp-sync sink    : ${best(ours).toFixed(2)} s  ${mbps(best(ours))} MB/s   (rounds ${all(ours)} s; upload, size check, atomic rename)`);
  console.log(goalLine('SFTP sink / OpenSSH sftp put (throughput, best of 3 interleaved)', ratio, { min: 0.9 }));
} finally {
  await sshd.stop();
  rmSync(dir, { recursive: true, force: true });
}
