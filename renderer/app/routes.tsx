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
}

/** The product's areas, in navigation order. */
export const AREAS: readonly Area[] = [
  { id: 'intake', title: 'Intake', Icon: IntakeIcon, Page: IntakeArea, nested: true },
  { id: 'patients', title: 'Patients', Icon: PatientsIcon, Page: PatientsArea, nested: true },
  { id: 'imaging', title: 'Imaging', Icon: ImagingIcon, Page: ImagingArea },
  { id: 'devices', title: 'Devices', Icon: DevicesIcon, Page: DevicesArea },
  { id: 'marketplace', title: 'Marketplace', Icon: MarketplaceIcon, Page: MarketplaceArea },
  { id: 'ledger', title: 'Ledger', Icon: LedgerIcon, Page: LedgerArea, nested: true },
  { id: 'settings', title: 'Settings', Icon: SettingsIcon, Page: SettingsArea },
];

export function findArea(route: string): Area | undefined {
  return AREAS.find((area) => area.id === route);
}
