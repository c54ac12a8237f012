// The part of `kustomize build` that the kit's kustomizations use (resources, namespace, images, JSON 6902 patches
// with a target, `$patch: delete`), so the manifests are checked offline without the kustomize binary. Anything
// else in a kustomization is an error here, so a kit that outgrows this builder says so.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import fastJsonPatch, { type Operation } from 'fast-json-patch';

export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [k: string]: unknown;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  images?: Array<{ name: string; newName?: string; newTag?: string }>;
  patches?: Array<{ path?: string; patch?: string; target?: { kind: string; name: string } }>;
}

const KNOWN = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches']);
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass']);

function readDocs(file: string): Resource[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as Resource).filter(Boolean);
}

function matches(r: Resource, kind: string, name: string): boolean {
  return r.kind === kind && r.metadata.name === name;
}

type Pod = { containers?: Array<{ image?: string }>; initContainers?: Array<{ image?: string }> };
type Workload = { template?: { spec?: Pod }; jobTemplate?: { spec?: { template?: { spec?: Pod } } } };

function containersOf(r: Resource): Array<{ image?: string }> {
  const spec = r.spec as Workload | undefined;
  const pod = r.kind === 'CronJob' ? spec?.jobTemplate?.spec?.template?.spec : spec?.template?.spec;
  return [...(pod?.containers ?? []), ...(pod?.initContainers ?? [])];
}

export function build(dir: string): Resource[] {
  const k = parseYaml(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(k).filter((key) => !KNOWN.has(key));
  if (unknown.length) throw new Error(`${dir}: kustomization fields this builder does not know: ${unknown.join(', ')}`);
  let out: Resource[] = (k.resources ?? []).flatMap((r) => {
    const path = join(dir, r);
    return statSync(path).isDirectory() ? build(path) : readDocs(path);
  });
  for (const p of k.patches ?? []) {
    if (p.target && p.path) {
      const ops = parseYaml(readFileSync(join(dir, p.path), 'utf8')) as Operation[];
      const target = out.filter((r) => matches(r, p.target!.kind, p.target!.name));
      if (target.length !== 1) throw new Error(`${dir}: patch ${p.path} matches ${target.length} resources`);
      out = out.map((r) => (r === target[0] ? (fastJsonPatch.applyPatch(structuredClone(r), ops, true).newDocument as Resource) : r));
    } else if (p.patch) {
      const patch = parseYaml(p.patch) as Resource & { $patch?: string };
      if (patch.$patch !== 'delete') throw new Error(`${dir}: only $patch: delete is supported inline`);
      const before = out.length;
      out = out.filter((r) => !matches(r, patch.kind, patch.metadata.name));
      if (out.length !== before - 1) throw new Error(`${dir}: delete patch for ${patch.kind}/${patch.metadata.name} matches nothing`);
    } else {
      throw new Error(`${dir}: a patch needs a path and a target, or an inline patch`);
    }
  }
  if (k.namespace) for (const r of out) if (!CLUSTER_SCOPED.has(r.kind)) r.metadata.namespace = k.namespace;
  for (const img of k.images ?? []) {
    for (const r of out) {
      for (const c of containersOf(r)) {
        const [name] = (c.image ?? '').split(':');
        if (name === img.name) c.image = `${img.newName ?? img.name}:${img.newTag ?? 'latest'}`;
      }
    }
  }
  return out;
}
