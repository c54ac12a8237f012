// A temporary directory for a CLI test file, and files written into it.
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempFiles(prefix: string): { dir: string; file(name: string, text: string): string } {
  const dir = mkdtempSync(join(tmpdir(), `erp-sync-${prefix}-`));
  chmodSync(dir, 0o755); // run as root, the embedded PostgreSQL runs as postgres and must reach its data directory
  return {
    dir,
    file(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
  };
}
