import { useEffect, useRef } from 'react';
import { ContractError } from '../../shared/ipc/errors';
import { ProductMark } from './icons/product-mark';

/** Shown while the first calls are in flight; CSS keeps it invisible for the first moment to avoid a flash. */
export function LoadingScreen() {
  return (
    <main className="full-page" aria-busy="true">
      <div className="full-page__card full-page__card--quiet">
        <ProductMark className="full-page__mark" />
        <p role="status" className="loading-text">
          Starting HDMS Node…
        </p>
      </div>
    </main>
  );
}

/** The page could not reach the body at all (no preload bridge, no shell token). */
export function TransportErrorScreen({ reason }: { reason: string }) {
  return (
    <main className="full-page">
      <div className="full-page__card" role="alert">
        <h1>HDMS Node cannot connect</h1>
        <p>{reason}</p>
      </div>
    </main>
  );
}

function describeError(error: unknown): { message: string; detail: string | null } {
  if (error instanceof ContractError) {
    const detail = error.incident === undefined ? `Error code ${error.code}` : `Error code ${error.code}, incident ${error.incident}`;
    return { message: error.message, detail };
  }
  return { message: error instanceof Error ? error.message : 'An unexpected error occurred.', detail: null };
}

/** A startup call failed: say what the body answered and offer to try again. */
export function StartupErrorScreen({ error, onRetry }: { error: unknown; onRetry: () => void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { message, detail } = describeError(error);
  // After "Retry" the button unmounts during loading; put keyboard focus back on the page.
  useEffect(() => heading.current?.focus(), []);
  return (
    <main className="full-page">
      <div className="full-page__card">
        <h1 ref={heading} tabIndex={-1}>
          HDMS Node could not start
        </h1>
        <div role="alert">
          <p>{message}</p>
          {detail !== null && <p className="muted">{detail}. The node’s log in the data folder has the details.</p>}
        </div>
        <button type="button" className="button button--primary" onClick={onRetry}>
          Retry
        </button>
      </div>
    </main>
  );
}
