import { describe, expect, it } from 'vitest';
import { hl7, makeIntake } from './hl7-test-support';

/**
 * Issue 9 §3: text from a malformed MSH (a patient's name and birth date) was logged verbatim and
 * echoed in ERR-8. Problems are logged and answered by code, field position and length, never
 * with the message's own text.
 */

const NAME = 'DOEPATIENT';
const DOB = '19800101';
const PID = `PID|1||123^^^H^MR||${NAME}^JANE||${DOB}|F`;

/** Malformed headers whose problem used to quote a field of the message. */
const MALFORMED: readonly { readonly what: string; readonly bytes: Buffer }[] = [
  // A field separator other than |: the "encoding characters" ran on into the patient's name.
  { what: 'non-standard delimiters', bytes: hl7(`MSH#^~\\&${NAME} ${DOB}#SEND#FAC#R#F#20250301##ADT^A01#C1#P#2.5.1`, PID) },
  { what: 'invalid encoding characters', bytes: hl7(`MSH|^${NAME}|SEND|FAC|R|F|20250301||ADT^A01|C2|P|2.5.1`, PID) },
  { what: 'unknown charset', bytes: hl7(`MSH|^~\\&|SEND|FAC|R|F|20250301||ADT^A01|C3|P|2.5.1||||||${NAME} ${DOB}`, PID) },
  { what: 'unsupported version', bytes: hl7(`MSH|^~\\&|SEND|FAC|R|F|20250301||ADT^A01|C4|P|${NAME}${DOB}`, PID) },
  { what: 'bad MSH-15', bytes: hl7(`MSH|^~\\&|SEND|FAC|R|F|20250301||ADT^A01|C5|P|2.5.1|||${NAME}`, PID) },
  { what: 'bad MSH-16', bytes: hl7(`MSH|^~\\&|SEND|FAC|R|F|20250301||ADT^A01|C6|P|2.5.1||||${DOB}`, PID) },
];

/** A segment of an ACK, split by the ACK's own field separator (the sender's: MSH-1). */
function segment(ack: Buffer, name: string): string[] {
  const text = ack.toString('latin1');
  const separator = text[3]!;
  const line = text.split('\r').find((candidate) => candidate.startsWith(name));
  if (line === undefined) throw new Error(`No ${name} segment in the ACK.`);
  return line.split(separator);
}

describe('no message content in logs or ERR-8', () => {
  it.each(MALFORMED)('$what: refused (AR, or AE for a charset) with a code, and neither the log nor the ACK text quotes the message', async ({ bytes }) => {
    const { intake, log, pipeline } = makeIntake();
    const acks = await intake.handleFrame(bytes, { address: '127.0.0.1', port: 40000 });
    expect(acks).toHaveLength(1);
    const ack = acks[0]!;
    expect(['AR', 'AE', 'CR']).toContain(segment(ack, 'MSA')[1]);
    // The ERR segment (ERR-8 and, before v2.5, ERR-1) and MSA-3 carry no text of the message.
    const err = segment(ack, 'ERR').join('|');
    const msa3 = segment(ack, 'MSA')[3] ?? '';
    for (const secret of [NAME, DOB]) {
      expect(err).not.toContain(secret);
      expect(msa3).not.toContain(secret);
    }
    expect(err).toMatch(/\|(10[0-3]|20[37])\^/);
    // The log: codes, positions and lengths only.
    const logged = JSON.stringify(log.lines);
    for (const secret of [NAME, DOB]) expect(logged).not.toContain(secret);
    expect(log.lines.some((line) => 'code' in line.object)).toBe(true);
    // It is still kept, sealed, in quarantine (the raw bytes are the evidence).
    expect(pipeline.quarantined).toHaveLength(1);
    expect(Buffer.from(pipeline.quarantined[0]!.raw).toString('latin1')).toContain(NAME);
  });
});
