import { Refusal } from '../errors/refusal';

/** What a spreadsheet runs as a formula when a cell starts with it (OWASP, CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * An operator's ledger pseudonym (32 bytes in base64url, 43 characters) may start with "-": the
 * mind writes it exactly as signed. Letters, digits, "-" and "_" alone call nothing and reach no
 * other program, so such a cell is kept as it is.
 */
const PSEUDONYM = /^[A-Za-z0-9_-]{43}$/;

/** Text the body was asked to write as CSV that does not read as CSV. */
export class CsvRefusal extends Refusal {}

/**
 * The CSV `text` with every cell a spreadsheet would run as a formula prefixed with "'" (tester's
 * finding 2): the access report is composed by the mind, and the body cannot trust the client's
 * text to have done it. Cells are read as RFC 4180 has them (quoted when they hold a comma, a quote
 * or a line break; quotes doubled), records end with CRLF or LF. A cell already safe is copied as
 * it came, so the mind's report is written byte for byte; a prefixed one is written quoted when it
 * needs to be. One pass over the text, no copy of it but the result.
 */
export function neutraliseCsvFormulas(text: string): string {
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    const start = at;
    let value: string;
    if (text[at] === '"') {
      // A quoted cell: up to the quote that is not doubled.
      let end = at + 1;
      const parts: string[] = [];
      for (;;) {
        const quote = text.indexOf('"', end);
        if (quote === -1) throw new CsvRefusal('E_BAD_REQUEST', 'The access report is not a CSV: a quoted cell is never closed.');
        parts.push(text.slice(end, quote));
        if (text[quote + 1] === '"') {
          parts.push('"');
          end = quote + 2;
          continue;
        }
        at = quote + 1;
        break;
      }
      value = parts.join('');
      if (at < text.length && text[at] !== ',' && text[at] !== '\r' && text[at] !== '\n') {
        throw new CsvRefusal('E_BAD_REQUEST', 'The access report is not a CSV: a quoted cell is followed by more text.');
      }
    } else {
      // A plain cell: up to the next comma or line break. A quote inside it is read as a character,
      // as spreadsheets read it (=HYPERLINK("…") sent unquoted is still a formula to them).
      let end = at;
      while (end < text.length && text[end] !== ',' && text[end] !== '\r' && text[end] !== '\n') end++;
      value = text.slice(at, end);
      at = end;
    }
    out.push(FORMULA_START.test(value) && !PSEUDONYM.test(value) ? quoted(`'${value}`) : text.slice(start, at));
    // The separator after the cell: a comma (another cell follows), a line break, or the end.
    if (at < text.length) {
      if (text[at] === ',') {
        out.push(',');
        at++;
        // A comma at the very end, or before a line break, leaves an empty last cell: nothing to check.
      } else if (text[at] === '\r' && text[at + 1] === '\n') {
        out.push('\r\n');
        at += 2;
      } else if (text[at] === '\n') {
        out.push('\n');
        at++;
      } else {
        throw new CsvRefusal('E_BAD_REQUEST', 'The access report is not a CSV: a carriage return outside a quoted cell ends no line.');
      }
    }
  }
  return out.join('');
}

/** A cell as RFC 4180 writes it: quoted when it holds a comma, a quote or a line break. */
function quoted(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** U+FEFF, written first as UTF-8 (EF BB BF): how Excel on Windows knows a CSV is UTF-8, not its ANSI code page. */
const BOM = '\uFEFF';

/**
 * The access report's file text: one byte-order mark (QA s32 finding 2: without it Excel on Windows
 * showed "Brügger" as "BrÃ¼gger"), then the client's CSV with its formulas neutralised. A mark the
 * client sent is taken off before the cells are read: a spreadsheet drops it, so "\uFEFF=…" is a
 * formula to it, and the first cell is checked without it.
 */
export function accessReportFileText(text: string): string {
  return BOM + neutraliseCsvFormulas(text.startsWith(BOM) ? text.slice(BOM.length) : text);
}
