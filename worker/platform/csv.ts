/** CSV (RFC 4180, CRLF) that a spreadsheet cannot be tricked into running as a formula. */

type Cell = string | number | boolean | null | undefined;

/** Cells a spreadsheet would evaluate (OWASP CSV injection): prefixed with a quote. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** The cell separator: "," (RFC 4180), or ";" for spreadsheets in locales whose decimal mark is a comma. */
export type CsvDelimiter = "," | ";";

function csvCell(value: Cell): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA_START.test(text)) text = `'${text}`;
  // Quoted also with ";" or a tab: spreadsheets in locales that split cells on them would otherwise
  // start a new cell there, one that may begin with a formula character.
  return /[",;\t\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(cells: readonly Cell[], delimiter: CsvDelimiter = ","): string {
  return `${cells.map(csvCell).join(delimiter)}\r\n`;
}
