/**
 * A number written with a decimal comma ("7,9"): nothing but digits around one comma, at most 20
 * characters. Not read as 7.9 anywhere: HL7 NM's decimal mark is the period, and "1,234" may be a
 * thousand or a decimal; the sender must say. The body's mapping note and the patient view both
 * name it as the reason a value is not a number.
 */
export const DECIMAL_COMMA = /^[+-]?\d{1,9},\d{1,9}$/;

/** Is `text` (trimmed) a number written with a decimal comma? */
export function isDecimalComma(text: string): boolean {
  return DECIMAL_COMMA.test(text.trim());
}
