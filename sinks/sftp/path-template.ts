// Remote paths from a template such as "{company}/{closeDate:yyyy-MM-dd}/{batchName}/{file}".
// Values are made safe for any server (ASCII letters, digits, '.', '_', '-'); the template's own text is
// validated once, at configuration time.
import { posix } from 'node:path';
import { formatUtc, usesOnlyDateTokens } from '../date-format.js';

export const TEMPLATE_FIELDS = ['company', 'batchId', 'batchName', 'closeDate', 'file'] as const;
type Field = (typeof TEMPLATE_FIELDS)[number];

export interface TemplateValues {
  company: string;
  batchId: string;
  batchName: string;
  closeDate: Date;
  file: string;
}

const PLACEHOLDER = /\{(\w+)(?::([^}]*))?\}/g;
const MAX_NAME = 200; // bytes; leaves room for our temporary-name decoration under common 255-byte limits
const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

/** Problems with a template's own text, or [] when it is usable. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  const fields = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) {
    const [, field = '', format] = m;
    if (!(TEMPLATE_FIELDS as readonly string[]).includes(field)) problems.push(`unknown placeholder {${field}}`);
    if (format !== undefined && field !== 'closeDate') problems.push(`{${field}} takes no format`);
    if (format !== undefined && !usesOnlyDateTokens(format)) {
      problems.push(`date format "${format}" may only use yyyy, MM, dd, HH, mm, ss`);
    }
    fields.add(field);
  }
  if (!fields.has('file')) problems.push('the template must contain {file}');
  const literal = template.replace(PLACEHOLDER, 'x');
  if (literal.startsWith('/')) problems.push('the template must be relative (put absolute parts in remoteDir)');
  if (literal.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    problems.push('the template must not contain empty, "." or ".." path segments');
  }
  if (/[^A-Za-z0-9._\-/]/.test(literal.replace(/x/g, ''))) problems.push('the template text may only use A-Z a-z 0-9 . _ - /');
  return problems;
}

/** One path segment safe on any SFTP server and file system (Windows included). */
export function safeName(value: string): string {
  let name = value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/[. ]+$/, '');
  if (name === '' || /^\.+$/.test(name)) name = '_';
  if (WINDOWS_DEVICE.test(name.split('.')[0] ?? '')) name = `_${name}`;
  if (name.length > MAX_NAME) {
    const ext = posix.extname(name).slice(0, 20);
    name = name.slice(0, MAX_NAME - ext.length) + ext;
  }
  return name;
}

/** The remote path for one file: remoteDir joined with the rendered template. */
export function renderRemotePath(remoteDir: string, template: string, values: TemplateValues): string {
  const rendered = template.replace(PLACEHOLDER, (_m, field: Field, format?: string) => {
    if (field === 'closeDate') return safeName(formatUtc(values.closeDate, format ?? 'yyyy-MM-dd'));
    return safeName(values[field]);
  });
  return posix.join(remoteDir, rendered);
}
