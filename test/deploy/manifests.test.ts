// The Kubernetes manifests, validated offline against the Kubernetes schemas (kubernetes-models) after the kit's
// kustomizations are built, and checked for what the deployment relies on.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1';
import { CronJob } from 'kubernetes-models/batch/v1';
import { ConfigMap, PersistentVolumeClaim, Service } from 'kubernetes-models/v1';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
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

const find = (rs: Resource[], kind: string) => rs.find((r) => r.kind === kind) as any;
const kinds = (rs: Resource[]) => rs.map((r) => r.kind).sort();

/** The pod spec of a Deployment or CronJob. */
const podOf = (r: any) => (r.kind === 'CronJob' ? r.spec.jobTemplate.spec.template.spec : r.spec.template.spec);

describe('the Kubernetes manifests', () => {
  const variants = { base: build(join(KUBE, 'base')), example: build(join(KUBE, 'overlays', 'example')), cronjob: build(join(KUBE, 'cronjob')) };

  it('validate against the Kubernetes schemas, in the base, the example overlay and the CronJob variant', () => {
    for (const rs of Object.values(variants)) for (const r of rs) expect(() => validate(r), `${r.kind}/${r.metadata.name}`).not.toThrow();
    expect(kinds(variants.example)).toEqual(['ConfigMap', 'Deployment', 'NetworkPolicy', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'PrometheusRule', 'Service', 'ServiceMonitor']);
    expect(kinds(variants.cronjob)).toEqual(['ConfigMap', 'CronJob', 'NetworkPolicy', 'PersistentVolumeClaim']);
    // The check can fail: a wrong type is refused.
    const broken = structuredClone(find(variants.base, 'Deployment'));
    broken.spec.replicas = 'two';
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
    const d = find(variants.example, 'Deployment');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    for (const w of [d, find(variants.cronjob, 'CronJob')]) {
      const pod = podOf(w);
      const [c] = pod.containers;
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false, capabilities: { drop: ['ALL'] } });
      expect(c.resources.requests.memory).toBe('512Mi');
      expect(c.resources.limits.memory).toBe('1Gi');
      // Writable places: the data volume (shared by replicas) and /tmp only.
      const writable = c.volumeMounts.filter((m: any) => !m.readOnly).map((m: any) => m.mountPath);
      expect(writable).toEqual(['/var/lib/erp-sync', '/tmp']);
    }
    const [c] = podOf(d).containers;
    expect(c.image).toBe('registry.example.com/finance/erp-sync:0.1.0');
    expect(podOf(find(variants.cronjob, 'CronJob')).containers[0].image).toBe('erp-sync:latest');
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(find(variants.example, 'PersistentVolumeClaim').spec.accessModes).toEqual(['ReadWriteMany']);

    // The ConfigMap's configuration is valid for erp-sync, listens on 0.0.0.0 and the Deployment's grace period is
    // above its shutdownGraceMs. Every ${VAR} it uses comes from a VAR_FILE of the mounted Secret.
    for (const variant of [variants.base, variants.example]) {
      const text = find(variant, 'ConfigMap').data['erp-sync.yaml'] as string;
      const vars = [...text.matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!);
      const env = podOf(find(variants.base, 'Deployment')).containers[0].env as Array<{ name: string; value: string }>;
      for (const v of vars) expect(env.find((e) => e.name === `${v}_FILE`)?.value, v).toMatch(/^\/run\/secrets\/erp-sync\//);
      const file = join(mkdtempSync(join(tmpdir(), 'erp-sync-configmap-')), 'erp-sync.yaml');
      writeFileSync(file, text);
      const config = loadConfig({ file, env: Object.fromEntries([...vars.map((v) => [v, 'x']), ['DATABASE_URL', 'postgres://u@db/erp']]) }).config;
      expect(config.http).toEqual({ host: '0.0.0.0', port: 8080 });
      expect(d.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(config.pipeline.shutdownGraceMs);
    }
  });

  it('scrape, admit and guard the HTTP port; the alert rules are the plain rules file', () => {
    const svc = find(variants.example, 'Service');
    const monitor = find(variants.example, 'ServiceMonitor');
    expect(monitor.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'erp-sync' });
    expect(svc.metadata.labels['app.kubernetes.io/name']).toBe('erp-sync');
    expect(monitor.spec.endpoints).toEqual([{ port: 'http', path: '/metrics', interval: '30s' }]);
    const policy = find(variants.example, 'NetworkPolicy');
    expect(policy.spec.ingress).toEqual([{ ports: [{ port: 8080, protocol: 'TCP' }] }]);
    const egressPorts = policy.spec.egress.flatMap((e: any) => e.ports.map((p: any) => p.port));
    expect(egressPorts).toEqual([53, 53, 5432, 22, 443]);
    expect(find(variants.example, 'PodDisruptionBudget').spec.minAvailable).toBe(1);
    const plain = parseYaml(readFileSync(join(ROOT, 'deploy', 'prometheus', 'erp-sync.rules.yaml'), 'utf8'));
    expect(find(variants.base, 'PrometheusRule').spec.groups).toEqual(plain.groups);
  });
});
