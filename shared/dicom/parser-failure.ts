/**
 * What dicom-parser (or zlib, for deflated data sets) threw, in words for people: the body's
 * quarantine reasons and the mind's "View raw" both use it, so neither shows the parser's text.
 */

/** The text of what was thrown: dicom-parser throws strings, or { exception, dataSet } when it stops part way. */
function thrownText(error: unknown): string {
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && 'exception' in error) return thrownText((error as { exception: unknown }).exception);
  if (error instanceof Error) return `${String((error as { code?: unknown }).code ?? '')} ${error.message}`;
  return '';
}

/**
 * Why the parser stopped, in plain words for the quarantine and the import's result (QA
 * explore-12 D5: "dicomParser:parseDicomDataSetExplicit: buffer overrun" reached users). The
 * parser's own text stays out of user-facing strings; the rules below cover what it throws on
 * bytes it cannot read.
 */
export function plainParserFailure(error: unknown): string {
  const text = thrownText(error);
  if (/DICM prefix/i.test(text)) return 'it does not start like a DICOM file (no DICM after the 128-byte preamble)';
  if (/Z_|inflat|deflat|incorrect header check|invalid (block|stored|distance|code)|unexpected end of file/i.test(text)) return 'its deflated bytes cannot be inflated (the deflate stream is damaged or cut short)';
  if (/past end|overrun|overread|less than 0|< 0/i.test(text)) return "an element's length runs past the end of the data set (it was cut short, or a length in it is wrong)";
  if (/item|sequence|offset table|fragment/i.test(text)) return 'a sequence or an item in it is malformed';
  if (/0002,0010|transfer syntax/i.test(text)) return 'its File Meta Information names no transfer syntax';
  return 'its structure is not valid DICOM';
}
