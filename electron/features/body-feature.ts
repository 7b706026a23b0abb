import type { MethodName, Namespace, ParsedRequestOf, ResponseOf } from '../../shared/ipc';
import type { CallContext } from '../ipc/contract-router';
import type { OpenVault } from '../vault/vault-host';

/** One contract method's handler: it only ever sees a payload that passed the method's schema. */
export type Handler<M extends MethodName> = (request: ParsedRequestOf<M>, context: CallContext) => Promise<ResponseOf<M>>;

/** Exactly the handlers of the methods in namespace NS (a missing one is a compile error). */
export type NamespaceHandlers<NS extends Namespace> = {
  readonly [M in MethodName as M extends `${NS}.${string}` ? M : never]: Handler<M>;
};

/**
 * A feature of the body (vault, hl7, backup, ledger, demo; later dicom, devices, network…): the
 * contract namespaces it answers, their handlers, and its lifecycle. `startBody` composes a list
 * of them, so adding a feature adds a file and one line there, not handlers inside body.ts.
 */
export interface BodyFeature<NS extends Namespace = Namespace> {
  /** For the log and for the composer's checks. */
  readonly name: string;
  readonly handlers: NamespaceHandlers<NS>;
  /** The vault's storage is open (at start, or after a create or restore): attach to it. */
  onVaultOpen?(vault: OpenVault): Promise<void>;
  /**
   * Records were erased from the journal (their seqs): drop whatever the feature derived from
   * them (an index, a cache), so nothing of an erased record outlives it.
   */
  afterErasure?(seqs: readonly number[]): Promise<void>;
  /** The body is stopping: finish or cancel work. Features stop in reverse order of composition. */
  stop?(): Promise<void>;
}

/** Declares a feature with its handler types checked against its namespaces. */
export function bodyFeature<NS extends Namespace>(feature: BodyFeature<NS>): BodyFeature<NS> {
  return feature;
}

/** A feature as the composer runs its lifecycle (its handlers are composed, typed, separately). */
export type FeatureLifecycle = Pick<BodyFeature, 'name' | 'onVaultOpen' | 'afterErasure' | 'stop'>;
