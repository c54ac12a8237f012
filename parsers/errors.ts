// The one error hierarchy of the parsers: every failure names file, line and field.

export type ParseErrorCode =
  | 'encoding'
  | 'line-too-long'
  | 'too-large'
  | 'syntax'
  | 'amount'
  | 'date'
  | 'value'
  | 'profile'
  | 'header-mismatch'
  | 'unbalanced'
  | 'zip-format'
  | 'zip-slip'
  | 'zip-entries'
  | 'zip-size'
  | 'zip-ratio'
  | 'io';

export interface ParseLocation {
  file?: string;
  line?: number;
  field?: string;
}

export class ParseError extends Error {
  override name = 'ParseError';
  /** Bad input stays bad: the pipeline quarantines the batch instead of retrying. */
  readonly retryable = false;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;

  constructor(
    readonly code: ParseErrorCode,
    /** The message without location, e.g. "malformed amount \"(1.00\"". */
    readonly detail: string,
    loc: ParseLocation = {},
  ) {
    super(formatMessage(detail, loc));
    this.file = loc.file;
    this.line = loc.line;
    this.field = loc.field;
  }

  /** The same error with missing location parts filled in (helpers throw without a location). */
  at(loc: ParseLocation): ParseError {
    const merged = { file: this.file ?? loc.file, line: this.line ?? loc.line, field: this.field ?? loc.field };
    const copy = Object.create(Object.getPrototypeOf(this) as object) as ParseError;
    Object.assign(copy, this, merged, { message: formatMessage(this.detail, merged) });
    copy.stack = this.stack;
    return copy;
  }
}

/** A TRNS..ENDTRNS block whose amounts do not sum to zero. */
export class IifUnbalancedError extends ParseError {
  override name = 'IifUnbalancedError';
  constructor(
    readonly firstLine: number,
    readonly lastLine: number,
    readonly imbalance: string,
    file?: string,
  ) {
    super('unbalanced', `transaction block on lines ${firstLine}-${lastLine} does not balance (sum ${imbalance})`, {
      file,
      line: firstLine,
      field: 'AMOUNT',
    });
  }
}

/** The SAE EXTRACT header disagrees with the DETAIL lines. */
export class SaeHeaderMismatchError extends ParseError {
  override name = 'SaeHeaderMismatchError';
  constructor(
    field: string,
    readonly expected: string,
    readonly actual: string,
    file?: string,
  ) {
    super('header-mismatch', `EXTRACT header says ${expected}, the DETAIL lines give ${actual}`, { file, line: 1, field });
  }
}

/** A ZIP refused by a safety guard (zip-slip, entry count, size, compression ratio). */
export class ZipGuardError extends ParseError {
  override name = 'ZipGuardError';
}

function formatMessage(detail: string, loc: ParseLocation): string {
  const where = [loc.file ?? '(input)', loc.line !== undefined ? String(loc.line) : undefined].filter(Boolean).join(':');
  return `${where}: ${loc.field ? `${loc.field}: ` : ''}${detail}`;
}

/** Wraps anything thrown by a library into a ParseError, keeping typed errors as they are. */
export function asParseError(err: unknown, code: ParseErrorCode, loc: ParseLocation): ParseError {
  if (err instanceof ParseError) return err.at(loc);
  const text = err instanceof Error ? err.message : String(err);
  return new ParseError(code, text, loc);
}
