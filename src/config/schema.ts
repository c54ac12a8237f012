// The configuration's shape, validated at start-up. Unknown keys are errors (every object is strict).
import { z } from 'zod';
import { isValidSchedule } from '../model/schedule.js';
import { SftpSinkConfigSchema } from '../../sinks/sftp/config.js';
import { XeroSinkConfigSchema } from '../../sinks/xero/config.js';
import { QiTechSinkConfigSchema } from '../../sinks/qitech/config.js';
import { SaferpayConfigSchema } from '../saferpay/config.js';
import { AlertsConfigSchema } from '../alerts/config.js';
import { parseSecretKey } from '../store/token-cipher.js';
import { BUILTIN_CSV_PROFILES, CsvProfileRuleSchema, CsvProfileSchema, ParseLimitsSchema, ZipLimitsSchema } from '../../parsers/index.js';
import { repeats } from '../repeats.js';

const cronExpr = z.string().refine(isValidSchedule, 'expected a cron expression such as "0 6 * * *", or "immediate"');
const timezone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as "Europe/Zurich"');

const secretKey = z.string().refine((t) => parseSecretKey(t) !== null, 'expected 32 bytes as 64 hex digits or base64 (openssl rand -hex 32)');

export const ConcurAuthSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('oauth'),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1),
    /** Used only to seed the database; afterwards the rotated token stored there wins. */
    refreshToken: z.string().min(1),
    /** Where the first token request goes; later ones follow the geolocation Concur returns. */
    geolocation: z.url().optional(),
  }),
  z.strictObject({ kind: z.literal('static'), accessToken: z.string().min(1) }),
]);

export const ConcurConfigSchema = z.strictObject({
  /** Absent: the built-in Concur sandbox. */
  baseUrl: z.url().optional(),
  auth: ConcurAuthSchema.optional(),
  /** `OAuth` for legacy endpoints that predate Bearer. */
  authHeader: z.enum(['Bearer', 'OAuth']).default('Bearer'),
  requestTimeoutMs: z.number().int().positive().default(60_000),
  selection: z
    .strictObject({
      types: z.array(z.string()).default([]),
      paymentMethods: z.array(z.string()).default([]),
      currencies: z.array(z.string().length(3)).default([]),
      /** Glob-like patterns (`*` wildcard) on BatchName; empty means all. */
      batchNames: z.array(z.string()).default([]),
    })
    .prefault({}),
  discovery: z
    .strictObject({
      /** When the batch list is read, in the company's timezone ("immediate": every pass). */
      schedule: cronExpr.default('*/15 * * * *'),
    })
    .prefault({}),
  close: z
    .strictObject({
      /** When due batches are closed, in the company's timezone. */
      schedule: cronExpr.default('0 6 * * *'),
      onlyWhenCountPositive: z.boolean().default(true),
      /** Fetch batches someone closed by hand (never re-close them). */
      adoptClosedBatches: z.boolean().default(true),
      /** How long to watch the list for CLOSED after a v1.2 close before backing off. */
      closeWatchTimeoutMs: z.number().int().positive().default(15 * 60_000),
      /** First look at the list after a close request; later looks back off from it. */
      closeWatchIntervalMs: z.number().int().positive().default(5_000),
    })
    .prefault({}),
});

const SinkSchema = z.discriminatedUnion('type', [
  SftpSinkConfigSchema.safeExtend({ type: z.literal('sftp'), name: z.string().regex(/^[a-z0-9_-]+$/).default('sftp') }),
  XeroSinkConfigSchema,
  QiTechSinkConfigSchema,
]);
export type SinkConfig = z.infer<typeof SinkSchema>;

export const CompanySchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1-64)'),
  name: z.string().min(1).optional(),
  timezone: timezone.default('UTC'),
  concur: ConcurConfigSchema.prefault({}),
  reconciliation: z.strictObject({ policy: z.enum(['quarantine', 'load-and-flag']).default('quarantine') }).prefault({}),
  /** Where the batches go; none configured: the local SFTP drop under dataDir. */
  sinks: z.array(SinkSchema).default([]),
  /** The company's CSV layouts (Concur File Export Configuration), by name; `quickbooks-gl` is built in. */
  csvProfiles: z.record(z.string(), CsvProfileSchema).default({}),
  /** Which profile a batch's CSV uses: first matching rule (Type, PaymentMethod, file name), else defaultCsvProfile. */
  csvProfileRules: z.array(CsvProfileRuleSchema).default([]),
  defaultCsvProfile: z.string().optional(),
}).superRefine((c, ctx) => {
  const known = new Set([...Object.keys(c.csvProfiles), ...Object.keys(BUILTIN_CSV_PROFILES)]);
  const named = [...c.csvProfileRules.map((r, i) => ({ name: r.profile, path: ['csvProfileRules', i, 'profile'] })), ...(c.defaultCsvProfile ? [{ name: c.defaultCsvProfile, path: ['defaultCsvProfile'] }] : [])];
  for (const n of named) if (!known.has(n.name)) ctx.addIssue({ code: 'custom', path: n.path, message: `no CSV profile named "${n.name}"` });
});

export const ConfigSchema = z.strictObject({
  dataDir: z.string().min(1).default('./var'),
  database: z
    .strictObject({
      /** Absent: the embedded PostgreSQL under dataDir. */
      // Messages never quote the value: it holds the password.
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL (DATABASE_URL)')
        .refine((u) => URL.canParse(u), 'not a valid URL (DATABASE_URL); percent-encode special characters in the user name and password')
        .optional(),
      poolSize: z.number().int().min(1).max(100).default(10),
      statementTimeoutMs: z.number().int().positive().default(300_000),
      idleInTransactionTimeoutMs: z.number().int().positive().default(60_000),
      /** Named statements for the hot path; false behind a pooler in transaction mode that cannot keep them. */
      preparedStatements: z.boolean().default(true),
      embeddedPort: z.number().int().min(0).max(65535).default(54329),
    })
    .prefault({}),
  http: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8080),
      /** Loopback unless a deployment opens it (the Dockerfile sets 0.0.0.0); HTTP_HOST. */
      host: z.string().min(1).default('127.0.0.1'),
      /** When set, /metrics needs `Authorization: Bearer <metricsToken>`. */
      metricsToken: z.string().min(16, 'use a token of at least 16 characters').optional(),
      /** The operator console at /: `login` (by token), `public` (read-only without signing in; acting needs the admin), `off`. */
      console: z.enum(['login', 'public', 'off']).default('login'),
      /** Signs in to the console with every right; ERP_SYNC_ADMIN_TOKEN(_FILE). */
      adminToken: z.string().min(16, 'use a token of at least 16 characters').optional(),
      /** Signs in to the console read-only; ERP_SYNC_VIEWER_TOKEN(_FILE). */
      viewerToken: z.string().min(16, 'use a token of at least 16 characters').optional(),
    })
    .prefault({}),
  secrets: z
    .strictObject({
      /** Encrypts OAuth tokens at rest (AES-256-GCM); ERP_SYNC_SECRET_KEY or ERP_SYNC_SECRET_KEY_FILE. */
      key: secretKey.optional(),
      /** The key before a rotation: opens what it sealed until the next start re-seals it; ERP_SYNC_SECRET_KEY_PREVIOUS(_FILE). */
      previousKey: secretKey.optional(),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(['error', 'warn', 'info', 'debug']).default('info') }).prefault({}),
  pipeline: z
    .strictObject({
      /** Batches worked on at once by this daemon, and per company. */
      concurrency: z.number().int().min(1).max(1000).default(8),
      perCompanyConcurrency: z.number().int().min(1).max(100).default(2),
      /** SSH connections to SFTP sinks this daemon holds at most, busy and idle, across all targets. */
      sftpConnections: z.number().int().min(1).max(1000).default(16),
      /**
       * A claim (batch step, discovery) is freed when its holder's database session ends (a dead process) or, for a
       * holder alive but cut off from the database, this long after it stopped renewing it.
       */
      leaseMs: z.number().int().min(1_000).default(120_000),
      /** A step begun this many times without finishing (the process died each time) quarantines its batch. */
      maxUnfinishedStarts: z.number().int().min(1).max(100).default(3),
      /** How long run-once waits for work another live process holds, and sits out shorter waits (a short back-off). */
      runOnceWaitMs: z.number().int().min(0).default(120_000),
      /** How often due work is looked for between schedule times. */
      pollMs: z.number().int().min(50).default(2_000),
      /** Grace period for steps in flight at SIGTERM. */
      shutdownGraceMs: z.number().int().min(0).default(30_000),
    })
    .prefault({}),
  fileStore: z
    .strictObject({
      /** Original files of done batches are kept this long (content-addressed under dataDir/files), then removed. */
      retentionDays: z.number().int().min(1).default(400),
    })
    .prefault({}),
  /** Guards against hostile ZIP bundles (entry count, directory size, total size, compression ratio). */
  zipLimits: ZipLimitsSchema.prefault({}),
  /** Bounds on what a parser holds in memory (line, fields, IIF blocks and headers): a file beyond them is quarantined. */
  parseLimits: ParseLimitsSchema.prefault({}),
  companies: z.array(CompanySchema).min(1),
  /** Saferpay terminals whose daily batch erp-sync closes. */
  saferpay: SaferpayConfigSchema.prefault({}),
  webhooks: z
    .strictObject({
      /** QI Tech settlement webhooks at /webhooks/qitech/<secret> (or the secret in x-qitech-webhook-secret). */
      qitech: z.strictObject({ secret: z.string().min(16, 'use a secret of at least 16 characters') }).optional(),
    })
    .prefault({}),
  /** Where alerts go (signed webhook, Slack, Teams) and when a condition becomes one. */
  alerts: AlertsConfigSchema.prefault({}),
}).superRefine((c, ctx) => {
  for (const i of repeats(c.companies.map((x) => x.id))) {
    ctx.addIssue({ code: 'custom', path: ['companies', i, 'id'], message: `company id "${c.companies[i]!.id}" appears twice` });
  }
  c.companies.forEach((co, i) => {
    for (const j of repeats(co.sinks.map((s) => s.name))) {
      ctx.addIssue({ code: 'custom', path: ['companies', i, 'sinks', j, 'name'], message: `sink name "${co.sinks[j]!.name}" appears twice; name each sink` });
    }
  });
});

export type Config = z.infer<typeof ConfigSchema>;
export type CompanyConfig = z.infer<typeof CompanySchema>;
export type ConcurConfig = z.infer<typeof ConcurConfigSchema>;
