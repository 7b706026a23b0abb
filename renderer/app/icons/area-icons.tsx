import type { ReactNode } from 'react';

/** Decorative outline icons for the areas; the link text next to them carries the name. */
function OutlineIcon({ children }: { children: ReactNode }) {
  return (
    <svg
      className="icon"
      viewBox="0 0 24 24"
      width="20"
      height="20"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.75"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      {children}
    </svg>
  );
}

export function IntakeIcon() {
  return (
    <OutlineIcon>
      <path d="M4 13l2.5-7.5A1.5 1.5 0 0 1 7.9 4.5h8.2a1.5 1.5 0 0 1 1.4 1L20 13" />
      <path d="M4 13v5.5A1.5 1.5 0 0 0 5.5 20h13a1.5 1.5 0 0 0 1.5-1.5V13h-4.5l-1.5 2.5h-4L8.5 13z" />
    </OutlineIcon>
  );
}

export function PatientsIcon() {
  return (
    <OutlineIcon>
      <circle cx="12" cy="8" r="3.5" />
      <path d="M5 20c0-3.9 3.1-7 7-7s7 3.1 7 7" />
    </OutlineIcon>
  );
}

export function ImagingIcon() {
  return (
    <OutlineIcon>
      <path d="M4 8V5.5A1.5 1.5 0 0 1 5.5 4H8M16 4h2.5A1.5 1.5 0 0 1 20 5.5V8M20 16v2.5a1.5 1.5 0 0 1-1.5 1.5H16M8 20H5.5A1.5 1.5 0 0 1 4 18.5V16" />
      <circle cx="12" cy="12" r="4" />
    </OutlineIcon>
  );
}

export function DevicesIcon() {
  return (
    <OutlineIcon>
      <path d="M3 12h4l2-5 4 10 2-5h6" />
    </OutlineIcon>
  );
}

export function MarketplaceIcon() {
  return (
    <OutlineIcon>
      <path d="M5 8h14l-1.2 12H6.2z" />
      <path d="M9 8V6.5a3 3 0 0 1 6 0V8" />
    </OutlineIcon>
  );
}

export function LedgerIcon() {
  return (
    <OutlineIcon>
      <path d="M6 19V5a1.5 1.5 0 0 1 1.5-1.5H18v17H7.5A1.5 1.5 0 0 1 6 19a1.5 1.5 0 0 1 1.5-1.5H18" />
      <path d="M9.5 9.5l1.75 1.75L14.5 8" />
    </OutlineIcon>
  );
}

export function SettingsIcon() {
  return (
    <OutlineIcon>
      <path d="M4 7h9M17 7h3M4 17h3M11 17h9" />
      <circle cx="15" cy="7" r="2" />
      <circle cx="9" cy="17" r="2" />
    </OutlineIcon>
  );
}

/** A calendar-clock for "coming in a later release". */
export function PlannedIcon() {
  return (
    <OutlineIcon>
      <rect x="3.5" y="5" width="17" height="15" rx="2" />
      <path d="M3.5 9.5h17M8 3v4M16 3v4M12 13v2.5l1.75 1" />
    </OutlineIcon>
  );
}
