// Eta (escaping every interpolation by default) over the console's templates, and the helpers they use.
import { Eta } from 'eta/core';
import { layout } from './views/layout.js';
import { overview } from './views/overview.js';
import { batches } from './views/batches.js';
import { batch } from './views/batch.js';
import { companies, confirm, login, problem, saferpay } from './views/pages.js';

const eta = new Eta({ autoEscape: true, cache: true });
for (const [name, template] of Object.entries({ layout, overview, batches, batch, companies, confirm, login, problem, saferpay })) eta.loadTemplate(`@${name}`, template);

export type PageName = 'overview' | 'batches' | 'batch' | 'companies' | 'confirm' | 'login' | 'problem' | 'saferpay';

const badge = (good: string[], bad: string[], warn: string[] = []) => (v: string) => (good.includes(v) ? 'ok' : bad.includes(v) ? 'bad' : warn.includes(v) ? 'warn' : '');

/** Event details other than those shown in their own column, as `key: value` pairs. */
function details(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .filter(([k]) => k !== 'worker' && k !== 'by')
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('; ');
}

export const helpers = {
  time: (d: Date | string | null | undefined) => (d ? `${new Date(d).toISOString().replace('T', ' ').slice(0, 19)} UTC` : '—'),
  stateClass: badge(['done'], ['quarantined']),
  recClass: badge(['reconciled'], ['mismatch']),
  deliveryClass: badge(['delivered'], ['failed'], ['pending']),
  outcomeClass: badge(['closed', 'already-closed'], ['failed', 'config-error'], ['pending']),
  /** A query string of the non-empty values, with `extra` on top. */
  query: (f: object, extra: Record<string, string>) =>
    new URLSearchParams(Object.entries({ ...f, ...extra }).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '')).toString(),
  details,
};

export function render(page: PageName, data: object): string {
  return eta.render(`@${page}`, { ...data, h: helpers });
}
