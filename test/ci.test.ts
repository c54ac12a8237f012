// .ci/run's check for the parts CI expects: in CI a missing part fails loudly, elsewhere its run is skipped.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { REPO } from './support/cli.js';

function check(args: string[], ci: boolean) {
  const r = spawnSync(process.execPath, [join(REPO, '.ci', 'check-part.mjs'), ...args], { cwd: REPO, env: { ...process.env, CI: ci ? 'true' : '' }, encoding: 'utf8' });
  return { code: r.status, err: r.stderr };
}

describe('.ci/check-part.mjs', () => {
  it('a missing directory fails in CI and is skipped elsewhere', () => {
    expect(check(['dir', '/nonexistent/shared/external/iif-fixtures'], true)).toEqual({ code: 1, err: expect.stringMatching(/FAIL: \/nonexistent\/shared\/external\/iif-fixtures is not there \(CI=true expects it\)/) });
    expect(check(['dir', '/nonexistent/shared'], false)).toEqual({ code: 2, err: expect.stringMatching(/skipped: \/nonexistent\/shared is not there/) });
    expect(check(['dir', REPO], true).code).toBe(0);
  });

  it('tells a server without the test database from no server at all', () => {
    const url = new URL(inject('databaseUrl'));
    expect(check(['postgres', url.toString()], true).code).toBe(0);
    url.pathname = '/erp_sync_no_test_db';
    expect(check(['postgres', url.toString()], true)).toEqual({ code: 1, err: expect.stringMatching(/answers but has no database erp_sync_no_test_db \(createdb/) });
    expect(check(['postgres', 'postgres://postgres@127.0.0.1:1/test'], true)).toEqual({ code: 1, err: expect.stringMatching(/no PostgreSQL service on 127\.0\.0\.1:1 \(ECONNREFUSED\)/) });
  });
});
