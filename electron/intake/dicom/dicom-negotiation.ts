import type { DicomRejectionReason } from '../../../shared/ipc/dicom-contract';
import { normalizePeerAddress } from '../peer-slots';
import { CONTEXT_RESULT, REJECT_REASON, REJECT_RESULT, REJECT_SOURCE, type AssociateAc, type AssociateRj, type AssociateRq, type PresentationContextAc } from './dicom-pdu';
import { DICOM_APPLICATION_CONTEXT, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, STORAGE_TRANSFER_SYNTAXES, VERIFICATION_SOP_CLASS, VERIFICATION_TRANSFER_SYNTAXES, isStorageSopClass } from './dicom-uids';

/** A calling AE allowed to associate, from the address it must connect from. */
export interface AllowedCaller {
  readonly aeTitle: string;
  /** IP address (v4 or v6); compared after removing an IPv4-mapped prefix. */
  readonly address: string;
}

export interface AssociationPolicy {
  /** The node's AE title: the called AE title must match it (case and padding as PS3.5 says: exact, trimmed). */
  readonly aeTitle: string;
  /** Empty: any calling AE (only sensible on loopback). Otherwise the caller must be listed with its address. */
  readonly allowedCallers: readonly AllowedCaller[];
  /** The maximum P-DATA-TF variable field this side receives (announced in the A-ASSOCIATE-AC). */
  readonly maxPduLength: number;
}

/** An accepted presentation context: its abstract syntax and the one transfer syntax chosen. */
export interface AcceptedContext {
  readonly id: number;
  readonly abstractSyntax: string;
  readonly transferSyntax: string;
}

export type Negotiation =
  | { readonly accepted: true; readonly ac: AssociateAc; readonly contexts: ReadonlyMap<number, AcceptedContext>; readonly peerMaxLength: number }
  | {
      readonly accepted: false;
      readonly rj: AssociateRj;
      /** Why, in words, for the log (no PHI: AE titles and addresses are configuration). */
      readonly why: string;
      /** Why, as the monitor counts it. */
      readonly reason: DicomRejectionReason;
    };

/** ::ffff:10.0.0.5 and 10.0.0.5 are the same caller. */
export function normalizeIp(address: string): string {
  return normalizePeerAddress(address);
}

/**
 * The transfer syntax accepted for a context: the first one the requestor proposed that the
 * receiver takes (the requestor lists its preference first, and its first is usually the
 * encoding its file is in, so the dataset is stored as received with no transcoding at either end).
 */
function chooseTransferSyntax(proposed: readonly string[], acceptable: ReadonlySet<string>): string | null {
  return proposed.find((ts) => acceptable.has(ts)) ?? null;
}

/**
 * The acceptor's decision on an A-ASSOCIATE-RQ (PS3.8 7.1.1, PS3.7 D.3.3): the application
 * context, the called AE title, the calling AE title with its address when an allow-list is set,
 * then each presentation context: Verification and the storage SOP classes are accepted with one
 * transfer syntax chosen from those proposed; anything else is refused context by context.
 */
export function negotiateAssociation(rq: AssociateRq, peerAddress: string, policy: AssociationPolicy): Negotiation {
  const reject = (result: number, source: number, reason: number, why: string, category: DicomRejectionReason): Negotiation => ({ accepted: false, rj: { result, source, reason }, why, reason: category });
  if ((rq.protocolVersion & 1) !== 1) return reject(REJECT_RESULT.PERMANENT, REJECT_SOURCE.SERVICE_PROVIDER_ACSE, REJECT_REASON.PROTOCOL_VERSION_NOT_SUPPORTED, `protocol version ${rq.protocolVersion} is not supported`, 'protocol');
  if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT) return reject(REJECT_RESULT.PERMANENT, REJECT_SOURCE.SERVICE_USER, REJECT_REASON.APPLICATION_CONTEXT_NOT_SUPPORTED, 'the application context is not the DICOM one', 'protocol');
  if (rq.calledAeTitle !== policy.aeTitle) return reject(REJECT_RESULT.PERMANENT, REJECT_SOURCE.SERVICE_USER, REJECT_REASON.CALLED_AE_NOT_RECOGNIZED, `the called AE title "${rq.calledAeTitle}" is not this node's "${policy.aeTitle}"`, 'called-ae-title');
  if (policy.allowedCallers.length > 0) {
    const peer = normalizeIp(peerAddress);
    const allowed = policy.allowedCallers.some((caller) => caller.aeTitle === rq.callingAeTitle && normalizeIp(caller.address) === peer);
    if (!allowed) return reject(REJECT_RESULT.PERMANENT, REJECT_SOURCE.SERVICE_USER, REJECT_REASON.CALLING_AE_NOT_RECOGNIZED, `the calling AE title "${rq.callingAeTitle}" from ${peer} is not on the allow-list`, 'not-allowed');
  }
  const contexts = new Map<number, AcceptedContext>();
  const answers: PresentationContextAc[] = rq.presentationContexts.map((context): PresentationContextAc => {
    const verification = context.abstractSyntax === VERIFICATION_SOP_CLASS;
    if (!verification && !isStorageSopClass(context.abstractSyntax)) {
      return { id: context.id, result: CONTEXT_RESULT.ABSTRACT_SYNTAX_NOT_SUPPORTED, transferSyntax: context.transferSyntaxes[0]! };
    }
    const chosen = chooseTransferSyntax(context.transferSyntaxes, verification ? VERIFICATION_TRANSFER_SYNTAXES : STORAGE_TRANSFER_SYNTAXES);
    if (chosen === null) return { id: context.id, result: CONTEXT_RESULT.TRANSFER_SYNTAXES_NOT_SUPPORTED, transferSyntax: context.transferSyntaxes[0]! };
    contexts.set(context.id, { id: context.id, abstractSyntax: context.abstractSyntax, transferSyntax: chosen });
    return { id: context.id, result: CONTEXT_RESULT.ACCEPTANCE, transferSyntax: chosen };
  });
  return {
    accepted: true,
    contexts,
    peerMaxLength: rq.maxLength,
    ac: {
      // The AC echoes the called and calling AE titles of the RQ (PS3.8 9.3.3.1).
      calledAeTitle: rq.calledAeTitle,
      callingAeTitle: rq.callingAeTitle,
      presentationContexts: answers,
      maxLength: policy.maxPduLength,
      implementationClassUid: IMPLEMENTATION_CLASS_UID,
      implementationVersionName: IMPLEMENTATION_VERSION_NAME,
    },
  };
}
