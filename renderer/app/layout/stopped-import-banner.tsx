import { useCurrentOperator } from '../../vault/vault-context';
import { stoppedImportText, useImportsAtLock, useStoppedImport } from '../imports-at-lock';
import { hrefForRoute } from '../router/hash-route';

/**
 * After an unlock, tells the operator whose import a lock stopped how many files were not imported
 * (QA-12 D2), on every page until they dismiss it. Another operator unlocking does not see it.
 */
export function StoppedImportBanner() {
  const operator = useCurrentOperator();
  const imports = useImportsAtLock();
  const stopped = useStoppedImport(operator?.operatorId ?? null);
  if (operator === null || stopped === null) return null;
  return (
    <div role="alert" className="stopping-banner stopped-import">
      <p>{stoppedImportText(stopped)}</p>
      <p className="stopped-import__actions">
        <a href={hrefForRoute('imaging')}>Open Imaging</a>{' '}
        <button type="button" className="button" onClick={() => imports.dismiss(operator.operatorId)}>
          Dismiss
        </button>
      </p>
    </div>
  );
}
