import { Fragment } from 'react';

/**
 * HL7 v2 formatted text (FT, and the escapes NTE and TX text may carry) as the lines a reader
 * sees: `\.br\`, `\.sp\` and `\.ce\` end a line; highlight on/off (`\H\`, `\N\`) and the layout
 * commands (`\.in±n\`, `\.ti±n\`, `\.sk±n\`, `\.fi\`, `\.nf\`) are dropped. The body keeps the text
 * as sent (its other escapes already decoded, hl7-front-end.ts), so only the display reads them.
 */
export function formattedTextLines(text: string): string[] {
  return text
    .replace(/\\\.(?:br|sp[+-]?\d*|ce)\\/gi, '\n')
    .replace(/\\(?:H|N)\\|\\\.(?:in|ti|sk)[+-]?\d*\\|\\\.(?:fi|nf)\\/g, '')
    .split(/\r\n|\r|\n/);
}

/** The same on one line (lists and notes that have no room for breaks). */
export function formattedTextInline(text: string): string {
  return formattedTextLines(text)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join(' ');
}

/** Formatted text with its line breaks. */
export function FormattedText({ text }: { text: string }) {
  return (
    <>
      {formattedTextLines(text).map((line, index) => (
        <Fragment key={index}>
          {index > 0 && <br />}
          {line}
        </Fragment>
      ))}
    </>
  );
}
