// The part of Xero's `where` filter language the sandbox understands: Field=="text" / Field!="text" /
// Field==true, combined with AND / OR and parentheses. Anything else is a 400, as Xero answers.

type Pred = (element: Record<string, unknown>) => boolean;

const TOKEN = /\s*(?:(\(|\)|==|!=|&&|\|\|)|"((?:[^"\\]|\\.)*)"|([A-Za-z_][A-Za-z0-9_.]*))/y;

export class WhereError extends Error {}

export function parseWhere(text: string): Pred {
  const tokens: Array<{ op?: string; str?: string; word?: string }> = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const m = TOKEN.exec(text);
    if (!m) throw new WhereError(`cannot parse where at offset ${TOKEN.lastIndex}`);
    tokens.push(m[1] ? { op: m[1] } : m[2] !== undefined ? { str: m[2].replace(/\\(.)/g, '$1') } : { word: m[3]! });
  }
  let i = 0;
  const peekWord = () => tokens[i]?.word?.toUpperCase() ?? tokens[i]?.op;
  /** A chain of `next` joined by one of `ops`, combined left to right. */
  const chain = (next: () => Pred, ops: string[], both: (a: boolean, b: () => boolean) => boolean) => (): Pred => {
    let left = next();
    while (ops.includes(peekWord() ?? '')) {
      i++;
      const l = left;
      const r = next();
      left = (e) => both(l(e), () => r(e));
    }
    return left;
  };
  const and = (): Pred => chain(atom, ['AND', '&&'], (a, b) => a && b())();
  const or = chain(and, ['OR', '||'], (a, b) => a || b());
  const atom = (): Pred => {
    const t = tokens[i++];
    if (t?.op === '(') {
      const p = or();
      if (tokens[i++]?.op !== ')') throw new WhereError('missing )');
      return p;
    }
    const op = tokens[i++]?.op;
    const value = tokens[i++];
    if (!t?.word || (op !== '==' && op !== '!=') || !value || (value.str === undefined && !/^(true|false)$/i.test(value.word ?? ''))) throw new WhereError('expected Field=="value"');
    const path = t.word.split('.');
    const expected = value.str ?? value.word!.toLowerCase();
    return (e) => {
      let v: unknown = e;
      for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
      const same = String(v) === expected;
      return op === '==' ? same : !same;
    };
  };
  const pred = or();
  if (i !== tokens.length) throw new WhereError('unexpected text after the filter');
  return pred;
}
