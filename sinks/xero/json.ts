// JSON with exact decimals both ways: Xero sends and takes amounts as JSON numbers, which JSON.parse
// and JSON.stringify would turn into floats. Numbers are read as their source text; amounts are written
// from decimal text.

/** A decimal amount written into JSON as a bare number, digit for digit. */
export class JsonDecimal {
  constructor(readonly text: string) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new TypeError(`not a plain decimal: ${JSON.stringify(text)}`);
  }
}

export type JsonOut = string | boolean | null | JsonDecimal | undefined | JsonOut[] | { [key: string]: JsonOut };

/** Serializes like JSON.stringify (undefined members dropped), amounts from their decimal text. */
export function stringifyExact(value: JsonOut): string {
  if (value instanceof JsonDecimal) return value.text;
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map((v) => stringifyExact(v)).join(',')}]`;
  const members = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{${members.map(([k, v]) => `${JSON.stringify(k)}:${stringifyExact(v)}`).join(',')}}`;
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** Parses JSON with every number kept as its source text (a string), so no amount passes through a float. */
export function parseExact(text: string): unknown {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      // Copy the string literal verbatim, escapes included.
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) throw new SyntaxError(`bad number at offset ${i}`);
      out += `"${m[0]}"`;
      i += m[0].length;
    } else {
      out += c;
      i++;
    }
  }
  return JSON.parse(out);
}
