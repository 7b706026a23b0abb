import { ContractError } from '../../shared/ipc/errors';
import { refusalSentence } from './form/field-problems';

/**
 * The message of a failed call, worded for the page it appears on. ContractError messages are
 * PHI-free; a schema refusal ("Invalid request for m: a.1: invalid_union") is put in words, so no
 * schema path or issue code reaches a user (forms point at their fields themselves: field-problems.ts).
 */
export function errorMessage(error: unknown): string {
  if (error instanceof ContractError && error.code === 'E_BAD_REQUEST') return refusalSentence(error.message) ?? error.message;
  if (error instanceof ContractError || error instanceof Error) return error.message;
  return 'An unexpected error occurred.';
}

/** An inline error inside a page section (not the whole-page startup error). */
export function ErrorNote({ error, what }: { error: unknown; what: string }) {
  return (
    <p role="alert" className="note note--error">
      {what}: {errorMessage(error)}
    </p>
  );
}
