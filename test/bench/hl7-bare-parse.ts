// hl7-standard ships no types: test/support/hl7-standard.d.ts declares what the benches and tests use.
import HL7 from 'hl7-standard';

/**
 * The HL7 benchmarks' same-run baseline: the bare `hl7-standard` parse (`transform()` only: no
 * decoding, escapes, mapping, sealing, storage or network) of the given texts on this thread, in
 * messages/s over `runMs`.
 */
export function bareParseRate(texts: readonly string[], runMs: number): number {
  let parsed = 0;
  let segments = 0;
  const started = performance.now();
  const deadline = started + runMs;
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++) {
      const parser = new HL7(texts[parsed % texts.length]!, { lineEndings: '\r' });
      parser.transform();
      segments += Object.keys(parser.transformed).length;
      parsed++;
    }
  }
  if (segments === 0) throw new Error('hl7-standard parsed nothing.');
  return parsed / ((performance.now() - started) / 1000);
}
