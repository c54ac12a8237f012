// Preloaded into a child process (node --import; plain JavaScript, so no loader is needed): at exit, writes its peak resident set size (KiB) to $MAX_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.MAX_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
