// The kind of a downloaded batch file is the parsers' decision (parsers/detect.ts, by the first bytes); the
// Content-Type Concur sends only earns a warning when it says otherwise.
import type { DetectedKind } from '../../parsers/index.js';

/** True when the Content-Type names another kind than the bytes show (worth a warning, not a failure). */
export function contentTypeDisagrees(kind: DetectedKind, contentType: string | null): boolean {
  if (!contentType) return false;
  const saysZip = /zip/i.test(contentType);
  return saysZip !== (kind === 'zip');
}
