// The `sftp` sink section of the configuration (src/config/schema.ts embeds SftpSinkConfigSchema in the YAML schema).
import { z } from 'zod';
import { templateProblems } from './path-template.js';
import { JournalSettingsSchema, journalProblems } from '../journal/config.js';

export const DEFAULT_PATH_TEMPLATE = '{company}/{closeDate:yyyy-MM-dd}/{batchName}_{batchId}/{file}';

const DELIVER = z.enum(['original', 'entries', 'both', 'normalized']);
export type DeliverWhat = z.infer<typeof DELIVER>;

export const SftpSinkConfigSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(22),
    username: z.string().min(1),
    /** Path to an OpenSSH or PEM private key. */
    privateKeyPath: z.string().min(1).optional(),
    passphrase: z.string().optional(),
    password: z.string().optional(),
    /** Trust: a known_hosts file, or a pinned fingerprint "SHA256:..." (as `ssh-keygen -lf` prints it). */
    knownHostsFile: z.string().min(1).optional(),
    hostKeySha256: z
      .string()
      .regex(/^(SHA256:)?[A-Za-z0-9+/]{43}=?$/, 'expected an OpenSSH SHA256 fingerprint, e.g. SHA256:abc…')
      .optional(),
    /** Disables host-key verification; logged as a warning at every connection. */
    insecureSkipHostKeyCheck: z.boolean().default(false),
    /** Base directory on the server; absolute, or relative to the login directory. */
    remoteDir: z.string().min(1).default('.'),
    pathTemplate: z
      .string()
      .default(DEFAULT_PATH_TEMPLATE)
      .superRefine((t, ctx) => {
        for (const message of templateProblems(t)) ctx.addIssue({ code: 'custom', message });
      }),
    /**
     * original: the batch file as downloaded; entries: the ZIP's entries (the file itself when not a ZIP); both;
     * normalized: the journal files of `formats`, built from the stored transactions. One value or a list.
     */
    deliver: z.union([DELIVER, z.array(DELIVER).min(1)]).default('entries'),
    ...JournalSettingsSchema,
    manifest: z.boolean().default(true),
    manifestFile: z.string().min(1).default('manifest.json'),
    /** Written last, empty, e.g. ".done"; absent: no trigger file. */
    triggerFile: z.string().min(1).optional(),
    conflictPolicy: z.enum(['fail', 'overwrite', 'suffix']).default('fail'),
    /** Read every upload back and compare its sha256 (the size is always checked). */
    verifySha256: z.boolean().default(false),
    timeouts: z
      .object({
        connectMs: z.number().int().positive().default(20_000),
        /** No progress on an operation or upload for this long ends the connection (a retryable timeout). */
        idleMs: z.number().int().positive().default(60_000),
        keepaliveIntervalMs: z.number().int().nonnegative().default(10_000),
        keepaliveCountMax: z.number().int().positive().default(3),
      })
      .strict()
      .prefault({}),
    /**
     * SSH connections kept open between deliveries to this target (host, port, user, credentials, trust): a
     * delivery reuses an idle one instead of a new handshake. Deliveries beyond maxConnections wait for one.
     */
    pool: z
      .object({
        maxConnections: z.number().int().min(1).max(64).default(4),
        /** An idle connection is closed after this long; 0: closed after every delivery (no reuse). */
        idleMs: z.number().int().nonnegative().default(30_000),
      })
      .strict()
      .prefault({}),
    retries: z
      .object({
        /** Connection attempts per delivery (the library itself does not retry). */
        attempts: z.number().int().min(1).default(4),
        baseDelayMs: z.number().int().nonnegative().default(1_000),
        maxDelayMs: z.number().int().nonnegative().default(30_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (!c.privateKeyPath && c.password === undefined) {
      ctx.addIssue({ code: 'custom', path: ['privateKeyPath'], message: 'set privateKeyPath (and passphrase if any) or password' });
    }
    if (c.passphrase !== undefined && !c.privateKeyPath) {
      ctx.addIssue({ code: 'custom', path: ['passphrase'], message: 'passphrase without privateKeyPath' });
    }
    const trust = [c.knownHostsFile, c.hostKeySha256].filter(Boolean).length;
    if (trust === 0 && !c.insecureSkipHostKeyCheck) {
      ctx.addIssue({
        code: 'custom',
        path: ['knownHostsFile'],
        message: 'the host key must be verified: set knownHostsFile or hostKeySha256 (or, knowingly, insecureSkipHostKeyCheck: true)',
      });
    }
    if (trust > 0 && c.insecureSkipHostKeyCheck) {
      ctx.addIssue({ code: 'custom', path: ['insecureSkipHostKeyCheck'], message: 'insecureSkipHostKeyCheck contradicts knownHostsFile/hostKeySha256' });
    }
    if ((c.manifest || c.triggerFile) && !c.pathTemplate.includes('{batchId}')) {
      // Otherwise every batch's manifest and trigger file would claim the same remote name.
      ctx.addIssue({ code: 'custom', path: ['pathTemplate'], message: 'with a manifest or trigger file the template must contain {batchId}' });
    }
    for (const p of journalProblems(c)) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    if (c.triggerFile !== undefined && c.triggerFile === c.manifestFile) {
      ctx.addIssue({ code: 'custom', path: ['triggerFile'], message: 'triggerFile and manifestFile must differ' });
    }
  });

export type SftpSinkConfigInput = z.input<typeof SftpSinkConfigSchema>;
export type SftpSinkConfig = z.output<typeof SftpSinkConfigSchema>;
