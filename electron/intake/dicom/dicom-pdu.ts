/**
 * DICOM Upper Layer PDUs (PS3.8 section 9.3): reading them off a byte stream with bounded lengths,
 * and encoding the ones the acceptor sends (plus the requestor's, which the tests' peers use).
 * All multi-byte PDU fields are big endian (PS3.8 9.3.1). No PHI passes through here except
 * inside P-DATA values, which this layer never looks into.
 */

export const PDU_TYPE = {
  A_ASSOCIATE_RQ: 0x01,
  A_ASSOCIATE_AC: 0x02,
  A_ASSOCIATE_RJ: 0x03,
  P_DATA_TF: 0x04,
  A_RELEASE_RQ: 0x05,
  A_RELEASE_RP: 0x06,
  A_ABORT: 0x07,
} as const;
export type PduType = (typeof PDU_TYPE)[keyof typeof PDU_TYPE];

const ITEM = {
  APPLICATION_CONTEXT: 0x10,
  PRESENTATION_CONTEXT_RQ: 0x20,
  PRESENTATION_CONTEXT_AC: 0x21,
  ABSTRACT_SYNTAX: 0x30,
  TRANSFER_SYNTAX: 0x40,
  USER_INFORMATION: 0x50,
  MAXIMUM_LENGTH: 0x51,
  IMPLEMENTATION_CLASS_UID: 0x52,
  ASYNCHRONOUS_OPERATIONS_WINDOW: 0x53,
  IMPLEMENTATION_VERSION_NAME: 0x55,
} as const;

/** A-ABORT source (PS3.8 Table 9-26). */
export const ABORT_SOURCE = { SERVICE_USER: 0, SERVICE_PROVIDER: 2 } as const;
/** A-ABORT reason when the source is the service provider (PS3.8 Table 9-26). */
export const ABORT_REASON = {
  NOT_SPECIFIED: 0,
  UNRECOGNIZED_PDU: 1,
  UNEXPECTED_PDU: 2,
  UNRECOGNIZED_PDU_PARAMETER: 4,
  UNEXPECTED_PDU_PARAMETER: 5,
  INVALID_PDU_PARAMETER_VALUE: 6,
} as const;

/** A-ASSOCIATE-RJ result, source and reason (PS3.8 Table 9-21). */
export const REJECT_RESULT = { PERMANENT: 1, TRANSIENT: 2 } as const;
export const REJECT_SOURCE = { SERVICE_USER: 1, SERVICE_PROVIDER_ACSE: 2, SERVICE_PROVIDER_PRESENTATION: 3 } as const;
export const REJECT_REASON = {
  /** Source 1. */
  USER_NO_REASON: 1,
  APPLICATION_CONTEXT_NOT_SUPPORTED: 2,
  CALLING_AE_NOT_RECOGNIZED: 3,
  CALLED_AE_NOT_RECOGNIZED: 7,
  /** Source 2. */
  PROTOCOL_VERSION_NOT_SUPPORTED: 2,
  /** Source 3. */
  TEMPORARY_CONGESTION: 1,
  LOCAL_LIMIT_EXCEEDED: 2,
} as const;

/** Presentation context result in an A-ASSOCIATE-AC (PS3.8 Table 9-18). */
export const CONTEXT_RESULT = {
  ACCEPTANCE: 0,
  USER_REJECTION: 1,
  NO_REASON: 2,
  ABSTRACT_SYNTAX_NOT_SUPPORTED: 3,
  TRANSFER_SYNTAXES_NOT_SUPPORTED: 4,
} as const;

/** A malformed or unexpected PDU: the association is aborted with this A-ABORT reason (Evt19). */
export class PduError extends Error {
  constructor(
    readonly abortReason: number,
    message: string,
  ) {
    super(message);
    this.name = 'PduError';
  }
}

export interface Pdu {
  readonly type: PduType;
  /** The variable field (after the 6-byte header). */
  readonly body: Buffer;
  /**
   * A P-DATA-TF's variable field as the pieces of the reads it came in (no copy): what
   * parsePDataTfParts reads. `body` joins them when asked.
   */
  readonly parts?: readonly Buffer[];
}

export interface PduLimits {
  /** Largest P-DATA-TF variable field accepted: the maximum length this side announced. */
  readonly maxPDataLength: number;
  /** Largest A-ASSOCIATE-RQ/AC/RJ variable field. Default 128 KiB. */
  readonly maxAssociateLength?: number;
}

const HEADER_BYTES = 6;
const DEFAULT_MAX_ASSOCIATE_LENGTH = 128 * 1024;

/**
 * Cuts PDUs out of a TCP byte stream. Holds at most one PDU plus one read chunk: a PDU announcing
 * more than its type's limit is refused as soon as its header is read, before its body arrives.
 * A P-DATA-TF is handed on as pieces of the reads it came in, not copied into one buffer (each
 * byte of a data set is copied once less; measured in the profile of eight associations): its
 * pieces may pin the read chunks they are cut from, at most one chunk more per PDU.
 */
export class PduReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly maxAssociateLength: number;

  constructor(private readonly limits: PduLimits) {
    this.maxAssociateLength = limits.maxAssociateLength ?? DEFAULT_MAX_ASSOCIATE_LENGTH;
  }

  /** Bytes held now (an unfinished PDU). */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  /** True while part of a PDU has arrived and the rest has not. */
  get midPdu(): boolean {
    return this.pendingBytes > 0;
  }

  /** Adds bytes; returns the PDUs they complete. Throws PduError for a PDU that cannot be valid. */
  push(chunk: Buffer): Pdu[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const out: Pdu[] = [];
    for (;;) {
      if (this.pendingBytes < HEADER_BYTES) break;
      const head = this.peek(HEADER_BYTES);
      const type = head[0]!;
      const length = head.readUInt32BE(2);
      this.check(type, length);
      if (this.pendingBytes < HEADER_BYTES + length) break;
      if (type === PDU_TYPE.P_DATA_TF) {
        this.takeParts(HEADER_BYTES);
        const parts = this.takeParts(length);
        out.push({
          type: PDU_TYPE.P_DATA_TF,
          parts,
          get body() {
            return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
          },
        });
        continue;
      }
      const whole = this.take(HEADER_BYTES + length);
      out.push({ type: type as PduType, body: whole.subarray(HEADER_BYTES) });
    }
    return out;
  }

  /** The next `bytes` bytes as pieces of the pending chunks (subarrays, no copy). */
  private takeParts(bytes: number): Buffer[] {
    const parts: Buffer[] = [];
    let need = bytes;
    while (need > 0) {
      const first = this.pending[0]!;
      if (first.length <= need) {
        parts.push(first);
        this.pending.shift();
        need -= first.length;
      } else {
        parts.push(first.subarray(0, need));
        this.pending[0] = first.subarray(need);
        need = 0;
      }
    }
    this.pendingBytes -= bytes;
    return parts;
  }

  private check(type: number, length: number): void {
    checkPduHeader(type, length, this.limits.maxPDataLength, this.maxAssociateLength);
  }

  private peek(bytes: number): Buffer {
    if (this.pending[0]!.length < bytes) this.pending = [Buffer.concat(this.pending)];
    return this.pending[0]!;
  }

  private take(bytes: number): Buffer {
    const first = this.peek(bytes);
    const whole = first.length === bytes ? first : first.subarray(0, bytes);
    if (first.length === bytes) this.pending.shift();
    else {
      // Copy the rest out so the returned PDU does not pin later bytes (and vice versa).
      this.pending[0] = Buffer.from(first.subarray(bytes));
    }
    this.pendingBytes -= bytes;
    return whole;
  }
}

/** Refuses a PDU by its header alone: an unknown type, or a length its type cannot have here. */
function checkPduHeader(type: number, length: number, maxPDataLength: number, maxAssociateLength: number): void {
  switch (type) {
    case PDU_TYPE.A_ASSOCIATE_RQ:
    case PDU_TYPE.A_ASSOCIATE_AC:
    case PDU_TYPE.A_ASSOCIATE_RJ:
      if (length > maxAssociateLength) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, `An association PDU of ${length} bytes is longer than the ${maxAssociateLength} accepted.`);
      return;
    case PDU_TYPE.P_DATA_TF:
      if (length > maxPDataLength) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, `A P-DATA-TF PDU of ${length} bytes is longer than the maximum length ${maxPDataLength} announced.`);
      return;
    case PDU_TYPE.A_RELEASE_RQ:
    case PDU_TYPE.A_RELEASE_RP:
    case PDU_TYPE.A_ABORT:
      if (length !== 4) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, `A release or abort PDU has a length of ${length}, not 4.`);
      return;
    default:
      throw new PduError(ABORT_REASON.UNRECOGNIZED_PDU, `PDU type 0x${type.toString(16).padStart(2, '0')} is not a DICOM PDU.`);
  }
}

/** What PduStreamReader cuts from the bytes: a whole PDU other than P-DATA-TF, or a piece of a PDV. */
export type PduPiece =
  | { readonly pdu: Pdu }
  | {
      /** A PDV's bytes as far as they have arrived: a view of the chunk pushed (no copy); `last` only on its final piece. */
      readonly pdv: Pdv;
      /** This piece ends its P-DATA-TF PDU. */
      readonly pduEnd: boolean;
    };

/**
 * Cuts a TCP byte stream into PDUs like PduReader, but hands a P-DATA-TF's PDVs on piece by piece
 * as their bytes arrive, as views of the chunk pushed: nothing of a P-DATA-TF is kept between
 * pushes but its 6-byte headers. So the chunks may be one buffer read into again and again (the
 * socket's `onread` buffer): the caller copies what it keeps before the next read. Other PDUs
 * (association, release, abort: at most `maxAssociateLength`) are copied as they arrive and
 * handed on whole. The same checks and refusals as PduReader and parsePDataTf, made as soon as
 * the bytes they need are in; the PDVs of a P-DATA-TF before a malformed one have been handed on.
 */
export class PduStreamReader {
  private readonly header = Buffer.alloc(HEADER_BYTES);
  private headerBytes = 0;
  /** The PDU being read (its type), or -1 between PDUs. */
  private type = -1;
  /** Bytes of the current PDU's variable field still to come. */
  private remaining = 0;
  /** A non-P-DATA PDU's variable field as it arrives (copies: held only as far as it has come). */
  private bodyParts: Buffer[] = [];
  private bodyBytes = 0;
  private readonly pdvHeader = Buffer.alloc(6);
  private pdvHeaderBytes = 0;
  /** Bytes of the current PDV's value still to come (0: a PDV item header is next). */
  private pdvRemaining = 0;
  private pdvContext = 0;
  private pdvCommand = false;
  private pdvLast = false;
  private readonly maxAssociateLength: number;

  constructor(private readonly limits: PduLimits) {
    this.maxAssociateLength = limits.maxAssociateLength ?? DEFAULT_MAX_ASSOCIATE_LENGTH;
  }

  /** Bytes held now: a partial header or a partial non-P-DATA PDU. */
  get heldBytes(): number {
    return this.headerBytes + this.pdvHeaderBytes + this.bodyBytes;
  }

  /** The pieces `chunk` completes or carries; PDV pieces are views of `chunk`. Throws PduError. */
  push(chunk: Buffer): PduPiece[] {
    const out: PduPiece[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.type < 0) {
        const take = Math.min(HEADER_BYTES - this.headerBytes, chunk.length - at);
        chunk.copy(this.header, this.headerBytes, at, at + take);
        this.headerBytes += take;
        at += take;
        if (this.headerBytes < HEADER_BYTES) break;
        this.headerBytes = 0;
        const type = this.header[0]!;
        const length = this.header.readUInt32BE(2);
        checkPduHeader(type, length, this.limits.maxPDataLength, this.maxAssociateLength);
        this.type = type;
        this.remaining = length;
        if (type === PDU_TYPE.P_DATA_TF) {
          if (length === 0) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A P-DATA-TF holds no PDV.');
          this.pdvRemaining = 0;
          this.pdvHeaderBytes = 0;
          continue;
        }
        if (length === 0) this.endOtherPdu(out);
        continue;
      }
      if (this.type !== PDU_TYPE.P_DATA_TF) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.bodyParts.push(Buffer.from(chunk.subarray(at, at + take)));
        this.bodyBytes += take;
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.endOtherPdu(out);
        continue;
      }
      if (this.pdvRemaining === 0) {
        // A PDV item header: 4 bytes of length, the presentation context id, the message control header.
        if (this.pdvHeaderBytes === 0 && this.remaining < 6) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV item header runs past the end of its P-DATA-TF.');
        const take = Math.min(6 - this.pdvHeaderBytes, chunk.length - at);
        chunk.copy(this.pdvHeader, this.pdvHeaderBytes, at, at + take);
        this.pdvHeaderBytes += take;
        this.remaining -= take;
        at += take;
        if (this.pdvHeaderBytes < 6) break;
        this.pdvHeaderBytes = 0;
        const length = this.pdvHeader.readUInt32BE(0);
        if (length < 2 || length - 2 > this.remaining) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV item length does not fit its P-DATA-TF.');
        const control = this.pdvHeader[5]!;
        if ((control & 0xfc) !== 0) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV message control header has reserved bits set.');
        this.pdvContext = this.pdvHeader[4]!;
        this.pdvCommand = (control & 1) === 1;
        this.pdvLast = (control & 2) === 2;
        this.pdvRemaining = length - 2;
        if (this.pdvRemaining === 0) this.pdvPiece(out, Buffer.alloc(0));
        continue;
      }
      const take = Math.min(this.pdvRemaining, chunk.length - at);
      this.pdvRemaining -= take;
      this.remaining -= take;
      this.pdvPiece(out, chunk.subarray(at, at + take));
      at += take;
    }
    return out;
  }

  private pdvPiece(out: PduPiece[], data: Buffer): void {
    const pduEnd = this.remaining === 0;
    out.push({ pdv: { contextId: this.pdvContext, command: this.pdvCommand, last: this.pdvLast && this.pdvRemaining === 0, data }, pduEnd });
    if (pduEnd) this.type = -1;
  }

  private endOtherPdu(out: PduPiece[]): void {
    const body = this.bodyParts.length === 1 ? this.bodyParts[0]! : Buffer.concat(this.bodyParts, this.bodyBytes);
    out.push({ pdu: { type: this.type as PduType, body } });
    this.type = -1;
    this.bodyParts = [];
    this.bodyBytes = 0;
  }
}

// ── A-ASSOCIATE-RQ / AC (PS3.8 9.3.2, 9.3.3) ────────────────────────────────────────────────

export interface PresentationContextRq {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntaxes: readonly string[];
}

export interface AssociateRq {
  readonly protocolVersion: number;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly applicationContext: string;
  readonly presentationContexts: readonly PresentationContextRq[];
  /** The requestor's maximum P-DATA-TF variable field it receives; 0 = no limit. */
  readonly maxLength: number;
  readonly implementationClassUid: string;
  readonly implementationVersionName?: string;
}

export interface PresentationContextAc {
  readonly id: number;
  readonly result: number;
  /** The one transfer syntax accepted (ignored by the requestor unless result is acceptance). */
  readonly transferSyntax: string;
}

export interface AssociateAc {
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly presentationContexts: readonly PresentationContextAc[];
  readonly maxLength: number;
  readonly implementationClassUid: string;
  readonly implementationVersionName?: string;
}

export interface AssociateRj {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
}

const MAX_CONTEXTS = 128;
const MAX_TRANSFER_SYNTAXES_PER_CONTEXT = 64;

/** AE titles: 16 bytes of the default repertoire, space padded; leading and trailing spaces are not significant (PS3.5 6.2). */
function aeTitle(bytes: Buffer): string {
  return bytes.toString('latin1').replace(/\0+$/, '').trim();
}

/** UIDs in PDU items may carry a trailing NUL pad (PS3.8 9.3.2.2.1). */
function uid(bytes: Buffer): string {
  const text = bytes.toString('latin1').replace(/[\0 ]+$/, '');
  if (text.length > 64 || !/^[0-9.]*$/.test(text)) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A UID in an association PDU is not a valid UID.');
  return text;
}

interface Item {
  readonly type: number;
  readonly value: Buffer;
}

/** Items of the variable part: type(1), reserved(1), length(2), value; each must fit inside `bytes`. */
function readItems(bytes: Buffer): Item[] {
  const items: Item[] = [];
  let at = 0;
  while (at < bytes.length) {
    if (at + 4 > bytes.length) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'An item header runs past the end of its PDU.');
    const type = bytes[at]!;
    const length = bytes.readUInt16BE(at + 2);
    if (at + 4 + length > bytes.length) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, `Item 0x${type.toString(16)} runs past the end of its PDU.`);
    items.push({ type, value: bytes.subarray(at + 4, at + 4 + length) });
    at += 4 + length;
    if (items.length > 4 * MAX_CONTEXTS * MAX_TRANSFER_SYNTAXES_PER_CONTEXT) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'An association PDU holds too many items.');
  }
  return items;
}

function readFixedPart(body: Buffer): { protocolVersion: number; calledAeTitle: string; callingAeTitle: string; items: Item[] } {
  if (body.length < 68) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'An association PDU is shorter than its fixed fields.');
  return {
    protocolVersion: body.readUInt16BE(0),
    calledAeTitle: aeTitle(body.subarray(4, 20)),
    callingAeTitle: aeTitle(body.subarray(20, 36)),
    items: readItems(body.subarray(68)),
  };
}

interface UserInformation {
  maxLength: number;
  implementationClassUid: string;
  implementationVersionName?: string;
}

function readUserInformation(value: Buffer): UserInformation {
  const info: UserInformation = { maxLength: 0, implementationClassUid: '' };
  for (const sub of readItems(value)) {
    if (sub.type === ITEM.MAXIMUM_LENGTH) {
      if (sub.value.length !== 4) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'The maximum length sub-item is not 4 bytes.');
      info.maxLength = sub.value.readUInt32BE(0);
    } else if (sub.type === ITEM.IMPLEMENTATION_CLASS_UID) info.implementationClassUid = uid(sub.value);
    else if (sub.type === ITEM.IMPLEMENTATION_VERSION_NAME) info.implementationVersionName = sub.value.toString('latin1').trim().slice(0, 16);
    // Other sub-items (asynchronous operations window, role selection, extended negotiation,
    // user identity) are optional to support: not answering them means "not negotiated".
  }
  return info;
}

export function parseAssociateRq(body: Buffer): AssociateRq {
  const { protocolVersion, calledAeTitle, callingAeTitle, items } = readFixedPart(body);
  let applicationContext: string | null = null;
  let user: UserInformation | null = null;
  const contexts: PresentationContextRq[] = [];
  const ids = new Set<number>();
  for (const item of items) {
    switch (item.type) {
      case ITEM.APPLICATION_CONTEXT:
        applicationContext = uid(item.value);
        break;
      case ITEM.PRESENTATION_CONTEXT_RQ: {
        if (item.value.length < 4) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A presentation context item is too short.');
        const id = item.value[0]!;
        // Presentation context ids are odd integers 1–255 (PS3.8 9.3.2.2).
        if (id % 2 === 0 || ids.has(id)) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, `Presentation context id ${id} is even or repeated.`);
        ids.add(id);
        if (contexts.length >= MAX_CONTEXTS) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, `More than ${MAX_CONTEXTS} presentation contexts were proposed.`);
        let abstractSyntax: string | null = null;
        const transferSyntaxes: string[] = [];
        for (const sub of readItems(item.value.subarray(4))) {
          if (sub.type === ITEM.ABSTRACT_SYNTAX) abstractSyntax = uid(sub.value);
          else if (sub.type === ITEM.TRANSFER_SYNTAX) {
            if (transferSyntaxes.length >= MAX_TRANSFER_SYNTAXES_PER_CONTEXT) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A presentation context proposes too many transfer syntaxes.');
            transferSyntaxes.push(uid(sub.value));
          }
        }
        if (abstractSyntax === null || transferSyntaxes.length === 0) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, `Presentation context ${id} lacks its abstract or transfer syntax.`);
        contexts.push({ id, abstractSyntax, transferSyntaxes });
        break;
      }
      case ITEM.USER_INFORMATION:
        user = readUserInformation(item.value);
        break;
      default:
        throw new PduError(ABORT_REASON.UNRECOGNIZED_PDU_PARAMETER, `Item type 0x${item.type.toString(16)} does not belong in an A-ASSOCIATE-RQ.`);
    }
  }
  if (applicationContext === null) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'The A-ASSOCIATE-RQ names no application context.');
  if (user === null) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'The A-ASSOCIATE-RQ has no user information item.');
  return {
    protocolVersion,
    calledAeTitle,
    callingAeTitle,
    applicationContext,
    presentationContexts: contexts,
    maxLength: user.maxLength,
    implementationClassUid: user.implementationClassUid,
    ...(user.implementationVersionName !== undefined ? { implementationVersionName: user.implementationVersionName } : {}),
  };
}

export function parseAssociateAc(body: Buffer): AssociateAc {
  const { calledAeTitle, callingAeTitle, items } = readFixedPart(body);
  const contexts: PresentationContextAc[] = [];
  let user: UserInformation = { maxLength: 0, implementationClassUid: '' };
  for (const item of items) {
    if (item.type === ITEM.PRESENTATION_CONTEXT_AC) {
      if (item.value.length < 4) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A presentation context item is too short.');
      const subs = readItems(item.value.subarray(4));
      const ts = subs.find((sub) => sub.type === ITEM.TRANSFER_SYNTAX);
      contexts.push({ id: item.value[0]!, result: item.value[2]!, transferSyntax: ts === undefined ? '' : uid(ts.value) });
    } else if (item.type === ITEM.USER_INFORMATION) user = readUserInformation(item.value);
  }
  return { calledAeTitle, callingAeTitle, presentationContexts: contexts, maxLength: user.maxLength, implementationClassUid: user.implementationClassUid, ...(user.implementationVersionName !== undefined ? { implementationVersionName: user.implementationVersionName } : {}) };
}

export function parseAssociateRj(body: Buffer): AssociateRj {
  if (body.length !== 4) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'An A-ASSOCIATE-RJ is not 4 bytes.');
  return { result: body[1]!, source: body[2]!, reason: body[3]! };
}

/** A-ABORT's source and reason (PS3.8 9.3.8). */
export function parseAbort(body: Buffer): { source: number; reason: number } {
  return { source: body[2] ?? 0, reason: body[3] ?? 0 };
}

function pdu(type: PduType, body: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head[0] = type;
  head.writeUInt32BE(body.length, 2);
  return Buffer.concat([head, body]);
}

function item(type: number, value: Buffer): Buffer {
  if (value.length > 0xffff) throw new RangeError('An item value is longer than 65535 bytes.');
  const head = Buffer.alloc(4);
  head[0] = type;
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value]);
}

function aeField(title: string): Buffer {
  const field = Buffer.alloc(16, 0x20);
  field.write(title.slice(0, 16), 0, 'latin1');
  return field;
}

function fixedPart(calledAeTitle: string, callingAeTitle: string): Buffer {
  const fixed = Buffer.alloc(68);
  fixed.writeUInt16BE(1, 0);
  aeField(calledAeTitle).copy(fixed, 4);
  aeField(callingAeTitle).copy(fixed, 20);
  return fixed;
}

function userInformation(maxLength: number, implementationClassUid: string, implementationVersionName: string | undefined): Buffer {
  const max = Buffer.alloc(4);
  max.writeUInt32BE(maxLength, 0);
  const subs = [item(ITEM.MAXIMUM_LENGTH, max), item(ITEM.IMPLEMENTATION_CLASS_UID, Buffer.from(implementationClassUid, 'latin1'))];
  if (implementationVersionName !== undefined) subs.push(item(ITEM.IMPLEMENTATION_VERSION_NAME, Buffer.from(implementationVersionName, 'latin1')));
  return item(ITEM.USER_INFORMATION, Buffer.concat(subs));
}

export function encodeAssociateAc(ac: AssociateAc): Buffer {
  const contexts = ac.presentationContexts.map((context) =>
    item(ITEM.PRESENTATION_CONTEXT_AC, Buffer.concat([Buffer.from([context.id, 0, context.result, 0]), item(ITEM.TRANSFER_SYNTAX, Buffer.from(context.transferSyntax, 'latin1'))])),
  );
  return pdu(
    PDU_TYPE.A_ASSOCIATE_AC,
    Buffer.concat([fixedPart(ac.calledAeTitle, ac.callingAeTitle), item(ITEM.APPLICATION_CONTEXT, Buffer.from('1.2.840.10008.3.1.1.1', 'latin1')), ...contexts, userInformation(ac.maxLength, ac.implementationClassUid, ac.implementationVersionName)]),
  );
}

export function encodeAssociateRq(rq: Omit<AssociateRq, 'protocolVersion'>): Buffer {
  const contexts = rq.presentationContexts.map((context) =>
    item(
      ITEM.PRESENTATION_CONTEXT_RQ,
      Buffer.concat([Buffer.from([context.id, 0, 0, 0]), item(ITEM.ABSTRACT_SYNTAX, Buffer.from(context.abstractSyntax, 'latin1')), ...context.transferSyntaxes.map((ts) => item(ITEM.TRANSFER_SYNTAX, Buffer.from(ts, 'latin1')))]),
    ),
  );
  return pdu(
    PDU_TYPE.A_ASSOCIATE_RQ,
    Buffer.concat([fixedPart(rq.calledAeTitle, rq.callingAeTitle), item(ITEM.APPLICATION_CONTEXT, Buffer.from(rq.applicationContext, 'latin1')), ...contexts, userInformation(rq.maxLength, rq.implementationClassUid, rq.implementationVersionName)]),
  );
}

export function encodeAssociateRj(rj: AssociateRj): Buffer {
  return pdu(PDU_TYPE.A_ASSOCIATE_RJ, Buffer.from([0, rj.result, rj.source, rj.reason]));
}

export function encodeReleaseRq(): Buffer {
  return pdu(PDU_TYPE.A_RELEASE_RQ, Buffer.alloc(4));
}

export function encodeReleaseRp(): Buffer {
  return pdu(PDU_TYPE.A_RELEASE_RP, Buffer.alloc(4));
}

export function encodeAbort(source: number, reason: number): Buffer {
  return pdu(PDU_TYPE.A_ABORT, Buffer.from([0, 0, source, reason]));
}

// ── P-DATA-TF (PS3.8 9.3.5, Annex E.2) ──────────────────────────────────────────────────────

export interface Pdv {
  readonly contextId: number;
  /** Message control header bit 0: a command fragment (else a data set fragment). */
  readonly command: boolean;
  /** Message control header bit 1: the last fragment of its command or data set. */
  readonly last: boolean;
  readonly data: Buffer;
}

export function parsePDataTf(body: Buffer): Pdv[] {
  const pdvs: Pdv[] = [];
  let at = 0;
  while (at < body.length) {
    if (at + 6 > body.length) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV item header runs past the end of its P-DATA-TF.');
    const length = body.readUInt32BE(at);
    if (length < 2 || at + 4 + length > body.length) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV item length does not fit its P-DATA-TF.');
    const control = body[at + 5]!;
    if ((control & 0xfc) !== 0) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV message control header has reserved bits set.');
    pdvs.push({ contextId: body[at + 4]!, command: (control & 1) === 1, last: (control & 2) === 2, data: body.subarray(at + 6, at + 4 + length) });
    at += 4 + length;
  }
  if (pdvs.length === 0) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A P-DATA-TF holds no PDV.');
  return pdvs;
}

/**
 * parsePDataTf over a variable field held in pieces (PduReader's `parts`), without joining them: a
 * PDV whose value spans pieces becomes one Pdv per piece, the last-fragment bit on the final one
 * only, which the DIMSE layer takes as the same fragments. The same checks as parsePDataTf.
 */
export function parsePDataTfParts(parts: readonly Buffer[]): Pdv[] {
  if (parts.length === 1) return parsePDataTf(parts[0]!);
  let total = 0;
  for (const part of parts) total += part.length;
  const pdvs: Pdv[] = [];
  const header = Buffer.alloc(6);
  let part = 0;
  let offset = 0;
  let at = 0;
  while (at < total) {
    if (at + 6 > total) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV item header runs past the end of its P-DATA-TF.');
    for (let i = 0; i < 6; i++) {
      while (offset >= parts[part]!.length) {
        part++;
        offset = 0;
      }
      header[i] = parts[part]![offset++]!;
    }
    const length = header.readUInt32BE(0);
    if (length < 2 || at + 4 + length > total) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV item length does not fit its P-DATA-TF.');
    const control = header[5]!;
    if ((control & 0xfc) !== 0) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A PDV message control header has reserved bits set.');
    const contextId = header[4]!;
    const command = (control & 1) === 1;
    const last = (control & 2) === 2;
    let remaining = length - 2;
    if (remaining === 0) pdvs.push({ contextId, command, last, data: Buffer.alloc(0) });
    while (remaining > 0) {
      while (offset >= parts[part]!.length) {
        part++;
        offset = 0;
      }
      const piece = Math.min(remaining, parts[part]!.length - offset);
      remaining -= piece;
      pdvs.push({ contextId, command, last: last && remaining === 0, data: parts[part]!.subarray(offset, offset + piece) });
      offset += piece;
    }
    at += 4 + length;
  }
  if (pdvs.length === 0) throw new PduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 'A P-DATA-TF holds no PDV.');
  return pdvs;
}

/**
 * Encodes `data` as P-DATA-TF PDUs of one PDV each, fragmented so that no PDU's variable field is
 * longer than `maxLength` (the peer's announced maximum; 0 = no limit).
 */
export function encodePData(contextId: number, command: boolean, data: Buffer, maxLength: number): Buffer[] {
  const room = maxLength === 0 ? Math.max(data.length, 1) : Math.max(maxLength - 6, 1);
  const out: Buffer[] = [];
  let at = 0;
  do {
    const piece = data.subarray(at, at + room);
    at += piece.length;
    const last = at >= data.length;
    const head = Buffer.alloc(6);
    head.writeUInt32BE(piece.length + 2, 0);
    head[4] = contextId;
    head[5] = (command ? 1 : 0) | (last ? 2 : 0);
    out.push(pdu(PDU_TYPE.P_DATA_TF, Buffer.concat([head, piece])));
  } while (at < data.length);
  return out;
}
