import { describe, expect, it } from 'vitest';
import { newPassphraseProblem, passphraseStrength } from '../../../../renderer/features/passphrase/passphrase-policy';

describe('passphrase policy', () => {
  it('asks for 12 characters, a score of 3 and a matching confirmation, in that order', () => {
    expect(newPassphraseProblem('', '')).toBe('Choose a passphrase.');
    expect(newPassphraseProblem('Sh0rt!x', 'Sh0rt!x')).toMatch(/at least 12 characters/);
    expect(newPassphraseProblem('aaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaa')).toMatch(/too easy to guess/);
    expect(newPassphraseProblem('password12345678', 'password12345678')).toMatch(/too easy to guess/);
    expect(newPassphraseProblem('correct horse battery staple', '')).toMatch(/again to confirm/);
    expect(newPassphraseProblem('correct horse battery staple', 'correct horse battery stapel')).toBe('The two passphrases do not match.');
    expect(newPassphraseProblem('correct horse battery staple', 'correct horse battery staple')).toBeNull();
  });

  it('scores 0–4 and explains what would help', () => {
    expect(passphraseStrength('').score).toBe(0);
    expect(passphraseStrength('abcd1234').score).toBeLessThan(3);
    expect(passphraseStrength('abcd1234').feedback.join(' ')).toMatch(/sequences|12 characters/);
    expect(passphraseStrength('correct horse battery staple').score).toBe(4);
    expect(passphraseStrength('Ada Lovelace rocks!', ['Ada Lovelace']).feedback.join(' ')).toMatch(/your name/);
    expect(newPassphraseProblem('Hospital2024!', 'Hospital2024!')).toMatch(/too easy to guess/);
  });
});
