import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { backingOff, backoffOf, withRetries } from '../../src/backoff.js';
import { planDelivery, suffixedPath, temporaryPath } from '../../sinks/sftp/plan.js';
import { checkKnownHosts, normalizeFingerprint, parseKnownHosts } from '../../sinks/sftp/known-hosts.js';
import { renderRemotePath, safeName, templateProblems } from '../../sinks/sftp/path-template.js';
import { SftpSinkConfigSchema } from '../../sinks/sftp/config.js';
import { classifySftpError } from '../../sinks/sftp/errors.js';
import { makeBatch, tempDir } from './fixtures.js';

const values = { company: 'Société Générale', batchId: 'B/12', batchName: 'Weekly: EU', closeDate: new Date('2024-05-03T23:59:00Z'), file: 'extract.txt' };

describe('path template', () => {
  it('renders every placeholder with server-safe values', () => {
    expect(renderRemotePath('/in', '{company}/{closeDate:yyyy-MM-dd}/{batchName}_{batchId}/{file}', values)).toBe('/in/Societe_Generale/2024-05-03/Weekly_EU_B_12/extract.txt');
    expect(renderRemotePath('.', '{closeDate:yyyyMMdd_HHmmss}-{file}', values)).toBe('20240503_235900-extract.txt');
  });
  it('makes names safe for any server', () => {
    expect(safeName('../../etc/passwd')).toBe('.._.._etc_passwd');
    expect(safeName('..')).toBe('_');
    expect(safeName('report.')).toBe('report');
    expect(safeName('report. ')).toBe('report._');
    expect(safeName('CON.txt')).toBe('_CON.txt');
    expect(safeName('.done')).toBe('.done');
    expect(safeName(`${'x'.repeat(300)}.csv`)).toHaveLength(200);
  });
  it('rejects unusable templates', () => {
    expect(templateProblems('{company}/{file}')).toEqual([]);
    expect(templateProblems('/abs/{file}')).toContain('the template must be relative (put absolute parts in remoteDir)');
    expect(templateProblems('{company}/../{file}')).toHaveLength(1);
    expect(templateProblems('{company}')).toContain('the template must contain {file}');
    expect(templateProblems('{nope}/{file}')).toContain('unknown placeholder {nope}');
    expect(templateProblems('{closeDate:yyyy-QQ}/{file}')).toHaveLength(1);
  });
});

describe('delivery plan', () => {
  const config = SftpSinkConfigSchema.parse({ host: 'h', username: 'u', password: 'p', insecureSkipHostKeyCheck: true, triggerFile: '.done' });
  it('delivers the entries by default, the original file when there are none, both on request', () => {
    const batch = makeBatch(tempDir('plan'));
    expect(planDelivery(batch, config).data.map((f) => f.kind)).toEqual(['entry', 'entry']);
    expect(planDelivery({ ...batch, entries: [] }, config).data.map((f) => f.kind)).toEqual(['original']);
    expect(planDelivery(batch, { ...config, deliver: 'both' }).data.map((f) => f.kind)).toEqual(['original', 'entry', 'entry']);
    expect(planDelivery(batch, config).triggerPath).toMatch(/\/\.done$/);
  });
  it('refuses two files that would land on the same remote path', () => {
    const batch = makeBatch(tempDir('plan'));
    const clash = { ...batch, entries: [{ ...batch.entries[0]!, name: 'a b.txt' }, { ...batch.entries[1]!, name: 'a_b.txt' }] };
    expect(() => planDelivery(clash, config)).toThrow(/would both be delivered as .*a_b\.txt/);
  });
  it('names suffixed and temporary files in the target directory', () => {
    expect(suffixedPath('/in/x/report.csv', 2)).toBe('/in/x/report-2.csv');
    expect(suffixedPath('/in/x/README', 1)).toBe('/in/x/README-1');
    expect(temporaryPath('/in/x/report.csv')).toBe('/in/x/.report.csv.erp-sync-part');
  });
});

describe('config', () => {
  const base = { host: 'h', username: 'u', privateKeyPath: '/k' };
  it('requires the host key to be verified unless insecureSkipHostKeyCheck is explicit', () => {
    expect(SftpSinkConfigSchema.safeParse(base).success).toBe(false);
    expect(SftpSinkConfigSchema.safeParse({ ...base, insecureSkipHostKeyCheck: true }).success).toBe(true);
    expect(SftpSinkConfigSchema.safeParse({ ...base, knownHostsFile: '/kh' }).success).toBe(true);
    expect(SftpSinkConfigSchema.safeParse({ ...base, knownHostsFile: '/kh', insecureSkipHostKeyCheck: true }).success).toBe(false);
  });
  it('requires credentials, a known key, {batchId} when a manifest is written, and no unknown keys', () => {
    expect(SftpSinkConfigSchema.safeParse({ host: 'h', username: 'u', knownHostsFile: '/kh' }).success).toBe(false);
    expect(SftpSinkConfigSchema.safeParse({ ...base, knownHostsFile: '/kh', pathTemplate: '{company}/{file}' }).success).toBe(false);
    expect(SftpSinkConfigSchema.safeParse({ ...base, knownHostsFile: '/kh', pathTemplate: '{company}/{file}', manifest: false }).success).toBe(true);
    expect(SftpSinkConfigSchema.safeParse({ ...base, knownHostsFile: '/kh', retry: 3 }).success).toBe(false);
  });
});

describe('known_hosts', () => {
  const key = randomBytes(51);
  const other = randomBytes(51);
  const b64 = key.toString('base64');
  it('matches plain, [host]:port, wildcard and hashed entries', () => {
    const salt = randomBytes(20);
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.5]:2222').digest('base64')}`;
    const entries = parseKnownHosts(`# comment\nsftp.example.com,10.0.0.1 ssh-ed25519 ${b64}\n[sftp.example.com]:2200 ssh-ed25519 ${b64}\n*.corp ssh-ed25519 ${b64}\n${hashed} ssh-ed25519 ${b64}\n`);
    expect(checkKnownHosts(entries, 'sftp.example.com', 22, key)).toBe('trusted');
    expect(checkKnownHosts(entries, 'sftp.example.com', 2200, key)).toBe('trusted');
    expect(checkKnownHosts(entries, 'a.corp', 22, key)).toBe('trusted');
    expect(checkKnownHosts(entries, '10.0.0.5', 2222, key)).toBe('trusted');
    expect(checkKnownHosts(entries, '10.0.0.5', 22, key)).toBe('unknown-host');
    expect(checkKnownHosts(entries, 'sftp.example.com', 22, other)).toBe('mismatch');
  });
  it('honours negation and @revoked', () => {
    const entries = parseKnownHosts(`*.corp,!bad.corp ssh-ed25519 ${b64}\n@revoked * ssh-ed25519 ${other.toString('base64')}\n`);
    expect(checkKnownHosts(entries, 'bad.corp', 22, key)).toBe('unknown-host');
    expect(checkKnownHosts(entries, 'x.corp', 22, other)).toBe('revoked');
  });
  it('normalises fingerprints', () => {
    expect(normalizeFingerprint('abc=')).toBe('SHA256:abc');
    expect(normalizeFingerprint('SHA256:abc')).toBe('SHA256:abc');
  });
});

describe('back-off and error types', () => {
  it('retries only what shouldRetry accepts, sleeping between attempts', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = withRetries(async () => {
      calls++;
      throw new Error('down');
    }, backingOff(backoffOf({ attempts: 3, baseDelayMs: 10, maxDelayMs: 100 }), () => true, () => 1), async (ms) => void slept.push(ms));
    await expect(result).rejects.toThrow('down');
    expect(calls).toBe(3);
    expect(slept).toEqual([10, 20]);
  });
  it('classifies SFTP failures', () => {
    expect(classifySftpError({ code: 3, message: 'Permission denied' }, 'upload', '/in/x', false)).toMatchObject({ code: 'permission-denied', retryable: true, remotePath: '/in/x' });
    expect(classifySftpError({ code: 4, message: 'No space left on device' }, 'upload', '/in/x', false).code).toBe('no-space');
    expect(classifySftpError({ code: 4, message: 'Failure' }, 'upload', '/in/x', false).code).toBe('remote-failure');
    expect(classifySftpError({ code: 'ECONNRESET', message: 'reset' }, 'stat', '/in/x', false).code).toBe('connection-lost');
  });
});
