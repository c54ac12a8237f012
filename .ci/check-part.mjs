// Is a part CI expects there? `node .ci/check-part.mjs dir PATH` or `node .ci/check-part.mjs postgres URL`.
// Exit 0: there. Missing: says what is missing and exits 1 in CI (CI=true: a missing part fails the run), else 2
// (the caller skips that run).
import { existsSync, statSync } from 'node:fs';
import pg from 'pg';

const [kind, target] = process.argv.slice(2);

async function problem() {
  if (kind === 'dir') return existsSync(target) && statSync(target).isDirectory() ? null : `${target} is not there`;
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: target, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.end();
      return null;
    } catch (e) {
      const url = new URL(target);
      if (e.code === '3D000') return `PostgreSQL on ${url.host} answers but has no database ${url.pathname.slice(1)} (createdb -h ${url.hostname} -p ${url.port || 5432} -U ${url.username || 'postgres'} ${url.pathname.slice(1)})`;
      return `no PostgreSQL service on ${url.host} (${e.code ?? e.message})`;
    }
  }
  return `unknown part kind ${kind}`;
}

const missing = await problem();
if (missing) {
  const ci = process.env.CI === 'true';
  process.stderr.write(`== ${ci ? 'FAIL' : 'skipped'}: ${missing}${ci ? ' (CI=true expects it)' : ''}\n`);
  process.exit(ci ? 1 : 2);
}
