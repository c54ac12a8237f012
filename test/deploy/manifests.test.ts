// The Kubernetes manifests, validated offline against the Kubernetes schemas (kubernetes-models) after the kit's
// kustomizations are built, and checked for what the deployment relies on.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1';
import { CronJob, type ICronJob } from 'kubernetes-models/batch/v1';
import { ConfigMap, PersistentVolumeClaim, Service, type IConfigMap, type IPersistentVolumeClaim, type IPodSpec, type IService } from 'kubernetes-models/v1';
import { NetworkPolicy, type INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { PrometheusRule, ServiceMonitor, type IPrometheusRule, type IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { build, type Resource } from './kustomize.js';
import { loadConfig } from '../../src/config/load.js';

const ROOT = join(import.meta.dirname, '..', '..');
const KUBE = join(ROOT, 'deploy', 'kubernetes');
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'batch/v1/CronJob': CronJob,
  'v1/ConfigMap': ConfigMap,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'v1/Service': Service,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

function validate(r: Resource): void {
  const Model = MODELS[`${r.apiVersion}/${r.kind}`];
  if (!Model) throw new Error(`no schema for ${r.apiVersion} ${r.kind}`);
  new Model(r as never).validate();
}

function find<T>(rs: Resource[], kind: string): T {
  const r = rs.find((x) => x.kind === kind);
  if (!r) throw new Error(`no ${kind}`);
  return r as unknown as T;
}
const kinds = (rs: Resource[]) => rs.map((r) => r.kind).sort();

/** The pod spec of a Deployment or CronJob. */
const podOf = (r: IDeployment | ICronJob): IPodSpec => ('jobTemplate' in r.spec! ? r.spec.jobTemplate.spec!.template.spec! : r.spec!.template.spec!);

describe('the Kubernetes manifests', () => {
  const variants = { base: build(join(KUBE, 'base')), example: build(join(KUBE, 'overlays', 'example')), cronjob: build(join(KUBE, 'cronjob')) };

  it('validate against the Kubernetes schemas, in the base, the example overlay and the CronJob variant', () => {
    for (const rs of Object.values(variants)) for (const r of rs) expect(() => validate(r), `${r.kind}/${r.metadata.name}`).not.toThrow();
    expect(kinds(variants.example)).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceMonitor']);
    expect(kinds(variants.cronjob)).toEqual(['ConfigMap', 'CronJob', 'NetworkPolicy', 'PersistentVolumeClaim']);
    // The check can fail: a wrong type is refused.
    const broken = structuredClone(find<Resource>(variants.base, 'Deployment'));
    Object.assign(broken.spec as object, { replicas: 'two' });
    expect(() => validate(broken)).toThrow(/replicas/);
  });

  it('build as kustomize builds them (when kubectl is on this machine)', () => {
    let kubectl = true;
    try {
      execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    } catch {
      kubectl = false;
    }
    if (!kubectl) return;
    for (const [name, dir] of [['base', 'base'], ['example', 'overlays/example'], ['cronjob', 'cronjob']] as const) {
      const theirs = parseAllDocuments(execFileSync('kubectl', ['kustomize', join(KUBE, dir)], { encoding: 'utf8' })).map((d) => d.toJS());
      const key = (r: Resource) => `${r.kind}/${r.metadata.name}`;
      const sort = (rs: Resource[]) => [...rs].sort((a, b) => key(a).localeCompare(key(b)));
      expect(sort(variants[name]), name).toEqual(sort(theirs));
    }
  });

  it('run two non-root, read-only replicas with rolling updates, probes, resources and a grace period above shutdownGraceMs', () => {
    const d = find<IDeployment>(variants.example, 'Deployment');
    expect(d.spec!.replicas).toBe(2);
    expect(d.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    for (const w of [d, find<ICronJob>(variants.cronjob, 'CronJob')]) {
      const pod = podOf(w);
      const c = pod.containers[0]!;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
      expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '512Mi' }, limits: { memory: '1Gi' } });
      // Writable places: the data volume (shared by replicas) and /tmp only.
      const writable = c.volumeMounts!.filter((m) => !m.readOnly).map((m) => m.mountPath);
      expect(writable).toEqual(['/var/lib/erp-sync', '/tmp']);
    }
    const c = podOf(d).containers[0]!;
    expect(c.image).toBe('registry.example.com/finance/erp-sync:0.1.0');
    expect(podOf(find<ICronJob>(variants.cronjob, 'CronJob')).containers[0]!.image).toBe('erp-sync:latest');
    expect(c.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(find<IPersistentVolumeClaim>(variants.example, 'PersistentVolumeClaim').spec!.accessModes).toEqual(['ReadWriteMany']);

    // The ConfigMap's configuration is valid for erp-sync, listens on 0.0.0.0 and the Deployment's grace period is
    // above its shutdownGraceMs. Every ${VAR} it uses comes from a VAR_FILE of the mounted Secret.
    for (const variant of [variants.base, variants.example]) {
      const text = find<IConfigMap>(variant, 'ConfigMap').data!['erp-sync.yaml']!;
      const vars = [...text.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
      const env = podOf(find<IDeployment>(variants.base, 'Deployment')).containers[0]!.env!;
      for (const v of vars) expect(env.find((e) => e.name === `${v}_FILE`)?.value, v).toMatch(/^\/run\/secrets\/erp-sync\//);
      const file = join(mkdtempSync(join(tmpdir(), 'erp-sync-configmap-')), 'erp-sync.yaml');
      writeFileSync(file, text);
      const config = loadConfig({ file, env: Object.fromEntries([...vars.map((v) => [v, 'x']), ['DATABASE_URL', 'postgres://u@db/erp']]) }).config;
      expect(config.http).toEqual({ host: '0.0.0.0', port: 8080, console: 'login' }); // the console behind its sign-in
      expect(podOf(d).terminationGracePeriodSeconds! * 1000).toBeGreaterThan(config.pipeline.shutdownGraceMs);
    }
  });

  it('scrape, admit and guard the HTTP port; the alert rules are the plain rules file', () => {
    const svc = find<IService>(variants.example, 'Service');
    const monitor = find<IServiceMonitor>(variants.example, 'ServiceMonitor');
    expect(monitor.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'erp-sync' });
    expect(svc.metadata!.labels!['app.kubernetes.io/name']).toBe('erp-sync');
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    const policy = find<INetworkPolicy>(variants.example, 'NetworkPolicy');
    expect(policy.spec!.ingress).toEqual([{ ports: [{ port: 8080, protocol: 'TCP' }] }]);
    const egressPorts = policy.spec!.egress!.flatMap((e) => e.ports!.map((p) => p.port));
    expect(egressPorts).toEqual([53, 53, 5432, 22, 443]);
    expect(find<IPodDisruptionBudget>(variants.example, 'PodDisruptionBudget').spec!.minAvailable).toBe(1);
    const plain = parseYaml(readFileSync(join(ROOT, 'deploy', 'prometheus', 'erp-sync.rules.yaml'), 'utf8'));
    expect(find<IPrometheusRule>(variants.base, 'PrometheusRule').spec.groups).toEqual(plain.groups);
  });

  it("read every secret from a key of the README's Secret, encrypt the tokens at rest and give the console its sign-in", () => {
    const SECRETS = '/run/secrets/erp-sync/';
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const keys = new Set([...readme.matchAll(/--from-file=([a-z0-9-]+)=/g)].map((m) => m[1]!));
    const configText = find<IConfigMap>(variants.example, 'ConfigMap').data!['erp-sync.yaml']!;
    const secretDir = mkdtempSync(join(tmpdir(), 'erp-sync-secrets-'));
    for (const workload of [find<IDeployment>(variants.example, 'Deployment'), find<ICronJob>(variants.cronjob, 'CronJob')]) {
      const env = podOf(workload).containers[0]!.env!;
      const files = [...env.map((e) => e.value ?? ''), ...[...configText.matchAll(/\/run\/secrets\/erp-sync\/[a-z0-9-]+/g)].map((m) => m[0])].filter((v) => v.startsWith(SECRETS));
      for (const f of files) expect(keys, f).toContain(f.slice(SECRETS.length));
      // The workload's own environment, its secret files holding plausible values, configures erp-sync.
      for (const f of files) writeFileSync(join(secretDir, f.slice(SECRETS.length)), f.endsWith('secret-key') ? `${'ab'.repeat(32)}\n` : f.endsWith('database-url') ? 'postgres://u@db/erp\n' : 'a-secret-of-24-characters\n');
      const file = join(secretDir, 'erp-sync.yaml');
      writeFileSync(file, configText);
      const { config } = loadConfig({ file, env: Object.fromEntries(env.map((e) => [e.name, e.value!.replace(SECRETS, `${secretDir}/`)])) });
      expect(config.secrets.key, workload.kind).toBe('ab'.repeat(32));
      if (workload.kind === 'Deployment') expect(config.http.adminToken).toBe('a-secret-of-24-characters');
    }
  });
});
