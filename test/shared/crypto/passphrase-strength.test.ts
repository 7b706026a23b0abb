import { describe, expect, it } from 'vitest';
import { PASSPHRASE_MIN_LENGTH, estimatePassphraseStrength } from '../../../shared/crypto/passphrase-strength';

describe('passphrase strength estimate', () => {
  it.each([
    'password',
    'Password123!',
    'P@ssw0rd2024',
    'Hospital2024!',
    'Clinic-Welcome1',
    'Summer2024!!',
    'winter-2023-patient',
    'qwertyuiop123',
    'aaaaaaaaaaaaaaaa',
    'abcabcabcabcabc',
    '123456789012',
    'Patient Patient Patient',
  ])('rejects the weak "%s"', (passphrase) => {
    const result = estimatePassphraseStrength(passphrase);
    expect(result.score).toBeLessThan(3);
    expect(result.acceptable).toBe(false);
    expect(result.feedback.length).toBeGreaterThan(0);
  });

  it.each(['blue tractor seventy lamp', 'correct horse battery staple', 'xkqmvbzrtwpl', 'J8#kL2$mQ9!x', 'Ornithology paddles quietly at 5'])(
    'accepts the strong "%s"',
    (passphrase) => {
      const result = estimatePassphraseStrength(passphrase);
      expect(result.score).toBeGreaterThanOrEqual(3);
      expect(result.acceptable).toBe(true);
    },
  );

  it('requires 12 characters whatever the score', () => {
    const result = estimatePassphraseStrength('J8#kL2$mQ9!');
    expect(result.score).toBe(4);
    expect(result.acceptable).toBe(false);
    expect(result.feedback[0]).toBe(`Use at least ${PASSPHRASE_MIN_LENGTH} characters.`);
  });

  it('names the weakness it found, never the passphrase', () => {
    const seasonal = estimatePassphraseStrength('Summer2024!!');
    expect(seasonal.feedback.join(' ')).toMatch(/season with a year/);
    const clinic = estimatePassphraseStrength('hospitalqxz');
    expect(clinic.feedback.join(' ')).toMatch(/clinic/);
    expect(clinic.feedback.join(' ')).not.toMatch(/qxz/);
  });

  it('counts the user’s own names as guessable', () => {
    const passphrase = 'annamueller klinik';
    const without = estimatePassphraseStrength(passphrase);
    const withContext = estimatePassphraseStrength(passphrase, { userInputs: ['Anna Mueller', 'Klinik am See'] });
    expect(withContext.bits).toBeLessThan(without.bits);
    expect(withContext.feedback.join(' ')).toMatch(/your name/);
  });

  it('is monotone in obvious ways and quick on long input', () => {
    expect(estimatePassphraseStrength('').score).toBe(0);
    expect(estimatePassphraseStrength('xkqmvbzrtwplfjd').bits).toBeGreaterThan(estimatePassphraseStrength('xkqmvbzrtwpl').bits);
    const started = performance.now();
    estimatePassphraseStrength('ab'.repeat(5000));
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
