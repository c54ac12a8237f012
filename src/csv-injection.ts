// CSV injection (OWASP): a spreadsheet runs a cell that starts with =, +, -, @, tab or CR as a formula. Every CSV
// erp-sync writes for people passes its cells through here. Numbers (amounts such as -50.00) are left as they are.

const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** The cell as a spreadsheet will show it, never as a formula: a leading quote when it could start one. */
export function neutraliseCell(text: string): string {
  return FORMULA_START.test(text) && !NUMBER.test(text) ? `'${text}` : text;
}
