import { describe, expect, it } from 'vitest';
import { stopFeatures } from '../../../electron/features/stop-features';

/**
 * The body stops its features one after another at quit. One whose stop throws must not keep the
 * others from stopping: under load a fresh-clone CI run lost the HL7 counters' last save
 * (hl7-counters-after-crash.test.ts: no hl7-counters.json after a clean stop), which is what happens
 * when a feature stopped before HL7 throws and the loop ends there.
 */
describe('stopFeatures', () => {
  it('stops every feature in reverse order even when one throws, and logs which one failed by class only', async () => {
    const stopped: string[] = [];
    const logged: Array<Record<string, unknown>> = [];
    const features = [
      { name: 'vault', stop: async () => void stopped.push('vault') },
      { name: 'hl7', stop: async () => void stopped.push('hl7') },
      {
        name: 'dicom',
        stop: async () => {
          stopped.push('dicom');
          throw new Error('a message that could quote Doe^Jane');
        },
      },
      { name: 'network' },
      { name: 'ledger', stop: async () => void stopped.push('ledger') },
    ];
    await stopFeatures(features, { error: (fields) => void logged.push(fields) });
    expect(stopped).toEqual(['ledger', 'dicom', 'hl7', 'vault']);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ feature: 'dicom', errorClass: 'Error' });
    expect(JSON.stringify(logged)).not.toContain('Doe');
  });
});
