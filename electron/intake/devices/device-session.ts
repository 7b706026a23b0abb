import { createHash, randomUUID } from 'node:crypto';
import { assessReading } from '../../../shared/domain/device-readings';
import { DeviceIntakeMetaSchema, type DeviceIntakeMetadataV1, type DeviceReading } from '../../../shared/journal/device-meta';
import type { IntakeVaultPorts } from '../intake-channel';
import { METADATA_COMPRESSION, rawCompression } from '../intake-pipeline';
import { ApduFramer } from './apdu-framer';
import { Manager20601, type AgentReport, type MdsAttributes, type ProtocolError, type Timers } from './manager';
import type { AbsoluteTime } from './mder-values';
import { DIM_UCUM } from './nomenclature';
import { MAX_READING_WORDS, type DeviceDedupe } from './device-duplicates';
import type { DeviceRegistry } from './device-registry';

/** A byte pipe to one agent: a serial port, a TCP connection. */
export interface DeviceLink {
  /** `serial:/dev/ttyUSB0`, `tcp:127.0.0.1:50412`: shown to staff, kept with each report. */
  readonly name: string;
  write(bytes: Uint8Array): void;
  close(): void;
}

export interface DeviceSessionSnapshot {
  readonly id: string;
  readonly port: string;
  readonly state: string;
  readonly systemId?: string;
  readonly devConfigId?: number;
  readonly manufacturer?: string;
  readonly model?: string;
  readonly serialNumber?: string;
  readonly approval?: 'approved' | 'pending' | 'rejected';
  readonly reports: number;
  readonly lastReportAt?: string;
  readonly protocolErrors: number;
}

export interface DeviceSessionOptions {
  readonly link: DeviceLink;
  readonly ports: IntakeVaultPorts;
  readonly registry: DeviceRegistry;
  /** What was stored before, this run or an earlier one (system id + device time + code). */
  readonly dedupe: DeviceDedupe;
  /** The manager's own EUI-64. */
  readonly managerSystemId: Uint8Array;
  readonly onChange: () => void;
  /** A device not on the approved list associated (the channel lists it as awaiting approval). */
  readonly onUnknownDevice: (systemId: string, attributes: MdsAttributes) => void;
  readonly timers?: Timers;
  readonly now?: () => Date;
}

/** The device time as an instant, read in this workstation's time zone (agents send local time). */
function instant(time: AbsoluteTime | undefined): Date | undefined {
  if (time === undefined || !time.valid) return undefined;
  const date = new Date(time.year, time.month - 1, time.day, time.hour, time.minute, time.second, time.hundredths * 10);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

const encoder = new TextEncoder();

/**
 * Garbage a session quarantines at most (framing discards and undecodable APDUs): a line full of
 * noise or a flood costs a bounded number of journal records; what comes after is only counted.
 */
export const MAX_QUARANTINED_PER_SESSION = 16;

/**
 * One agent connection: the framer cuts the stream, the 20601 manager runs the association, and
 * each event report becomes one sealed `intake.device` journal record (the raw APDU as its object,
 * the readings with their quality as sealed metadata), committed before the manager answers it.
 * Protocol errors are quarantined with their bytes.
 */
export class DeviceSession {
  readonly id = randomUUID();
  private readonly framer: ApduFramer;
  readonly manager: Manager20601;
  private attributes: MdsAttributes = {};
  private reports = 0;
  private lastReportAt: string | undefined;
  private protocolErrors = 0;
  private readonly now: () => Date;

  constructor(private readonly options: DeviceSessionOptions) {
    this.now = options.now ?? (() => new Date());
    this.manager = new Manager20601({
      systemId: options.managerSystemId,
      send: (apdu) => options.link.write(apdu),
      configurations: options.registry,
      ...(options.timers === undefined ? {} : { timers: options.timers }),
      handler: {
        transitioned: (row) => {
          if (row.next === 'unassociated' || row.next === 'disconnected') {
            this.attributes = {};
            // A new association starts with a clean stream.
            if (row.action === 'tx-abrt') this.framer.flush('the association was aborted');
          }
          options.onChange();
        },
        associated: (association) => {
          if (options.registry.approvalOf(association.systemId) === 'pending') options.onUnknownDevice(association.systemId, this.attributes);
          options.onChange();
        },
        attributes: (attributes) => {
          this.attributes = attributes;
          const systemId = this.manager.agentSystemId;
          if (systemId !== undefined && options.registry.approvalOf(systemId) === 'pending') options.onUnknownDevice(systemId, attributes);
          options.onChange();
        },
        report: (report) => this.record(report),
        protocolError: (error) => this.quarantine(error),
      },
    });
    this.framer = new ApduFramer({
      onApdu: (apdu) => void this.manager.receive(apdu).catch(() => undefined),
      onDiscard: (bytes, reason) => void this.quarantine({ reason: `framing: ${reason}`, raw: bytes, answer: 'none' }).catch(() => undefined),
      ...(options.timers === undefined ? {} : { timers: options.timers }),
    });
    this.manager.connected();
  }

  /** Bytes from the link. */
  data(chunk: Uint8Array): void {
    this.framer.push(chunk);
  }

  /** The link is gone (unplugged, closed): the association ends cleanly. */
  closed(): void {
    this.framer.dispose();
    this.manager.disconnected();
    this.manager.dispose();
    this.options.onChange();
  }

  /** Releases the association (when there is one) and closes the link. */
  async close(): Promise<void> {
    if (this.manager.state === 'operating' || this.manager.state === 'waiting-for-config') await this.manager.release();
    this.options.link.close();
  }

  snapshot(): DeviceSessionSnapshot {
    const systemId = this.manager.agentSystemId;
    return {
      id: this.id,
      port: this.options.link.name,
      state: this.manager.state,
      ...(systemId === undefined ? {} : { systemId, approval: this.options.registry.approvalOf(systemId) }),
      ...(this.attributes.devConfigId === undefined ? {} : { devConfigId: this.attributes.devConfigId }),
      ...(this.attributes.manufacturer ? { manufacturer: this.attributes.manufacturer } : {}),
      ...(this.attributes.model ? { model: this.attributes.model } : {}),
      ...(this.attributes.serialNumber ? { serialNumber: this.attributes.serialNumber } : {}),
      reports: this.reports,
      ...(this.lastReportAt === undefined ? {} : { lastReportAt: this.lastReportAt }),
      protocolErrors: this.protocolErrors,
    };
  }

  private async record(report: AgentReport): Promise<void> {
    const receivedAt = this.now();
    const readings: DeviceReading[] = [];
    const dedupe = this.options.dedupe;
    const words: string[] = [];
    const keys: string[] = [];
    for (const o of report.observations) {
      const deviceTime = instant(o.deviceTime);
      const unit = o.unitCode === undefined ? undefined : DIM_UCUM.get(o.unitCode);
      const value = o.value.kind === 'number' ? o.value.value : undefined;
      const dedupeKey = createHash('sha256')
        .update(`device-reading/v1\0${report.systemId}\0${o.deviceTime?.valid ? o.deviceTime.local : `received ${receivedAt.toISOString()}`}\0${o.code}\0${o.personId ?? ''}`)
        .digest('hex');
      const word = dedupe.readingWord(dedupeKey);
      const duplicate = await dedupe.hasReading(word);
      const quality = assessReading({ code: o.code, value, unit, deviceTime, deviceTimeInvalid: o.deviceTime !== undefined && !o.deviceTime.valid, receivedAt, duplicate });
      words.push(word);
      keys.push(dedupeKey);
      readings.push({
        code: o.code,
        kind: quality.kind,
        ...(o.personId === undefined ? {} : { personId: o.personId }),
        status: o.value.kind === 'number' ? 'value' : o.value.special,
        ...(value === undefined ? {} : { value }),
        ...(unit === undefined ? {} : { unit }),
        ...(o.unitCode === undefined ? {} : { unitCode: o.unitCode }),
        ...(quality.normalizedValue === undefined ? {} : { normalizedValue: quality.normalizedValue }),
        ...(quality.normalizedUnit === undefined ? {} : { normalizedUnit: quality.normalizedUnit }),
        ...(o.deviceTime?.valid ? { deviceTime: o.deviceTime.local } : {}),
        time: (deviceTime ?? receivedAt).toISOString(),
        flags: [...quality.flags],
        quality: quality.quality,
        dedupeKey,
      });
    }
    // A resend of readings already stored is answered as the original was, not stored twice (design §4 rule 4).
    const reportWord = dedupe.reportWord(keys);
    if (readings.length > 0 && (readings.every((r) => r.flags.includes('duplicate')) || (readings.length > MAX_READING_WORDS && (await dedupe.hasReport(reportWord))))) return;
    const approval = this.options.registry.approvalOf(report.systemId);
    const raw = report.raw;
    const sealer = this.options.ports.sealer;
    const sealedRaw = await sealer.seal('object', raw, { compress: rawCompression('intake.device', raw.length) });
    const objectId = createHash('sha256').update(sealedRaw).digest('hex');
    const meta: DeviceIntakeMetadataV1 = {
      v: 1,
      channel: 'devices',
      receivedAt: receivedAt.toISOString(),
      objectId,
      rawBytes: raw.length,
      session: this.id,
      port: this.options.link.name,
      device: {
        systemId: report.systemId,
        devConfigId: report.devConfigId,
        ...(this.attributes.manufacturer ? { manufacturer: this.attributes.manufacturer } : {}),
        ...(this.attributes.model ? { model: this.attributes.model } : {}),
        ...(this.attributes.serialNumber ? { serialNumber: this.attributes.serialNumber } : {}),
      },
      approval: approval === 'approved' ? 'approved' : approval === 'rejected' ? 'rejected' : 'pending',
      report: { invokeId: report.invokeId, eventType: report.eventType, confirmed: report.confirmed, notes: report.notes.slice(0, 100).map((n) => n.slice(0, 300)) },
      readings,
    };
    // Validated at the boundary, before sealing: the mind parses it with the same schema.
    DeviceIntakeMetaSchema.parse(meta);
    const sealedMeta = await sealer.seal('journalMetadata', encoder.encode(JSON.stringify(meta)), METADATA_COMPRESSION);
    // The tag is durable with the record: a resend after a restart is still recognized.
    const tag = readings.length > 0 ? dedupe.journalTag(words, reportWord) : undefined;
    const commit = () => this.options.ports.pipeline.commitSealed({ kind: 'intake.device', objectId, inline: sealedRaw, meta: sealedMeta, ...(tag === undefined ? {} : { dedupe: tag }) });
    // The words' places in the index are held from just before the append until they are remembered.
    await (tag === undefined ? commit() : dedupe.store(words, reportWord, commit));
    this.reports++;
    this.lastReportAt = this.now().toISOString();
    this.options.onChange();
  }

  private quarantined = 0;

  private async quarantine(error: ProtocolError): Promise<void> {
    this.protocolErrors++;
    this.options.onChange();
    if (error.raw.length === 0) return;
    if (this.quarantined >= MAX_QUARANTINED_PER_SESSION) return;
    this.quarantined++;
    if (this.quarantined === MAX_QUARANTINED_PER_SESSION) {
      error = { ...error, reason: `${error.reason}; further protocol errors of this session are counted, not stored` };
    }
    await this.options.ports.pipeline.quarantine({
      kind: 'intake.quarantine',
      raw: error.raw,
      quarantine: { type: 'quarantine', channel: 'devices', disposition: 'rejected', reason: `IEEE 11073: ${error.reason} (answered: ${error.answer})`.slice(0, 500), acks: [], source: this.options.link.name.slice(0, 300) },
    });
  }
}
