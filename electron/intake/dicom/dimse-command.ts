/**
 * DIMSE command sets (PS3.7 section 9.3 and Annex E): group 0000 elements, always encoded in
 * Implicit VR Little Endian whatever the presentation context's transfer syntax (PS3.7 6.3.1).
 * A command set holds UIDs, numbers and AE titles, never PHI.
 */

export const COMMAND_FIELD = {
  C_STORE_RQ: 0x0001,
  C_STORE_RSP: 0x8001,
  C_ECHO_RQ: 0x0030,
  C_ECHO_RSP: 0x8030,
} as const;

/** CommandDataSetType (0000,0800): this value means "no data set follows" (PS3.7 E.1). */
export const NO_DATA_SET = 0x0101;

/** DIMSE status codes the receiver answers with (PS3.7 Annex C, PS3.4 B.2.3). */
export const DIMSE_STATUS = {
  SUCCESS: 0x0000,
  /** Refused: Out of Resources (C-STORE, PS3.4 Table B.2-1). */
  OUT_OF_RESOURCES: 0xa700,
  /** Error: Cannot Understand (C-STORE). */
  CANNOT_UNDERSTAND: 0xc000,
  /** Refused: SOP Class not Supported (PS3.7 C.5.20). */
  SOP_CLASS_NOT_SUPPORTED: 0x0122,
  /** Failure: Unrecognized Operation (PS3.7 C.5.25). */
  UNRECOGNIZED_OPERATION: 0x0211,
} as const;

const TAG = {
  COMMAND_GROUP_LENGTH: 0x00000000,
  AFFECTED_SOP_CLASS_UID: 0x00000002,
  COMMAND_FIELD: 0x00000100,
  MESSAGE_ID: 0x00000110,
  MESSAGE_ID_BEING_RESPONDED_TO: 0x00000120,
  PRIORITY: 0x00000700,
  COMMAND_DATA_SET_TYPE: 0x00000800,
  STATUS: 0x00000900,
  AFFECTED_SOP_INSTANCE_UID: 0x00001000,
  MOVE_ORIGINATOR_AE_TITLE: 0x00001030,
  MOVE_ORIGINATOR_MESSAGE_ID: 0x00001031,
} as const;

/** The largest command set accepted: a few UIDs and numbers fit in well under 1 KiB. */
export const MAX_COMMAND_BYTES = 16 * 1024;

export class DimseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DimseError';
  }
}

export interface DimseCommand {
  readonly commandField: number;
  readonly messageId?: number;
  readonly messageIdBeingRespondedTo?: number;
  readonly affectedSopClassUid?: string;
  readonly affectedSopInstanceUid?: string;
  readonly commandDataSetType: number;
  readonly priority?: number;
  readonly status?: number;
  readonly moveOriginatorAeTitle?: string;
  readonly moveOriginatorMessageId?: number;
}

function text(value: Buffer): string {
  return value.toString('latin1').replace(/[\0 ]+$/, '').trim();
}

/** Decodes a command set; throws DimseError for anything that is not one. */
export function decodeCommand(bytes: Buffer): DimseCommand {
  if (bytes.length > MAX_COMMAND_BYTES) throw new DimseError(`A command set of ${bytes.length} bytes is longer than ${MAX_COMMAND_BYTES}.`);
  const values = new Map<number, Buffer>();
  let at = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) throw new DimseError('A command element header runs past the end of the command set.');
    const tag = ((bytes.readUInt16LE(at) << 16) | bytes.readUInt16LE(at + 2)) >>> 0;
    const length = bytes.readUInt32LE(at + 4);
    if (tag >>> 16 !== 0) throw new DimseError('A command set holds an element outside group 0000.');
    if (length === 0xffffffff || at + 8 + length > bytes.length) throw new DimseError('A command element runs past the end of the command set.');
    values.set(tag, bytes.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  const us = (tag: number): number | undefined => {
    const value = values.get(tag);
    if (value === undefined) return undefined;
    if (value.length !== 2) throw new DimseError(`Command element (0000,${(tag & 0xffff).toString(16).padStart(4, '0')}) is not 2 bytes long.`);
    return value.readUInt16LE(0);
  };
  const str = (tag: number): string | undefined => {
    const value = values.get(tag);
    return value === undefined ? undefined : text(value);
  };
  const commandField = us(TAG.COMMAND_FIELD);
  const commandDataSetType = us(TAG.COMMAND_DATA_SET_TYPE);
  if (commandField === undefined) throw new DimseError('The command set has no Command Field (0000,0100).');
  if (commandDataSetType === undefined) throw new DimseError('The command set has no Command Data Set Type (0000,0800).');
  const optional = {
    messageId: us(TAG.MESSAGE_ID),
    messageIdBeingRespondedTo: us(TAG.MESSAGE_ID_BEING_RESPONDED_TO),
    affectedSopClassUid: str(TAG.AFFECTED_SOP_CLASS_UID),
    affectedSopInstanceUid: str(TAG.AFFECTED_SOP_INSTANCE_UID),
    priority: us(TAG.PRIORITY),
    status: us(TAG.STATUS),
    moveOriginatorAeTitle: str(TAG.MOVE_ORIGINATOR_AE_TITLE),
    moveOriginatorMessageId: us(TAG.MOVE_ORIGINATOR_MESSAGE_ID),
  };
  const command: { -readonly [K in keyof DimseCommand]: DimseCommand[K] } = { commandField, commandDataSetType };
  for (const [key, value] of Object.entries(optional) as [keyof typeof optional, string | number | undefined][]) {
    if (value !== undefined) (command as Record<string, unknown>)[key] = value;
  }
  return command;
}

function element(tag: number, value: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
}

function uidValue(uid: string): Buffer {
  // UI values are padded to even length with a NUL (PS3.5 6.2).
  return Buffer.from(uid.length % 2 === 0 ? uid : `${uid}\0`, 'latin1');
}

function usValue(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16LE(value, 0);
  return bytes;
}

/** Encodes a command set with its group length first and elements in ascending tag order. */
export function encodeCommand(command: DimseCommand): Buffer {
  const elements: [number, Buffer][] = [];
  if (command.affectedSopClassUid !== undefined) elements.push([TAG.AFFECTED_SOP_CLASS_UID, uidValue(command.affectedSopClassUid)]);
  elements.push([TAG.COMMAND_FIELD, usValue(command.commandField)]);
  if (command.messageId !== undefined) elements.push([TAG.MESSAGE_ID, usValue(command.messageId)]);
  if (command.messageIdBeingRespondedTo !== undefined) elements.push([TAG.MESSAGE_ID_BEING_RESPONDED_TO, usValue(command.messageIdBeingRespondedTo)]);
  if (command.priority !== undefined) elements.push([TAG.PRIORITY, usValue(command.priority)]);
  elements.push([TAG.COMMAND_DATA_SET_TYPE, usValue(command.commandDataSetType)]);
  if (command.status !== undefined) elements.push([TAG.STATUS, usValue(command.status)]);
  if (command.affectedSopInstanceUid !== undefined) elements.push([TAG.AFFECTED_SOP_INSTANCE_UID, uidValue(command.affectedSopInstanceUid)]);
  const body = Buffer.concat(elements.map(([tag, value]) => element(tag, value)));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length, 0);
  return Buffer.concat([element(TAG.COMMAND_GROUP_LENGTH, length), body]);
}

