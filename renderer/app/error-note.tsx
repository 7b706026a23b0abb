import { ContractError } from '../../shared/ipc/errors';

/** The message of a failed call, worded for the page it appears on. ContractError messages are PHI-free. */
export function errorMessage(error: unknown): string {
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
