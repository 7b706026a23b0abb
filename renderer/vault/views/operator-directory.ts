import { encryptField } from '../../../shared/crypto/field-cipher';
import { operatorDirectoryId } from '../../ledger/ledger-reader';
import type { OpenSessionFeature, SessionFeature, SessionPort } from '../session/session-feature';
import { deriveOperatorId } from '../vault-crypto';
import type { DirectoryName, DirectoryRow } from './vault-db';

/**
 * Keeps the operators' names in the subject directory (vault-db.ts DirectoryRow), so that an
 * auditor, whose role slot holds the directory key but not the ledger key, sees who did what in
 * the ledger. A clinical session writes the rows after its replays whenever the keyring's operators
 * differ from what it last wrote; names are encrypted under the directory key like patients'.
 */
/** Who a session opened with the recovery key is (the body names that principal "recovery"). */
export const RECOVERY_OPERATOR = { operatorId: 'recovery', name: 'Recovery key holder' } as const;

export class OperatorDirectory implements SessionFeature<never> {
  readonly name = 'operator-directory';
  readonly namespaces = [] as const;

  open(port: SessionPort<never>): OpenSessionFeature {
    let written = '';
    return {
      afterReplay: async () => {
        const operators = [...port.operators(), RECOVERY_OPERATOR];
        const signature = JSON.stringify(operators);
        if (signature === written || !port.isCurrent()) return;
        const rows = await Promise.all(
          operators.map(async (operator): Promise<DirectoryRow> => {
            const id = operatorDirectoryId(await deriveOperatorId(port.ledgerKey, operator.operatorId));
            const name: DirectoryName = { family: operator.name, given: [] };
            return { id, kind: 'operator', name: await encryptField(port.directoryKey, { table: 'directory', id }, name) };
          }),
        );
        if (!port.isCurrent()) return;
        await port.db().directory.bulkPut(rows);
        written = signature;
      },
      close: () => undefined,
    };
  }
}
