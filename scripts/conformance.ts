// `tsx scripts/conformance.ts <dir>`: reads every .iif in <dir> with <dir>/expectations.json and
// exits 1 on any unmet expectation (each printed), after a summary line.
import { conformance } from '../parsers/iif-conformance.js';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: tsx scripts/conformance.ts <dir with .iif files and expectations.json>\n');
  process.exit(2);
}
process.exitCode = await conformance(dir, process.stdout);
