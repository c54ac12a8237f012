// The Xero sandbox's JSON with exact decimals, by a library of its own (lossless-json) rather than the sink's
// code it is there to check: numbers in requests are read as their source text, amounts written digit for digit.
import { LosslessNumber, parse, stringify } from 'lossless-json';

export type JsonOut = string | boolean | null | LosslessNumber | undefined | JsonOut[] | { [key: string]: JsonOut };

/** A decimal amount (plain decimal text) as a bare JSON number. */
export const jsonDecimal = (text: string): LosslessNumber => new LosslessNumber(text);

/** JSON with every number kept as its source text (a string). */
export const parseExact = (text: string): unknown => parse(text, null, (n) => n);

/** JSON text, undefined members dropped, amounts as written. */
export const stringifyExact = (value: JsonOut): string => stringify(value) ?? 'null';
