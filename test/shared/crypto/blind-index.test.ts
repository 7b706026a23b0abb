import { describe, expect, it } from 'vitest';
import { blindTokens, normalizeQueryWords, normalizeWords, prefixTokens, queryTokens, queryWordGroups, recordTokens, recordWords } from '../../../shared/crypto/blind-index';
import { concatBytes, encodeStringList, toBase64Url, utf8Encode } from '../../../shared/crypto/bytes';
import { deriveVaultKeys, generateMasterSecret } from '../../../shared/crypto/vault-keys';

const keys = await deriveVaultKeys(generateMasterSecret());

/** A toy in-memory version of the Dexie query: every group must share a token with the record. */
function matches(record: readonly string[], groups: readonly { anyOf: readonly string[] }[]): boolean {
  return groups.length > 0 && groups.every((group) => group.anyOf.some((token) => record.includes(token)));
}

describe('normalization', () => {
  it.each([
    ['Müller', ['muller', 'mueller']],
    ['MÜLLER', ['muller', 'mueller']],
    ['José Núñez', ['jose', 'nunez']],
    ['Łukasz Żółć', ['lukasz', 'zolc']],
    ['Straße', ['strasse']],
    ['Søren Ærø', ['soren', 'aero']],
    ['Çelik, Ayşe', ['celik', 'ayse']],
    ['Ｆｕｌｌｗｉｄｔｈ', ['fullwidth']],
    ['Dvořák; Antonín.', ['dvorak', 'antonin']],
  ])('%s → %j', (text, words) => {
    expect(normalizeWords(text)).toEqual(words);
  });

  it('keeps identifiers whole (joiners removed) and by their parts', () => {
    expect(normalizeWords('MRN-000123')).toEqual(['mrn', '000123', 'mrn000123']);
    expect(normalizeWords('born 1980-02-03')).toEqual(['born', '1980', '02', '03', '19800203']);
    expect(normalizeWords("O'Brien")).toEqual(['brien', 'obrien']);
    expect(normalizeWords('Anne-Marie')).toEqual(['anne', 'marie', 'annemarie']);
    expect(normalizeWords('LOINC 8867-4 heart rate')).toEqual(['loinc', '8867', '88674', 'heart', 'rate']);
  });

  it('indexes a date as one full-date word: never its year, month or day alone', () => {
    expect(recordWords({ dates: ['1980-02-03'] })).toEqual({ words: ['19800203'], nameWords: [] });
    expect(recordWords({ names: ['Anna Müller'], other: ['MRN-000123'], dates: ['1980-02-03', '2001-11-30'] })).toEqual({
      words: ['anna', 'muller', 'mueller', 'mrn', '000123', 'mrn000123', '19800203', '20011130'],
      nameWords: ['anna', 'muller', 'mueller'],
    });
  });

  it('a query asks for a full date as one word, typed with - / . or none, month and day with or without a leading zero', () => {
    for (const query of ['1980-02-03', '1980/02/03', '1980.02.03', '19800203', '1980-2-3']) {
      expect(normalizeQueryWords(query).words, query).toEqual(['19800203']);
    }
    expect(normalizeQueryWords('muller 1980-02-03 ')).toEqual({ words: ['muller', '19800203'], lastIsPartial: false });
  });

  // QA2-11 Q6: a birth date kept to the month (shown "2025-03", indexed "202503") was found by "202503" only.
  it('a query asks for a year and month as the one month word, typed as the app shows it; a LOINC-like code keeps its parts', () => {
    expect(recordWords({ dates: ['2025-03'] }).words).toEqual(['202503']);
    for (const query of ['2025-03', '2025/03', '2025.03', '202503']) {
      expect(normalizeQueryWords(query).words, query).toEqual(['202503']);
    }
    expect(normalizeQueryWords('muller 2025-03 ')).toEqual({ words: ['muller', '202503'], lastIsPartial: false });
    // Not a month: a one-digit or thirteenth "month" is asked for by its parts, as before.
    expect(normalizeQueryWords('2345-7').words).toEqual(['2345']);
    expect(normalizeQueryWords('2025-13').words).toEqual(['2025', '13']);
    expect(normalizeQueryWords('2025-00').words).toEqual(['2025', '00']);
  });

  it('drops one-character words and duplicates, splits on punctuation', () => {
    expect(normalizeWords('A. B. Smith, smith & SMITH (x)')).toEqual(['smith']);
    expect(normalizeWords('')).toEqual([]);
    expect(normalizeWords('Hb: 13.5 g/dL')).toEqual(['hb', '13', '135', 'dl', 'gdl']);
  });

  it('queries ask for the parts of a compound and know whether the last word is complete', () => {
    expect(normalizeQueryWords('MRN-000123')).toEqual({ words: ['mrn', '000123'], lastIsPartial: true });
    expect(normalizeQueryWords('müller ')).toEqual({ words: ['muller'], lastIsPartial: false });
    expect(normalizeQueryWords('  ')).toEqual({ words: [], lastIsPartial: false });
  });
});

describe('tokens', () => {
  it('are deterministic, 22 base64url characters, and differ by key and by field', async () => {
    const [a] = await blindTokens(keys.indexKey, ['muller']);
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await blindTokens(keys.indexKey, ['muller']))[0]).toBe(a);
    const other = await deriveVaultKeys(generateMasterSecret());
    expect((await blindTokens(other.indexKey, ['muller']))[0]).not.toBe(a);
    expect((await blindTokens(keys.indexKey, ['muller'], 'name'))[0]).not.toBe(a);
  });

  it('are the first 16 bytes of HMAC-SHA-256 over label ‖ [tag, field, word] as a length-prefixed list (the stored format)', async () => {
    // Computed here from the documented layout, so a faster way of building the input cannot change a stored token.
    const expected = async (tag: string, field: string, word: string) => {
      const input = concatBytes(utf8Encode('hdms/blind-index/v1'), encodeStringList([tag, field, word]));
      return toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', keys.indexKey, input)).subarray(0, 16));
    };
    const words = ['muller', 'łukasz', 'ab', 'x'.repeat(300), '日本語', 'emoji😀', 'z'];
    for (const field of ['', 'control', 'näme']) {
      expect(await blindTokens(keys.indexKey, words, field)).toEqual(await Promise.all(words.map((word) => expected('word', field, word))));
      // Twice: a second call reuses what the first prepared.
      expect(await blindTokens(keys.indexKey, words, field)).toEqual(await Promise.all(words.map((word) => expected('word', field, word))));
    }
    expect(await prefixTokens(keys.indexKey, ['łukasz'])).toEqual(await Promise.all(['łuk', 'łuka', 'łukas', 'łukasz'].map((word) => expected('prefix', '', word))));
  });

  it('prefix tokens never equal full-word tokens, and exist only for 3+ letters', async () => {
    const prefixes = await prefixTokens(keys.indexKey, ['muller', 'li']);
    expect(prefixes).toHaveLength(4); // mul, mull, mulle, muller
    const full = await blindTokens(keys.indexKey, ['mul', 'mull', 'mulle', 'muller']);
    for (const token of prefixes) expect(full).not.toContain(token);
  });

  it('search finds records by diacritic-free words, identifiers and name prefixes', async () => {
    const anna = await recordTokens(keys.indexKey, { names: ['Anna Müller'], other: ['MRN-000123', 'Hypertension'], dates: ['1980-02-03'] });
    const jose = await recordTokens(keys.indexKey, { names: ['José Núñez'], other: ['MRN-000456'], dates: ['1980-07-14'] });
    const search = async (query: string) => {
      const { groups } = await queryTokens(keys.indexKey, query);
      return [matches(anna, groups), matches(jose, groups)];
    };
    expect(await search('muller')).toEqual([true, false]);
    expect(await search('MÜLLER anna')).toEqual([true, false]);
    expect(await search('mül')).toEqual([true, false]); // type-ahead on a name
    expect(await search('jos')).toEqual([false, true]);
    expect(await search('mrn-000123')).toEqual([true, false]);
    expect(await search('mrn000123')).toEqual([true, false]);
    expect(await search('000456')).toEqual([false, true]);
    expect(await search('hypertension')).toEqual([true, false]);
    expect(await search('hyper')).toEqual([false, false]); // no prefix tokens outside names
    expect(await search('mrn')).toEqual([true, true]);
    expect(await search('mül ')).toEqual([false, false]); // a finished word is a whole word
    expect(await search('x')).toEqual([false, false]);
    // Birth dates: the full date finds its patient; a year, month or day links nobody.
    expect(await search('1980-02-03')).toEqual([true, false]);
    expect(await search('19800714')).toEqual([false, true]);
    expect(await search('anna 1980/2/3')).toEqual([true, false]);
    expect(await search('1980')).toEqual([false, false]);
    expect(await search('1980 ')).toEqual([false, false]);
    expect(await search('02')).toEqual([false, false]);
    expect(await search('07-14')).toEqual([false, false]);
  });

  it('a date gives no token of its year, month or day', async () => {
    const tokens = await recordTokens(keys.indexKey, { dates: ['1980-02-03'] });
    expect(tokens).toEqual(await blindTokens(keys.indexKey, ['19800203']));
    for (const part of ['1980', '02', '03']) expect(tokens).not.toContain((await blindTokens(keys.indexKey, [part]))[0]);
  });

  it('a record token list is deduplicated and holds no plaintext', async () => {
    const tokens = await recordTokens(keys.indexKey, { names: ['Anna Anna'], other: ['anna'] });
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens.join(' ')).not.toMatch(/anna/i);
  });
});

describe('one-character CJK words (QA12 D4)', () => {
  it('a single Han ideograph is a whole word (a surname: 王), indexed and asked for; a Hangul syllable is one already (its jamo); other single characters are still dropped', () => {
    expect(normalizeWords('王 小明')).toEqual(['王', '小明']);
    expect(normalizeWords('김 민준')).toEqual(['김'.normalize('NFKD'), '민준'.normalize('NFKD')]);
    expect(normalizeWords('a b 7 x1')).toEqual(['x1']);
    // A single kana is a syllable, not a word.
    expect(normalizeWords('の やまだ')).toEqual(normalizeWords('やまだ'));
    expect(normalizeWords('の やまだ')).toHaveLength(1);
    expect(normalizeQueryWords('王').words).toEqual(['王']);
    expect(normalizeQueryWords('山田').words).toEqual(['山田']);
    expect(normalizeQueryWords('a').words).toEqual([]);
  });
  it('a record holding 王 is found by 王 (whole word, no prefix tokens under 3 characters)', async () => {
    const keys = await deriveVaultKeys(generateMasterSecret());
    const tokens = new Set(await recordTokens(keys.indexKey, { names: ['王', '小明'] }));
    const query = await queryTokens(keys.indexKey, '王');
    expect(query.groups).toHaveLength(1);
    expect(query.groups[0]!.anyOf.some((token) => tokens.has(token))).toBe(true);
    // 小 is no word of the record (its word is 小明): whole words only.
    const part = await queryTokens(keys.indexKey, '小');
    expect(part.groups[0]!.anyOf.some((token) => tokens.has(token))).toBe(false);
  });
});

// Tester S35 #1: "mueller" did not find "Müller". German keyboards without umlauts write ü as ue.
describe('German transliteration (ä ö ü ↔ ae oe ue)', () => {
  it('a word with an umlaut is also indexed as its transliteration (an ordinary word, and for names its prefixes)', () => {
    expect(recordWords({ names: ['Anna Müller'] })).toEqual({ words: ['anna', 'muller', 'mueller'], nameWords: ['anna', 'muller', 'mueller'] });
    expect(normalizeWords('Jörg Schäfer')).toEqual(['jorg', 'schafer', 'joerg', 'schaefer']);
    // Decomposed input (u + combining diaeresis) is the same word.
    expect(normalizeWords('Mu\u0308ller')).toEqual(['muller', 'mueller']);
    // Without an umlaut nothing is added: "Samuel" and "Michael" are not guessed at.
    expect(normalizeWords('Samuel Michael Mueller')).toEqual(['samuel', 'michael', 'mueller']);
  });

  it('a query with an umlaut also asks for its transliteration; a query without one asks for itself only', () => {
    expect(queryWordGroups('müller ')).toEqual([{ words: ['muller', 'mueller'], prefixes: [] }]);
    expect(queryWordGroups('mueller ')).toEqual([{ words: ['mueller'], prefixes: [] }]);
    expect(queryWordGroups('jörg')).toEqual([{ words: ['jorg', 'joerg'], prefixes: ['jorg', 'joerg'] }]);
  });

  it('finds both spellings both ways, without "mueller" finding a plain Muller', async () => {
    const names = ['Anna Müller', 'Anna Mueller', 'Anna Muller', 'Jörg Straße', 'Goethe Strasse'];
    const records = await Promise.all(names.map((name) => recordTokens(keys.indexKey, { names: [name] })));
    const search = async (query: string) => {
      const { groups } = await queryTokens(keys.indexKey, query);
      return names.filter((_, index) => matches(records[index]!, groups));
    };
    expect(await search('mueller ')).toEqual(['Anna Müller', 'Anna Mueller']);
    expect(await search('Müller ')).toEqual(['Anna Müller', 'Anna Mueller', 'Anna Muller']);
    expect(await search('muller ')).toEqual(['Anna Müller', 'Anna Muller']);
    expect(await search('muel')).toEqual(['Anna Müller', 'Anna Mueller']); // type-ahead
    expect(await search('anna mueller')).toEqual(['Anna Müller', 'Anna Mueller']);
    expect(await search('joerg ')).toEqual(['Jörg Straße']);
    expect(await search('strasse ')).toEqual(['Jörg Straße', 'Goethe Strasse']);
    expect(await search('straße ')).toEqual(['Jörg Straße', 'Goethe Strasse']);
    expect(await search('göthe ')).toEqual(['Goethe Strasse']);
  });
});

// Tester S35 #2: Swiss and German users type dates day first with dots.
describe('day-first dates with dots (dd.mm.yyyy)', () => {
  it('asks for the one date word, with or without leading zeros', () => {
    for (const query of ['01.03.2025', '1.3.2025', '01.3.2025', '1.03.2025']) {
      expect(normalizeQueryWords(query).words, query).toEqual(['20250301']);
    }
    expect(normalizeQueryWords('31.12.1980').words).toEqual(['19801231']);
    expect(normalizeQueryWords('müller 3.2.1980 ').words).toEqual(['muller', '19800203']);
  });

  it('is not a date when the day or month cannot be one; slashes keep today\'s meaning (parts: d/m or m/d is ambiguous)', () => {
    expect(normalizeQueryWords('13.13.2025').words).toEqual(['13', '2025']);
    expect(normalizeQueryWords('32.01.2025').words).toEqual(['32', '01', '2025']);
    expect(normalizeQueryWords('00.01.2025').words).toEqual(['00', '01', '2025']);
    expect(normalizeQueryWords('01/03/2025').words).toEqual(['01', '03', '2025']);
    expect(normalizeQueryWords('1.3.25').words).toEqual(['25']);
  });

  it('finds a birth date typed day first, as the ISO form does', async () => {
    const anna = await recordTokens(keys.indexKey, { names: ['Anna Müller'], dates: ['2025-03-01'] });
    const other = await recordTokens(keys.indexKey, { names: ['Anna Müller'], dates: ['2025-01-03'] });
    for (const query of ['01.03.2025', '1.3.2025', 'anna 1.3.2025', '2025-03-01']) {
      const { groups } = await queryTokens(keys.indexKey, query);
      expect([matches(anna, groups), matches(other, groups)], query).toEqual([true, false]);
    }
  });
});
