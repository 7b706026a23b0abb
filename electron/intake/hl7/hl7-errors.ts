/**
 * Why a message was not accepted, in HL7 terms: a table-0357 error code, where (ERR-2 / ERL:
 * segment^sequence^field), the severity (table 0516) and the acknowledgment it earns:
 * AR when the message itself is unacceptable (resending it unchanged will not help),
 * AE when this node could not store it (retry later).
 */

export type Hl7ErrorCode = 100 | 101 | 102 | 103 | 200 | 201 | 202 | 203 | 205 | 207;

/** HL7 table 0357 (message error condition codes): the ones this receiver sends. */
export const HL7_ERROR_TEXT: Readonly<Record<Hl7ErrorCode, string>> = {
  100: 'Segment sequence error',
  101: 'Required field missing',
  102: 'Data type error',
  103: 'Table value not found',
  200: 'Unsupported message type',
  201: 'Unsupported event code',
  202: 'Unsupported processing id',
  203: 'Unsupported version id',
  205: 'Duplicate key identifier',
  207: 'Application internal error',
};

export interface Hl7ErrorLocation {
  readonly segment: string;
  /** Which occurrence of the segment (1-based). */
  readonly sequence: number;
  readonly field?: number;
  readonly component?: number;
}

export interface Hl7Problem {
  readonly code: Hl7ErrorCode;
  /** A human-readable reason (MSA-3 / ERR-8 and the quarantine reason); no PHI. */
  readonly text: string;
  /**
   * The quarantine's reason when it says more than `text`: the MSH-18 value a charset refusal names
   * (configuration, kept beside the raw bytes in the sealed quarantine record). Never sent in an ACK
   * nor logged: a malformed MSH can shift a patient's name into MSH-18.
   */
  readonly reason?: string;
  readonly location?: Hl7ErrorLocation;
  readonly severity: 'E' | 'W';
  /** AR: the message is unacceptable; AE: the node failed (retryable). */
  readonly ack: 'AR' | 'AE';
}

function at(segment: string, field?: number): Hl7ErrorLocation {
  return field === undefined ? { segment, sequence: 1 } : { segment, sequence: 1, field };
}

export const ERR = {
  segmentSequence: (text: string): Hl7Problem => ({ code: 100, text, severity: 'E', ack: 'AR' }),
  requiredFieldMissing: (segment: string, field: number, text: string): Hl7Problem => ({ code: 101, text, location: at(segment, field), severity: 'E', ack: 'AR' }),
  dataTypeError: (segment: string, field: number, text: string): Hl7Problem => ({ code: 102, text, location: at(segment, field), severity: 'E', ack: 'AR' }),
  tableValueNotFound: (segment: string, field: number, text: string): Hl7Problem => ({ code: 103, text, location: at(segment, field), severity: 'E', ack: 'AR' }),
  /**
   * MSH-18 names a character set this node does not read: AE (application error, HL7 v2.5+: the
   * message was received and kept in quarantine, but its content cannot be processed; AR is for
   * MSH-9/11/12 and an unavailable receiver). Resending it unchanged will not help.
   */
  unknownCharset: (text: string, reason: string): Hl7Problem => ({ code: 103, text, reason, location: at('MSH', 18), severity: 'E', ack: 'AE' }),
  unsupportedVersion: (text: string): Hl7Problem => ({ code: 203, text, location: at('MSH', 12), severity: 'E', ack: 'AR' }),
  tooLarge: (text: string): Hl7Problem => ({ code: 207, text, severity: 'E', ack: 'AR' }),
  /** The node could not store the message (disk full, vault unavailable): retryable. */
  cannotStore: (text: string): Hl7Problem => ({ code: 207, text, severity: 'E', ack: 'AE' }),
  /** Input the parser could not make sense of at all: deterministic, so not retryable. */
  unreadable: (text: string): Hl7Problem => ({ code: 207, text, severity: 'E', ack: 'AR' }),
  /**
   * Parsing and mapping the message took longer than its CPU budget. AE (application error), as
   * HL7 v2 defines it: the message was received and kept (in quarantine) but processing it failed
   * because of what it holds; AR is for MSH-9/11/12 refusals or a receiver that is unavailable.
   * Resending it unchanged will fail again, so the text says so.
   */
  overBudget: (budgetMs: number): Hl7Problem => ({
    code: 207,
    text: `The message could not be processed within this receiver's processing budget (${budgetMs} ms); it is kept for review. Resending it unchanged will not help.`,
    severity: 'E',
    ack: 'AE',
  }),
  /** An unexpected failure inside this receiver: retryable. */
  internal: (text: string): Hl7Problem => ({ code: 207, text, severity: 'E', ack: 'AE' }),
} as const;
