import type { HostKind } from '../../shared/domain/host';

/** The host in words a clinic's IT staff use. */
export function hostLabel(host: HostKind): string {
  switch (host) {
    case 'electron':
      return 'Desktop app';
    case 'shell':
      return 'Browser shell';
  }
}

const PLATFORM_NAMES: Readonly<Record<string, string>> = {
  win32: 'Windows',
  darwin: 'macOS',
  linux: 'Linux',
  freebsd: 'FreeBSD',
};

/** Node's `process.platform` name in words; an unknown name is shown as is. */
export function platformLabel(platform: string): string {
  return PLATFORM_NAMES[platform] ?? platform;
}
