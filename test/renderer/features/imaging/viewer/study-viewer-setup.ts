import { screen } from '@testing-library/react';
import type { InstanceDecoder } from '../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import type { ViewerInstance, ViewerStudy } from '../../../../../renderer/vault/imaging/study-instances';
import { createFakeNode } from '../../../support/fake-transport';
import { createFakeVault } from '../../../support/fake-vault-service';
import { renderApp } from '../../../support/render-app';
import { ctSlice, TS } from './viewer-fixtures';
import { setWorkerDecoder } from './worker-decode-client';

export interface SliceStudyOptions {
  /** Instance n's SOP Instance UID is `${uidRoot}${n}`. */
  readonly uidRoot: string;
  readonly slices: number;
  readonly modality?: string;
  readonly studyId?: string;
  readonly description?: string;
  readonly seriesDescription?: string;
  readonly callingAeTitle?: string;
  /** Instance n's copy and the copies received before it (default: the only copy). */
  readonly copies?: (n: number) => Pick<ViewerInstance, 'copy' | 'earlierCopies'>;
}

export interface SliceStudy {
  readonly study: ViewerStudy;
  /** Each instance's Part 10 bytes by instance id (`inst-n`), as the fake vault serves them. */
  readonly instanceBytes: Record<string, Uint8Array>;
  readonly uid: (n: number) => string;
}

/** A one-series study of 16 × 16 CT phantom slices (explicit VR little endian), slice n−1 of the phantom as image n. */
export function sliceStudy(options: SliceStudyOptions): SliceStudy {
  const uid = (n: number) => `${options.uidRoot}${n}`;
  const modality = options.modality ?? 'CT';
  const instances = Array.from({ length: options.slices }, (_, i): ViewerInstance => {
    const n = i + 1;
    return {
      sopInstanceUid: uid(n),
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      transferSyntaxUid: TS.explicitLittle,
      number: n,
      rows: 16,
      columns: 16,
      frames: null,
      source: 'network',
      callingAeTitle: options.callingAeTitle ?? 'CT_QA',
      instanceId: `inst-${n}`,
      objectId: `obj-${n}`,
      ...(options.copies?.(n) ?? { copy: 1, earlierCopies: [] }),
    };
  });
  const study: ViewerStudy = {
    studyId: options.studyId ?? 'study-ct',
    patientId: 'p1',
    study: { studyInstanceUid: '1.2.3.4', date: '2026-03-02', time: '', description: options.description ?? 'CT CHEST', accessionNumber: '', studyId: '', referringPhysician: '', institution: '', receivedAt: '2026-03-02T10:00:00.000Z' },
    series: [{ seriesId: 'series-1', seriesInstanceUid: '1.2.3.4.1', modality, number: 1, description: options.seriesDescription ?? 'AXIAL', bodyPart: '', instances }],
    sharedWithOtherPatient: false,
    instancesWithOtherCopies: instances.filter((instance) => instance.earlierCopies.length > 0).length,
  };
  const instanceBytes = Object.fromEntries(instances.map((instance, i) => [instance.instanceId, new Uint8Array(ctSlice({ size: 16, slice: i, transferSyntax: TS.explicitLittle, sopInstanceUid: uid(i + 1), instanceNumber: i + 1 }))]));
  return { study, instanceBytes, uid };
}

/** The app unlocked on the study's page with the decoder behind the page's decode client; the viewer's region once shown. */
export async function openStudy(study: ViewerStudy, instanceBytes: Readonly<Record<string, Uint8Array>>, decoder: InstanceDecoder): Promise<HTMLElement> {
  setWorkerDecoder(decoder);
  const vault = createFakeVault({ phase: 'unlocked', viewerStudies: [study], instanceBytes });
  renderApp(createFakeNode({ vault: { state: 'unlocked' } }), `#/imaging/studies/${study.studyId}`, vault);
  return screen.findByRole('region', { name: study.study.description });
}
