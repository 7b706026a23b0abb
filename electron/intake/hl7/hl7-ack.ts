import type { Hl7BatchEnvelope, Hl7Delimiters, MshHeader } from './hl7-front-end';
import { STANDARD_DELIMITERS, encodeEscapes } from './hl7-front-end';
import { HL7_ERROR_TEXT, type Hl7Problem } from './hl7-errors';

/**
 * HL7 v2 acknowledgments.
 *
 * - **Original mode** (MSH-15 and MSH-16 both empty): one ACK, MSA-1 AA / AE / AR.
 * - **Enhanced mode** (either one set; an empty one counts as AL): the accept (commit) ACK
 *   CA / CE / CR when MSH-15 asks for it (AL always, ER on error, SU on success, NE never), then the
 *   application ACK AA / AE / AR when MSH-16 asks for it. "Accepted" here means committed to the
 *   vault (journal fsync), which is all the application processing a receiver does, so on success
 *   both come at once. When the message is not committed there is no application processing: the
 *   sender hears CE/CR if MSH-15 asks; if MSH-15 says it wants no accept ACK but MSH-16 wants one,
 *   it hears AE/AR instead, so that a failure is never silent.
 *   Both ACKs go back on the same connection, accept first, one MLLP frame each.
 *
 * Every ACK: the sender's delimiters (MSH-1/2), version (MSH-12), processing id (MSH-11) and
 * charset (MSH-18); MSH-3/4 ↔ MSH-5/6 swapped; a fresh control id; MSH-9 `ACK^<trigger>^ACK`
 * (v2.3.1+); MSA-2 echoes MSH-10 byte for byte; MSA-3 (text) up to v2.6; on error an ERR segment:
 * v2.5+ ERR-2 location (segment^sequence^field), ERR-3 code (table 0357), ERR-4 severity, ERR-8
 * text; before v2.5 ERR-1 (ELD: segment^sequence^field^code&text&HL70357).
 *
 * The ACK is built as a latin1 string over the sender's header bytes (also read as latin1), so the
 * echoed fields are returned exactly as received in any ASCII-compatible charset; our own text is
 * ASCII.
 */

export type AckCode = 'AA' | 'AE' | 'AR' | 'CA' | 'CE' | 'CR';

export type AckOutcome =
  | { readonly kind: 'stored' }
  | { readonly kind: 'rejected'; readonly problem: Hl7Problem }
  | { readonly kind: 'store-failed'; readonly problem: Hl7Problem };

export interface AckIdentity {
  /** Our MSH-3/4 when the sender left its MSH-5/6 empty. */
  readonly application?: string;
  readonly facility?: string;
}

export interface AckBuildOptions extends AckIdentity {
  readonly now?: Date;
  readonly controlId?: string;
}

let counter = 0;
const processStart = Date.now().toString(36);

/** A fresh control id for an ACK: unique within this process and across restarts (time prefix); ≤ 20 chars. */
export function newAckControlId(): string {
  counter = (counter + 1) % 36 ** 6;
  return `A${processStart}${Date.now().toString(36).slice(-5)}${counter.toString(36).padStart(6, '0')}`.slice(0, 20);
}

/** `YYYYMMDDHHMMSS±ZZZZ` in local time. */
export function hl7Timestamp(date: Date): string {
  const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  return (
    `${date.getFullYear()}${pad(date.getMonth() + 1)}${pad(date.getDate())}${pad(date.getHours())}${pad(date.getMinutes())}${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`
  );
}

function versionAtLeast(version: string, major: number, minor: number, patch = 0): boolean {
  const match = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version);
  if (match === null) return true; // unknown: answer in the current style
  const parts = [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
  const wanted = [major, minor, patch];
  for (let i = 0; i < 3; i++) if (parts[i] !== wanted[i]) return parts[i]! > wanted[i]!;
  return true;
}

function ascii(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?');
}

/** Is the sender asking for enhanced-mode acknowledgments? */
export function isEnhancedMode(header: MshHeader | null): boolean {
  return header !== null && (header.acceptAckType !== '' || header.applicationAckType !== '');
}

const condition = (value: string): 'AL' | 'NE' | 'ER' | 'SU' => (value === 'NE' || value === 'ER' || value === 'SU' ? value : 'AL');

/** Which ACKs the sender gets for an outcome, in order (possibly none: MSH-15/16 NE). */
export function ackCodesFor(header: MshHeader | null, outcome: AckOutcome): AckCode[] {
  if (!isEnhancedMode(header)) return [outcome.kind === 'stored' ? 'AA' : outcome.problem.ack];
  const accept = condition(header!.acceptAckType);
  const application = condition(header!.applicationAckType);
  if (outcome.kind === 'stored') {
    return [...(accept === 'AL' || accept === 'SU' ? (['CA'] as const) : []), ...(application === 'AL' || application === 'SU' ? (['AA'] as const) : [])];
  }
  const codes: AckCode[] = [];
  if (accept === 'AL' || accept === 'ER') codes.push(outcome.kind === 'store-failed' ? 'CE' : 'CR');
  if (codes.length === 0 && (application === 'AL' || application === 'ER')) codes.push(outcome.problem.ack);
  return codes;
}

function errSegment(f: string, d: Hl7Delimiters, version: string, problem: Hl7Problem): string {
  const c = d.component;
  const s = d.subcomponent;
  const location = problem.location;
  const text = encodeEscapes(ascii(problem.text), d);
  const label = HL7_ERROR_TEXT[problem.code];
  if (versionAtLeast(version, 2, 5)) {
    const erl = location === undefined ? '' : [location.segment, location.sequence, location.field ?? '', location.component ?? ''].join(c).replace(new RegExp(`\\${c}+$`), '');
    return ['ERR', '', erl, `${problem.code}${c}${label}${c}HL70357`, problem.severity, '', '', '', text].join(f);
  }
  const eld = location === undefined ? ['', '', '', `${problem.code}${s}${label}${s}HL70357`] : [location.segment, location.sequence, location.field ?? '', `${problem.code}${s}${label}${s}HL70357`];
  return ['ERR', eld.join(c)].join(f);
}

/** The MSH of an ACK-like reply (ACK messages, and the MSH inside a batch reply). */
function replyMsh(header: MshHeader | null, options: AckBuildOptions): { msh: string; f: string; d: Hl7Delimiters; version: string } {
  const d = header?.delimiters ?? STANDARD_DELIMITERS;
  const f = d.field;
  const field = (n: number) => header?.fields[n] ?? '';
  const encoding = header?.fields[2] ?? `${d.component}${d.repetition}${d.escape}${d.subcomponent}`;
  const version = field(12) !== '' ? field(12) : '2.5.1';
  const simpleVersion = header?.version ?? '2.5.1';
  const trigger = field(9).split(d.component)[1] ?? '';
  const messageType = !versionAtLeast(simpleVersion, 2, 3, 1) ? (trigger === '' ? 'ACK' : `ACK${d.component}${trigger}`) : trigger === '' ? 'ACK' : `ACK${d.component}${trigger}${d.component}ACK`;
  const ours = (value: string, fallback: string | undefined) => (value !== '' ? value : encodeEscapes(ascii(fallback ?? ''), d));
  const msh = [
    'MSH',
    encoding,
    ours(field(5), options.application ?? 'HDMS-NODE'),
    ours(field(6), options.facility),
    field(3),
    field(4),
    hl7Timestamp(options.now ?? new Date()),
    '',
    messageType,
    options.controlId ?? newAckControlId(),
    field(11) !== '' ? field(11) : 'P',
    version,
    '',
    '',
    '',
    '',
    '',
    field(18),
  ];
  while (msh.length > 12 && msh[msh.length - 1] === '') msh.pop();
  return { msh: `MSH${f}${msh.slice(1).join(f)}`, f, d, version: simpleVersion };
}

/** The segments of one ACK message (CR-separated, no trailing CR). */
export function buildAckText(header: MshHeader | null, code: AckCode, problem: Hl7Problem | undefined, options: AckBuildOptions = {}): string {
  const { msh, f, d, version } = replyMsh(header, options);
  const controlId = header?.fields[10] ?? '';
  const msa = ['MSA', code, controlId];
  if (problem !== undefined && !versionAtLeast(version, 2, 7)) msa.push(encodeEscapes(ascii(problem.text), d).slice(0, 80));
  const segments = [msh, msa.join(f)];
  if (problem !== undefined && code !== 'AA' && code !== 'CA') segments.push(errSegment(f, d, version, problem));
  return segments.join('\r');
}

/** One ACK message as bytes (latin1: see the module comment), CR-terminated. */
export function buildAck(header: MshHeader | null, code: AckCode, problem?: Hl7Problem, options: AckBuildOptions = {}): Buffer {
  return Buffer.from(`${buildAckText(header, code, problem, options)}\r`, 'latin1');
}

/** All the ACKs an outcome earns (see ackCodesFor), each a separate message. */
export function buildAcks(header: MshHeader | null, outcome: AckOutcome, options: AckBuildOptions = {}): { codes: AckCode[]; acks: Buffer[] } {
  const codes = ackCodesFor(header, outcome);
  const problem = outcome.kind === 'stored' ? undefined : outcome.problem;
  return { codes, acks: codes.map((code) => buildAck(header, code, problem, options)) };
}

/**
 * A batch answered with a batch (HL7 v2 batch protocol): [FHS] BHS, the ACK messages of the batch's
 * messages in order, BTS (BTS-1 = number of messages in the reply) [FTS].
 */
export function buildBatchAck(envelope: Hl7BatchEnvelope, ackTexts: readonly string[], options: AckIdentity & { now?: Date } = {}): Buffer {
  const d = envelope.delimiters;
  const f = d.field;
  const encoding = `${d.component}${d.repetition}${d.escape}${d.subcomponent}`;
  const now = hl7Timestamp(options.now ?? new Date());
  const header = (name: 'FHS' | 'BHS', theirs: readonly string[]) => {
    const field = (n: number) => theirs[n] ?? '';
    const app = field(5) !== '' ? field(5) : encodeEscapes(ascii(options.application ?? 'HDMS-NODE'), d);
    // -9 name, -10 comment, -11 our control id, -12 the reference: their FHS/BHS-11.
    return `${name}${f}${encoding}${f}${[app, field(6), field(3), field(4), now, '', '', 'ACK', newAckControlId(), field(11)].join(f)}`;
  };
  const lines: string[] = [];
  if (envelope.fileHeader !== null) lines.push(header('FHS', envelope.fileHeader));
  lines.push(header('BHS', envelope.batchHeader ?? envelope.fileHeader ?? []));
  for (const text of ackTexts) lines.push(text);
  lines.push(['BTS', String(ackTexts.length)].join(f));
  if (envelope.fileHeader !== null) lines.push(['FTS', '1'].join(f));
  return Buffer.from(`${lines.join('\r')}\r`, 'latin1');
}
