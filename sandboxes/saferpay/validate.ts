// The sandbox's reading of a Batch Close request: the documented field formats, checked as strictly as Saferpay.
export const NEWEST_SPEC_MINOR = 53;

export interface CloseRequestFields {
  specVersion: string;
  customerId: string;
  requestId: string;
  retryIndicator: number;
  terminalId: string;
}

export type Parsed = { ok: true; fields: CloseRequestFields } | { ok: false; details: string[]; requestId: string | null };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The SpecVersions Saferpay knows: 1.0 up to the newest, written `1.N`. */
export function knownSpecVersion(v: string): boolean {
  const m = /^1\.(\d{1,2})$/.exec(v);
  return m !== null && Number(m[1]) <= NEWEST_SPEC_MINOR;
}

export function parseCloseRequest(body: string): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, details: ['The request body is not valid JSON'], requestId: null };
  }
  if (!isObject(json)) return { ok: false, details: ['The request body must be a JSON object'], requestId: null };
  const header = isObject(json.RequestHeader) ? json.RequestHeader : null;
  const requestId = typeof header?.RequestId === 'string' ? header.RequestId : null;
  const details: string[] = [];
  if (!header) details.push('RequestHeader: The RequestHeader field is required.');
  const text = (v: unknown, name: string, pattern: RegExp, format: string): string => {
    if (typeof v !== 'string') details.push(`${name}: The ${name.split('.').at(-1)} field is required and must be a string.`);
    else if (!pattern.test(v)) details.push(`${name}: The value must be ${format}.`);
    return typeof v === 'string' ? v : '';
  };
  const specVersion = text(header?.SpecVersion, 'RequestHeader.SpecVersion', /^\d+\.\d+$/, 'a version such as 1.53');
  if (specVersion && /^\d+\.\d+$/.test(specVersion) && !knownSpecVersion(specVersion)) details.push(`RequestHeader.SpecVersion: ${specVersion} is not a supported version.`);
  const customerId = text(header?.CustomerId, 'RequestHeader.CustomerId', /^\d{1,8}$/, 'Numeric[1..8]');
  text(header?.RequestId, 'RequestHeader.RequestId', /^[A-Za-z0-9_-]{1,50}$/, 'Id[1..50]');
  const retryIndicator = header?.RetryIndicator;
  if (typeof retryIndicator !== 'number' || !Number.isInteger(retryIndicator) || retryIndicator < 0 || retryIndicator > 9) {
    details.push('RequestHeader.RetryIndicator: The value must be an integer from 0 to 9.');
  }
  const terminalId = text(json.TerminalId, 'TerminalId', /^\d{8}$/, 'Numeric[8..8]');
  if (details.length) return { ok: false, details, requestId };
  return { ok: true, fields: { specVersion, customerId, requestId: requestId!, retryIndicator: retryIndicator as number, terminalId } };
}
