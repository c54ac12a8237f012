// Splits one IIF line into fields, forgiving the quoting real files use.

/** Tab-delimited, unless the line holds no tab at all: then comma-delimited (a known export quirk). */
export function iifDelimiter(line: string): '\t' | ',' {
  return line.includes('\t') ? '\t' : ',';
}

function closesAt(line: string, i: number, delim: string): boolean {
  let j = i + 1;
  while (line[j] === ' ') j++;
  return j >= line.length || line[j] === delim;
}

/**
 * Fields of one line, trimmed. A field opening with `"` is quoted: `""` inside is one quote, and a
 * quote closes the field only when a delimiter (or the line end) follows; any other quote is kept
 * as text, so `"Smith, Tammy " M"` keeps its inner quote and `6" wrap` needs no quoting at all.
 * Stops after `maxFields + 1` fields (the caller refuses the line), so a hostile line costs no more.
 */
export function splitIifLine(line: string, delim: string = iifDelimiter(line), maxFields = Infinity): string[] {
  const fields: string[] = [];
  let i = 0;
  for (;;) {
    if (fields.length > maxFields) return fields;
    while (line[i] === ' ') i++;
    let value = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) break;
        const c = line[i];
        if (c === '"') {
          if (closesAt(line, i, delim)) {
            i++;
            while (line[i] === ' ') i++;
            break;
          }
          if (line[i + 1] === '"') {
            value += '"';
            i += 2;
            continue;
          }
        }
        value += c;
        i++;
      }
    } else {
      const end = line.indexOf(delim, i);
      value = line.slice(i, end === -1 ? line.length : end);
      i = end === -1 ? line.length : end;
    }
    fields.push(value.trim());
    if (i >= line.length) return fields;
    i++; // the delimiter
  }
}
