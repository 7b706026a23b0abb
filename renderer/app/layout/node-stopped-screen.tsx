import { useEffect, useRef } from 'react';
import { useAppInfo } from '../app-info-context';
import { ProductMark } from '../icons/product-mark';
import { useNodeStop, useStoppedScreenOnShow } from '../node-stopped-context';

/**
 * What the window shows once the node has stopped or cannot be reached: nothing of the vault (it
 * was locked) and no listener state (none is known to run), and how to start again: in the browser
 * shell, the restarted shell's new link pasted into this tab reconnects it.
 */
export function NodeStoppedScreen() {
  const info = useAppInfo();
  const unreachable = useNodeStop() === 'unreachable';
  useStoppedScreenOnShow();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <main className="full-page">
      <div className="full-page__card">
        <ProductMark className="full-page__mark" />
        <h1 ref={heading} tabIndex={-1}>
          {unreachable ? 'HDMS Node cannot be reached' : 'HDMS Node has stopped'}
        </h1>
        {unreachable ? (
          <p>
            The connection to the node was lost and it did not answer again: it may have crashed or been stopped. The vault is
            locked in this window, which shows nothing current any more. Sending systems cannot deliver messages while the node
            is down.
          </p>
        ) : (
          <p>
            Nothing is listening and the vault is locked: this window shows nothing current any more. Sending systems cannot
            deliver messages until the node runs again.
          </p>
        )}
        <p>
          {info.host === 'electron'
            ? 'Start HDMS Node again to continue.'
            : // Pasted into this tab, the new link loads the page again (pick-transport.ts), also when only its token differs.
              'Start the shell again (npm run shell) and paste the new link it prints into this tab’s address bar: the page loads again and connects. The link this tab was opened with no longer works.'}
        </p>
      </div>
    </main>
  );
}
