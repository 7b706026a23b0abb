import { blindTokens, identifierPrefixWords, prefixTokens, recordWords, type RecordText } from '../vault-crypto';

/**
 * Blind tokens (shared/crypto/blind-index.ts) with a memo: the same word always gives the same
 * token under one index key, and clinical text repeats a lot (family names, LOINC codes and their
 * words, locations), so most words of an import are HMACed once instead of once per record.
 * Produces exactly the tokens of `recordTokens` (the words of `recordWords`, plus 3…24-letter
 * prefixes of NAME words), so `queryTokens` finds them.
 *
 * The memo holds words in memory only while the vault is unlocked (it is cleared on lock) and is
 * bounded: past `limit` entries it starts over.
 */
export class TokenCache {
  private readonly words = new Map<string, Promise<string>>();
  private readonly prefixes = new Map<string, Promise<readonly string[]>>();
  private readonly exact = new Map<string, Promise<string>>();
  /** Whole texts → their sorted tokens: most records repeat a text (a LOINC code and its words), so its words are not cut again. */
  private readonly texts = new Map<string, Promise<readonly string[]>>();
  /** Other per-session results keyed by their input (patient pseudonyms, directory names: intake-rows.ts). */
  private readonly memos = new Map<string, Promise<unknown>>();

  constructor(
    private readonly indexKey: CryptoKey,
    private readonly limit = 250_000,
  ) {}

  private wordToken(word: string): Promise<string> {
    let token = this.words.get(word);
    if (token === undefined) {
      if (this.words.size >= this.limit) this.words.clear();
      token = blindTokens(this.indexKey, [word]).then((tokens) => tokens[0]!);
      this.words.set(word, token);
    }
    return token;
  }

  private prefixTokensOf(word: string): Promise<readonly string[]> {
    let tokens = this.prefixes.get(word);
    if (tokens === undefined) {
      if (this.prefixes.size >= this.limit) this.prefixes.clear();
      tokens = prefixTokens(this.indexKey, [word]);
      this.prefixes.set(word, tokens);
    }
    return tokens;
  }

  /**
   * Prefix tokens (3…24 characters) of identifier words, so a partial MRN finds its patient
   * ("MRN0000" finds MRN00000007), and a partial accession number its study and patient (tester
   * T1 F9): the same prefix tokens names get, so queryTokens finds them
   * unchanged; also of the digit run after a letter prefix ("1002" finds MRN100234, F9).
   * README, "Views and search", says what that reveals.
   */
  async identifierPrefixTokens(identifiers: readonly string[]): Promise<string[]> {
    const words = identifierPrefixWords(identifiers);
    const prefixes = await Promise.all(words.map((word) => this.prefixTokensOf(word)));
    return [...new Set(prefixes.flat())].sort();
  }

  /**
   * Every token of a text in a field's own token domain (blind-index.ts `field`: a study's words
   * posted for its patient, imaging-rows.ts STUDY_PATIENT_FIELD), with the prefix tokens of
   * `prefixed` (identifier-like values), deduplicated and sorted; remembered per text for the session.
   */
  fieldTokensOf(field: string, text: RecordText, prefixed: readonly string[] = []): Promise<readonly string[]> {
    const key = JSON.stringify([field, text.names ?? [], text.other ?? [], text.dates ?? [], prefixed]);
    return this.remember('field-tokens', key, async () => {
      const { words, nameWords } = recordWords(text);
      const prefixWords = identifierPrefixWords(prefixed);
      const [full, prefixes] = await Promise.all([blindTokens(this.indexKey, words, field), prefixTokens(this.indexKey, [...nameWords, ...prefixWords], field)]);
      return [...new Set([...full, ...prefixes])].sort();
    });
  }

  /**
   * Every token of a text, deduplicated and sorted (a stable, order-free form for the views). The
   * list may be shared with other callers of the same text: read it, do not change it.
   */
  tokensOf(text: RecordText): Promise<readonly string[]> {
    // Lengths first, so ["ab", "c"] and ["a", "bc"] cannot share a key.
    const key = [text.names ?? [], text.other ?? [], text.dates ?? []].map((list) => `${list.length}:${list.map((item) => `${item.length}:${item}`).join('')}`).join('|');
    let tokens = this.texts.get(key);
    if (tokens === undefined) {
      if (this.texts.size >= this.limit) this.texts.clear();
      tokens = this.tokensOfText(text);
      this.texts.set(key, tokens);
      // A failure is not remembered: the next call tries again.
      tokens.catch(() => {
        if (this.texts.get(key) === tokens) this.texts.delete(key);
      });
    }
    return tokens;
  }

  private async tokensOfText(text: RecordText): Promise<string[]> {
    const { words, nameWords } = recordWords(text);
    const [full, prefixes] = await Promise.all([
      Promise.all(words.map((word) => this.wordToken(word))),
      Promise.all(nameWords.map((word) => this.prefixTokensOf(word))),
    ]);
    return [...new Set([...full, ...prefixes.flat()])].sort();
  }

  /**
   * The token of one exact value in a field's own token domain (the message browser's control
   * ids, senders and message types: message-log.ts), not cut into words. `remember`: keep it in
   * the memo (values that repeat, like senders); unique values (control ids) would only fill it.
   */
  exactToken(field: string, value: string, remember = true): Promise<string> {
    const key = `${field}\u0000${value}`;
    let token = this.exact.get(key);
    if (token === undefined) {
      token = blindTokens(this.indexKey, [value], field).then((tokens) => tokens[0]!);
      if (remember) {
        if (this.exact.size >= this.limit) this.exact.clear();
        this.exact.set(key, token);
      }
    }
    return token;
  }

  /**
   * The prefix tokens (3…24 characters) of one exact value in a field's own token domain, not cut
   * into words and not memoized (unique values: the message browser's control ids, message-log.ts).
   */
  valuePrefixTokens(field: string, value: string): Promise<string[]> {
    return prefixTokens(this.indexKey, [value], field);
  }

  /**
   * `compute()`'s result, remembered under `kind` and `key` for the session (bounded like the
   * tokens, cleared at lock): for values that are a pure function of the key and the session's
   * keys, such as a patient's pseudonyms (intake-rows.ts). A failure is not remembered.
   */
  remember<T>(kind: string, key: string, compute: () => Promise<T>): Promise<T> {
    const memoKey = `${kind}\u0000${key}`;
    let value = this.memos.get(memoKey) as Promise<T> | undefined;
    if (value === undefined) {
      if (this.memos.size >= this.limit) this.memos.clear();
      value = compute();
      this.memos.set(memoKey, value);
      const settled = value;
      settled.catch(() => {
        if (this.memos.get(memoKey) === settled) this.memos.delete(memoKey);
      });
    }
    return value;
  }

  clear(): void {
    this.texts.clear();
    this.memos.clear();
    this.words.clear();
    this.prefixes.clear();
    this.exact.clear();
  }
}
