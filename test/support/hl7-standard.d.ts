// hl7-standard ships no types; this declares the part of its API the tests and benches use: the
// bare-parse baseline (test/bench/hl7-bare-parse.ts) and the front end's reference test
// (test/electron/intake/hl7/hl7-segments.test.ts). The app itself no longer runs hl7-standard.
declare module 'hl7-standard' {
  type FieldValue = string | string[] | Record<string, string | string[]> | Record<string, string | string[]>[];

  interface TransformedSegment {
    /** Position of the segment among the message's lines. */
    index: number;
    /** `PID.3` → the field; see hl7-front-end.ts normalizeField for the shapes. */
    data: Record<string, FieldValue>;
  }

  interface ParseOptions {
    subComponents?: string;
    repeatingFields?: string;
    lineEndings?: string;
  }

  class HL7 {
    constructor(data?: string, options?: ParseOptions);
    /** Segments by name, each in message order. Throws (without a callback) on input it cannot read. */
    transformed: Record<string, TransformedSegment[]>;
    transform(callback?: (error: Error | null, result: unknown) => void, batch?: boolean): void;
  }

  export default HL7;
}
