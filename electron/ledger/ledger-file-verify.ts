import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { ExportFormatError, parseExportHeader, parseExportLine } from '../../shared/ledger/ledger-export-format';
import { verifyLedger, type SignedEntryInput } from '../../shared/ledger/ledger-verify';
import type { LedgerDomain } from '../../shared/ledger/ledger-schema';
import { verifyNodeInfo } from '../../shared/ledger/node-info';

/**
 * Verifies an exported ledger file (shared/ledger/ledger-export-format.ts) or a node-info document
 * (shared/ledger/node-info.ts), streaming: a 100k-entry file is read line by line. Every signature
 * is checked with ethers.verifyTypedData, the chain (seq, prevHash) and the strict schema too; the
 * header's entry count must match what follows.
 */

export type FileVerification =
  | { readonly ok: true; readonly format: 'hdms-ledger'; readonly entries: number; readonly node: string; readonly head: string; readonly domain: LedgerDomain }
  | { readonly ok: true; readonly format: 'hdms-node-info'; readonly node: string }
  | { readonly ok: false; readonly entries: number; readonly node: string | null; readonly firstBreak: { readonly seq: number; readonly problem: string } };

async function* fileLines(file: string): AsyncGenerator<string> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const line of lines) yield line;
  } finally {
    lines.close();
  }
}

/**
 * `onEntry` sees each line's entry as read, before it is verified (the access report verifier keeps
 * the entries its rows name): use what it kept only when the result is ok.
 */
export async function verifyLedgerFile(file: string, onProgress?: (verified: number) => void, onEntry?: (entry: unknown) => void): Promise<FileVerification> {
  const lines = fileLines(file);
  const first = await lines.next();
  const headerLine = first.done === true ? undefined : first.value;
  // A node-info document is one pretty-printed JSON object; recognize it by its first line.
  if (headerLine !== undefined && headerLine.trim() === '{') {
    let text = `${headerLine}\n`;
    for await (const line of lines) text += `${line}\n`;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return { ok: false, entries: 0, node: null, firstBreak: { seq: 0, problem: 'the file is neither an hdms-ledger export nor a JSON node-info document' } };
    }
    const checked = verifyNodeInfo(value);
    return checked.ok ? { ok: true, format: 'hdms-node-info', node: checked.node } : { ok: false, entries: 0, node: null, firstBreak: { seq: 0, problem: checked.problem } };
  }
  let header;
  try {
    header = parseExportHeader(headerLine);
  } catch (error) {
    return { ok: false, entries: 0, node: null, firstBreak: { seq: 0, problem: (error as Error).message } };
  }
  let formatError: ExportFormatError | null = null;
  let lineNumber = 1;
  let count = 0;
  async function* entries(): AsyncGenerator<SignedEntryInput> {
    for await (const line of lines) {
      lineNumber++;
      if (line.trim() === '') continue;
      count++;
      try {
        const item = parseExportLine(line, lineNumber, count);
        onEntry?.(item.entry);
        yield item;
      } catch (error) {
        if (error instanceof ExportFormatError) {
          formatError = error;
          return;
        }
        throw error;
      }
    }
  }
  const result = await verifyLedger(entries(), {
    domain: header.domain,
    node: header.node,
    progressEvery: 1000,
    ...(onProgress === undefined ? {} : { onProgress }),
  });
  const node = header.node;
  if (!result.ok) {
    // A malformed line ends the stream early: report it (the chain before it was fine).
    const broken = formatError as ExportFormatError | null;
    if (broken !== null && result.firstBreak.seq >= broken.seq) return { ok: false, entries: result.entries, node, firstBreak: { seq: broken.seq, problem: broken.message } };
    return { ok: false, entries: result.entries, node, firstBreak: result.firstBreak };
  }
  const broken = formatError as ExportFormatError | null;
  if (broken !== null) return { ok: false, entries: result.entries, node, firstBreak: { seq: broken.seq, problem: broken.message } };
  if (result.entries !== header.entries) {
    return {
      ok: false,
      entries: result.entries,
      node,
      firstBreak: { seq: result.entries + 1, problem: `the header announces ${header.entries} entries, but the file holds ${result.entries}${result.entries < header.entries ? ` (entries ${result.entries + 1}–${header.entries} are missing)` : ''}` },
    };
  }
  return { ok: true, format: 'hdms-ledger', entries: result.entries, node, head: result.head, domain: header.domain };
}
