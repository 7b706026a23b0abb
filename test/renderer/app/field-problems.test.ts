import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ContractError } from '../../../shared/ipc/errors';
import { errorMessage } from '../../../renderer/app/error-note';
import { fieldProblems, refusalProblems, refusalSentence, type FieldSpecs } from '../../../renderer/app/form/field-problems';

const ip = z.union([z.ipv4(), z.ipv6()]);
const schema = z.strictObject({ port: z.number().int().min(0).max(65535), peers: z.array(ip).max(2), name: z.string().min(1).max(5), mode: z.enum(['a', 'b']) });
const FIELDS: FieldSpecs<'port' | 'peers' | 'name' | 'mode'> = {
  port: { label: 'Port' },
  peers: { label: 'Allowed peers', item: 'line', invalid: 'is not an IP address' },
  name: { label: 'Name' },
  mode: { label: 'Mode' },
};

describe('field problems', () => {
  it('words each zod issue with the field label and the line, in the form’s order, one per field', () => {
    const problems = fieldProblems(schema, { mode: 'c', name: '', peers: ['10.0.0.1', 'x', 'y'], port: 70000 }, FIELDS);
    expect(problems).toEqual([
      { field: 'port', message: 'Port: must be at most 65535.' },
      { field: 'peers', message: 'Allowed peers: takes at most 2 entries.' },
      { field: 'name', message: 'Name: must not be empty.' },
      { field: 'mode', message: 'Mode: must be one of a, b.' },
    ]);
    expect(fieldProblems(schema, { port: 1, peers: ['x'], name: 'n', mode: 'a' }, FIELDS)).toEqual([{ field: 'peers', message: 'Allowed peers, line 1: is not an IP address.' }]);
    expect(fieldProblems(schema, { port: 1, peers: [], name: 'n', mode: 'a' }, FIELDS)).toEqual([]);
  });

  it('names every bad line of a list field at once, at most 10 and how many more, each part by its label (QA s35 T2 F12, T1 F12)', () => {
    const wide = z.strictObject({ peers: z.array(ip).max(100) });
    const peersOnly: FieldSpecs<'peers'> = { peers: FIELDS.peers };
    expect(fieldProblems(wide, { peers: ['192.0.2.10', 'not-an-ip', '300.1.1.1'] }, peersOnly)).toEqual([
      { field: 'peers', message: 'Allowed peers, line 2: is not an IP address; line 3: is not an IP address.' },
    ]);
    const many = Array.from({ length: 13 }, (_, i) => `bad-${i}`);
    const message = fieldProblems(wide, { peers: many }, peersOnly)[0]!.message;
    expect(message).toMatch(/^Allowed peers, line 1: is not an IP address; line 2: .*; line 10: is not an IP address; and 3 more lines\.$/);
    const callers = z.strictObject({ callers: z.array(z.strictObject({ aeTitle: z.string().max(16), address: ip })) });
    const specs: FieldSpecs<'callers'> = { callers: { label: 'Allowed callers', item: 'line', invalid: 'is not an IP address', parts: { aeTitle: 'AE title', address: 'IP address' } } };
    expect(fieldProblems(callers, { callers: [{ aeTitle: 'CT', address: '127.0.0.1' }, { aeTitle: 'THIS_AE_TITLE_IS_TOO_LONG', address: '127.0.0.1' }, { aeTitle: 'MR', address: 'x' }] }, specs)).toEqual([
      { field: 'callers', message: 'Allowed callers, line 2, AE title: takes at most 16 characters; line 3, IP address: is not an IP address.' },
    ]);
  });

  it('reads the body’s refusal back to the fields; unknown paths in words, never codes', () => {
    expect(refusalProblems('Invalid request for hl7.updateSettings: peers.1: invalid_union; port: too_big.', FIELDS)).toEqual([
      { field: 'port', message: 'Port: is too large (or too long).' },
      { field: 'peers', message: 'Allowed peers, line 2: is not an IP address.' },
    ]);
    expect(refusalProblems('Invalid request for x.y: (payload): invalid_union.', FIELDS)).toEqual([{ field: null, message: 'The request as a whole is not in an accepted form.' }]);
    expect(refusalProblems('Some other refusal.', FIELDS)).toBeNull();
    const sentence = refusalSentence('Invalid request for intake.updateSettings: allowedPeers.1: invalid_union.');
    expect(sentence).toBe('The node did not accept this: Allowed peers, entry 2: is not in an accepted form.');
  });

  it('no raw schema text in any error message shown', () => {
    const raw = new ContractError({ code: 'E_BAD_REQUEST', message: 'Invalid request for intake.updateSettings: allowedPeers.1: invalid_union.' });
    expect(errorMessage(raw)).toBe('The node did not accept this: Allowed peers, entry 2: is not in an accepted form.');
    expect(errorMessage(raw)).not.toMatch(/invalid_union|allowedPeers|Invalid request/);
    // A refusal in the body's own words, prefixed with the request field: the key becomes words.
    expect(errorMessage(new ContractError({ code: 'E_BAD_REQUEST', message: 'keyring.slots: the recovery slot must remain.' }))).toBe('Keyring slots: the recovery slot must remain.');
    const plain = new ContractError({ code: 'E_BAD_REQUEST', message: 'A LAN bind address needs at least one allowed peer.' });
    expect(errorMessage(plain)).toBe('A LAN bind address needs at least one allowed peer.');
  });
});
