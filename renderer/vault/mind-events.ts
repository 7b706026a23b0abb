import type { HdmsApi } from '../../shared/ipc/contract';
import { sealJson } from '../../shared/journal/sealed-json';
import type { Sealer } from './vault-crypto';

/**
 * Appends one of the mind's own journal events. The meta is sealed to the intake public key
 * before it leaves the mind; `operator` is the acting operator's pseudonymous id
 * (deriveOperatorId(ledgerKey, localAccountId)), never a name or a keyring id.
 */
export async function appendMindEvent(
  api: Pick<HdmsApi, 'journal'>,
  sealer: Sealer,
  input: { readonly kind: string; readonly operator: string; readonly meta: unknown; readonly objects?: readonly string[] },
): Promise<number> {
  const { seq } = await api.journal.append({
    kind: input.kind,
    operator: input.operator,
    objects: [...(input.objects ?? [])],
    meta: await sealJson(sealer, input.meta),
  });
  return seq;
}
