import { describe, expect, it } from 'vitest';
import { quarantineLogChannel } from '../../../../renderer/vault/quarantine/quarantine-service';

describe('the log component of a discard (QA round 4 D8b)', () => {
  it('is the channel that quarantined the input: a DICOM entry is dicom, not hl7', () => {
    expect(quarantineLogChannel('dicom')).toBe('dicom');
    expect(quarantineLogChannel('devices')).toBe('devices');
    expect(quarantineLogChannel('hl7-mllp')).toBe('hl7');
    expect(quarantineLogChannel('hl7-file')).toBe('hl7');
    expect(quarantineLogChannel('hl7-reprocess')).toBe('hl7');
    expect(quarantineLogChannel('demo')).toBeUndefined();
  });
});
