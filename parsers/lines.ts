// Text chunks to numbered physical lines (LF, CRLF and bare CR all end a line).

export interface NumberedLine {
  /** 1-based physical line number. */
  line: number;
  text: string;
}

const BREAK = /\r\n|\r|\n/;

/** Lines in batches (one per text chunk): one await per chunk instead of one per line. */
export async function* numberedLines(chunks: AsyncIterable<string>): AsyncGenerator<NumberedLine[]> {
  let rest = '';
  let line = 0;
  const number = (parts: string[]): NumberedLine[] => parts.map((text) => ({ line: ++line, text }));
  for await (const chunk of chunks) {
    let text = rest + chunk;
    // A CR at the end may be the first half of a CRLF split across chunks.
    let held = '';
    if (text.endsWith('\r')) {
      held = '\r';
      text = text.slice(0, -1);
    }
    const parts = text.split(BREAK);
    rest = (parts.pop() ?? '') + held;
    if (parts.length) yield number(parts);
  }
  if (rest.endsWith('\r')) rest = rest.slice(0, -1) + '\n';
  const parts = rest.split(BREAK);
  if (parts[parts.length - 1] === '') parts.pop();
  if (parts.length) yield number(parts);
}
