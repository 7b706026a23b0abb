/**
 * The name an HL7 sender goes by in the counters, the message browser (its rows, its Sender filter,
 * a message's page) and the quarantine alike: MSH-3|MSH-4 as sent, or, when the header names
 * neither (its first segment is not MSH, or its delimiters make MSH-3 and MSH-4 unreadable), the
 * place it came from: the peer's address without its port (new for every connection, so a system
 * sending garbage is one sender however often it reconnects), or a file's place in an import.
 * QA s34 D4: such a message was "peer 127.0.0.1", "|", "unknown", "Unknown (no readable header)"
 * and "127.0.0.1:50412" depending on where one looked. No patient data: system names and addresses.
 */
export function senderLabel(application: string | undefined, facility: string | undefined, source: string | undefined): string {
  if ((application ?? '') !== '' || (facility ?? '') !== '') return `${application ?? ''}|${facility ?? ''}`.slice(0, 200);
  const from = source === undefined || source === '' ? '' : withoutPort(source);
  return (from === '' ? NO_READABLE_SENDER : `${NO_READABLE_SENDER} (from ${from})`).slice(0, 200);
}

export const NO_READABLE_SENDER = 'No readable sender';

/** "127.0.0.1:50412" → "127.0.0.1", "::1:50412" → "::1" (MLLP sources always end in the port); a file's place is left as it is. */
function withoutPort(source: string): string {
  return source.replace(/:\d+$/, '');
}
