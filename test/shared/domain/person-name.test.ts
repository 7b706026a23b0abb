import { describe, expect, it } from 'vitest';
import { personNameLabel } from '../../../shared/domain/person-name';
import { mergeDemographics } from '../../../renderer/vault/views/patient-demographics';

describe('personNameLabel: the name suffix (QA s33)', () => {
  it('shows the suffix after the given names, as the banner reads it: "Everyman, Adam A III"', () => {
    expect(personNameLabel({ family: 'Everyman', given: ['Adam', 'A'], suffix: 'III' })).toBe('Everyman, Adam A III');
    expect(personNameLabel({ family: 'Everyman', given: [], suffix: 'JR' })).toBe('Everyman JR');
    expect(personNameLabel({ family: 'Everyman', given: ['Adam', 'A'] })).toBe('Everyman, Adam A');
  });

  it('a later message without PID-5.4 keeps the suffix (an empty component says nothing); another name replaces it', () => {
    const mrn = { value: 'MRN-1', authority: 'CLINIC', type: 'MR' };
    const admitted = { identifiers: [mrn], name: { family: 'Everyman', given: ['Adam', 'A'], suffix: 'III' } };
    expect(personNameLabel(mergeDemographics(admitted, { identifiers: [mrn], name: { family: 'Everyman', given: ['Adam'] } }).name)).toBe('Everyman, Adam A III');
    expect(personNameLabel(mergeDemographics(admitted, { identifiers: [mrn], name: { family: 'Newname', given: ['Eve'] } }).name)).toBe('Newname, Eve');
  });
});
