import type { ReactNode } from 'react';

/** One row of a `<dl className="facts">`: a term and what it says about the thing shown. */
export function Fact({ term, children }: { term: ReactNode; children: ReactNode }) {
  return (
    <div className="facts__row">
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}
