#!/usr/bin/env node
// Entry point. In a checkout (src/ is there) it runs the TypeScript sources through tsx, so what runs is what the
// checkout holds, never a dist/ left over from an older build; an installed package or image (no src/) runs dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'cli.ts');
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(source).href);
} else {
  await import(pathToFileURL(join(root, 'dist', 'src', 'cli.js')).href);
}
