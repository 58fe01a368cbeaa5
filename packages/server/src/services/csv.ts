/**
 * CSV (RFC 4180) for exports opened in spreadsheets. A cell that starts like a
 * formula is neutralised with a leading apostrophe (OWASP "CSV Injection": =,
 * +, -, @, tab, carriage return), as are the full-width forms of the four
 * signs, which some spreadsheet locales also read as formulas. Every cell is
 * quoted, so commas, quotes and line breaks inside values stay in their cell.
 */

const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

/** One cell, neutralised and quoted. */
export function csvCell(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** One record: cells joined by commas, ended by CRLF. */
export function csvRow(values: string[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
