import { useEffect, useRef } from 'react';
import { useAppInfo } from '../app-info-context';
import { ProductMark } from '../icons/product-mark';

/**
 * What the window shows once the node has stopped: nothing of the vault (it was locked) and no
 * listener state (none is running), and how to start again.
 */
export function NodeStoppedScreen() {
  const info = useAppInfo();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <main className="full-page">
      <div className="full-page__card">
        <ProductMark className="full-page__mark" />
        <h1 ref={heading} tabIndex={-1}>
          HDMS Node has stopped
        </h1>
        <p>
          Nothing is listening and the vault is locked: this window shows nothing current any more. Sending systems cannot
          deliver messages until the node runs again.
        </p>
        <p>
          {info.host === 'electron'
            ? 'Start HDMS Node again to continue.'
            : 'Start the shell again (npm run shell) and open the new link it prints; this one no longer works.'}
        </p>
      </div>
    </main>
  );
}
