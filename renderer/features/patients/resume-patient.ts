import { useEffect, useRef } from 'react';
import { hrefForPath } from '../../app/router/hash-route';
import type { VaultService } from '../../vault/vault-service';

/**
 * Lock and unlock return to the patient that was open (issue 11), for the same operator only.
 *
 * While locked the address names no patient (the app puts `#/patients` back at lock), and nothing
 * is written to storage: the open patient is held in this window's memory, with the operator who
 * had it open. The next unlock by that operator opens it again; anyone else starts from the list,
 * and the memory is dropped either way. A reload forgets it.
 */

interface OpenPatient {
  readonly operatorId: string;
  readonly patientId: string;
}

let heldAtLock: OpenPatient | null = null;

/** The patient page holds its patient while it is shown; a lock while it is shown keeps it for the unlock. */
export function useHoldOpenPatient(vault: VaultService, patientId: string): void {
  useEffect(() => {
    const operatorId = vault.currentOperator()?.operatorId;
    return () => {
      // Unmounted by a lock (the page goes with the whole frame): keep it. Navigated away: nothing to keep.
      heldAtLock = vault.phase() === 'locked' && operatorId !== undefined ? { operatorId, patientId } : null;
    };
  }, [vault, patientId]);
}

/**
 * Called once when the Patients area opens after an unlock: the patient to go back to, when the
 * operator who locked it is the one who unlocked; null otherwise. Either way the memory is spent.
 */
export function takeHeldPatient(operatorId: string | undefined): string | null {
  const held = heldAtLock;
  heldAtLock = null;
  return held !== null && held.operatorId === operatorId ? held.patientId : null;
}

/** The Patients area, mounted on the list after an unlock, goes back to the held patient (once per mount: each unlock mounts it anew). */
export function useResumeHeldPatient(vault: VaultService, onList: boolean): void {
  const onListAtMount = useRef(onList);
  useEffect(() => {
    const patientId = takeHeldPatient(vault.currentOperator()?.operatorId);
    if (patientId !== null && onListAtMount.current) window.location.hash = hrefForPath('patients', patientId);
  }, [vault]);
}
