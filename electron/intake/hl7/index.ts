/**
 * HL7 v2 intake (issue 4), the body's side: what the body, the monitor and the benches use.
 *
 *   const dedupe = await openHl7Dedupe({ dir: path.join(dataDir, 'vault', 'intake', 'hl7-dedupe'), journal });
 *   const intake = createHl7Intake({ ingest: pipeline.ingest, quarantine, dedupe, log });
 *   const server = await startMllpServer({ port, host, allowedPeers, maxMessageBytes, handler: intake.handleFrame, onOversize: intake.handleOversize, log });
 */
export { createHl7Intake } from './hl7-intake';
export type { Hl7Intake, Hl7IntakeOptions, Hl7IngestInput, Hl7QuarantineInput, Hl7ImportResult, Hl7IntakeStats, Hl7SenderCounters, Hl7RecentMessage, Hl7Peer, Hl7Logger, Hl7Channel, StoredRecord } from './hl7-intake';
export { startMllpServer, isLoopback } from './mllp-server';
export type { MllpServer, MllpServerOptions, MllpConnectionInfo } from './mllp-server';
export { MllpDeframer, mllpFrame, DEFAULT_MAX_MESSAGE_BYTES } from './mllp-framer';
export type { MllpEvent } from './mllp-framer';
export { openHl7Dedupe, createMemoryDedupe, dedupeKeyHash, payloadHash } from './hl7-duplicates';
export type { Hl7Dedupe } from './hl7-duplicates';
export { parseHl7, SUPPORTED_CHARSETS, decodeEscapes } from './hl7-front-end';
export type { Hl7Message, Hl7Segment, Hl7Item, Hl7Input, MshHeader } from './hl7-front-end';
export { buildAck, buildAcks, ackCodesFor } from './hl7-ack';
export type { AckCode } from './hl7-ack';
export { mapHl7Message, MAPPED_TYPES } from './hl7-mapping';
