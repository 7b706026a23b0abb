import type { ComponentType } from 'react';
import { DevicesArea } from '../features/devices/devices-area';
import { ImagingArea } from '../features/imaging/imaging-area';
import { IntakeArea } from '../features/intake/intake-area';
import { LedgerArea } from '../features/ledger/ledger-area';
import { MarketplaceArea } from '../features/marketplace/marketplace-area';
import { PatientsArea } from '../features/patients/patients-area';
import { SettingsArea } from '../features/settings/settings-area';
import {
  DevicesIcon,
  ImagingIcon,
  IntakeIcon,
  LedgerIcon,
  MarketplaceIcon,
  PatientsIcon,
  SettingsIcon,
} from './icons/area-icons';

import type { OperatorRole } from '../vault/vault-service';

/** Operators whose key slot opens patient data (design §3, roles are keys). */
const CLINICAL: readonly OperatorRole[] = ['admin', 'clinician'];

export interface Area {
  /** The hash route: `#/<id>`. */
  readonly id: string;
  /** The link text and the page's h1. */
  readonly title: string;
  readonly Icon: ComponentType;
  /** Rendered under the h1; `path` is what follows the area in the hash (`#/patients/p1` → ['p1']). */
  readonly Page: ComponentType<{ readonly path: readonly string[] }>;
  /** Whether the area has pages below it; otherwise a longer path is "Page not found". */
  readonly nested?: boolean;
  /** The roles the area is for; every role when absent. Researchers and auditors hold no key to patient data. */
  readonly roles?: readonly OperatorRole[];
}

/** The product's areas, in navigation order. */
export const AREAS: readonly Area[] = [
  { id: 'intake', title: 'Intake', Icon: IntakeIcon, Page: IntakeArea, nested: true, roles: CLINICAL },
  { id: 'patients', title: 'Patients', Icon: PatientsIcon, Page: PatientsArea, nested: true, roles: CLINICAL },
  { id: 'imaging', title: 'Imaging', Icon: ImagingIcon, Page: ImagingArea, nested: true, roles: CLINICAL },
  { id: 'devices', title: 'Devices', Icon: DevicesIcon, Page: DevicesArea, roles: CLINICAL },
  { id: 'marketplace', title: 'Marketplace', Icon: MarketplaceIcon, Page: MarketplaceArea, roles: [...CLINICAL, 'researcher'] },
  { id: 'ledger', title: 'Ledger', Icon: LedgerIcon, Page: LedgerArea, nested: true },
  { id: 'settings', title: 'Settings', Icon: SettingsIcon, Page: SettingsArea },
];

export function findArea(route: string): Area | undefined {
  return AREAS.find((area) => area.id === route);
}

/** Whether an operator of `role` may open the area (null: nobody signed in, e.g. the screens before unlock). */
export function areaAllows(area: Area, role: OperatorRole | null): boolean {
  return role === null || area.roles === undefined || area.roles.includes(role);
}

/** The areas an operator of `role` sees in the navigation. */
export function areasFor(role: OperatorRole | null): readonly Area[] {
  return AREAS.filter((area) => areaAllows(area, role));
}

/**
 * Where an operator of `role` starts (an empty address, after an unlock by someone else): a
 * clinician on Patients, the chart being their work (H8 F18: they landed on the analyst's Intake
 * monitor); every other role on its first area (an administrator on Intake, an auditor on Ledger).
 */
export function startAreaFor(role: OperatorRole | null): Area | undefined {
  if (role === 'clinician') return findArea('patients');
  return areasFor(role)[0];
}
