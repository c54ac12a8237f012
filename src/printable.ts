// Names from outside (ZIP entries, batch names, file names) may hold control characters that rewrite a terminal
// (ESC sequences, CR over a line) or reorder text (bidirectional overrides). Printed by the CLI and in logs, they
// are escaped as \t, \r, \n or \uXXXX: readable, and still valid inside a JSON string.

// C0 controls, DEL, C1 controls, zero-width and bidirectional formatting characters, line/paragraph separators, BOM.
// eslint-disable-next-line no-control-regex -- control characters are exactly what this finds
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex -- the same, line feeds excepted
const UNPRINTABLE_BUT_LF = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

const NAMED: Record<string, string> = { '\t': '\\t', '\r': '\\r', '\n': '\\n' };
const escape = (c: string) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** One value for one line: every control character escaped, line feeds included. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/** Text of several lines for a terminal: line feeds stay, every other control character is escaped. */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE_BUT_LF, escape);
}
