import { Refusal } from '../errors/refusal';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_INTAKE_SETTINGS, IntakeSettingsSchema, type IntakeSettings } from '../../shared/ipc';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';

/** `<data>/intake-settings.json`: the HL7 listener's settings (no PHI: ports, addresses, limits). */
export const INTAKE_SETTINGS_FILE = 'intake-settings.json';

/** Settings that break a rule (a bad bind address, a port in use…): answered as E_BAD_REQUEST. */
export class IntakeSettingsError extends Refusal {
  constructor(message: string) {
    super('E_BAD_REQUEST', message);
  }
}

interface Logger {
  warn(object: object, message: string): void;
}

/** True for 127.0.0.0/8, ::1 and ::ffff:127.x: this computer only. */
export function isLoopbackAddress(address: string): boolean {
  const lower = address.trim().toLowerCase();
  const v4 = lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
  return v4 === '::1' || v4 === '0:0:0:0:0:0:0:1' || /^127\./.test(v4);
}

/**
 * The rules beyond the schema: listening beyond this computer needs an explicit list of the
 * systems allowed to connect. Returns the problem in words, or null.
 */
export function settingsProblem(settings: IntakeSettings): string | null {
  if (!isLoopbackAddress(settings.bindAddress) && settings.allowedPeers.length === 0) {
    // Named by the field's label as the settings form shows it, not by the contract's key.
    return `Allowed peers: listening on ${settings.bindAddress} lets other computers connect; list the IP addresses of the systems allowed to send, or bind to 127.0.0.1.`;
  }
  return null;
}

/** An IP address in one spelling: IPv6 compressed and lower case, an IPv4-mapped IPv6 address as its IPv4 form. */
function canonicalAddress(address: string): string {
  const trimmed = address.trim().toLowerCase().replace(/%.*$/, '');
  if (!trimmed.includes(':')) return trimmed;
  try {
    const host = new URL(`http://[${trimmed}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped !== null) {
      const high = parseInt(mapped[1]!, 16);
      const low = parseInt(mapped[2]!, 16);
      return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
    }
    return host;
  } catch {
    return trimmed;
  }
}

/** The IP addresses of this computer's network interfaces, as the OS reports them now. */
export function thisComputersAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((entries) => (entries ?? []).map((entry) => entry.address));
}

/**
 * For a listener bound to every address (0.0.0.0: IPv4; ::, also IPv6), the addresses of this
 * computer a sending system can be given, others than loopback first, once each, at most 8: what
 * the first-feed step lists (QA s32 #8). IPv6 link-local addresses are left out (they need a zone).
 * Empty for a listener bound to one address: that address is the one to give.
 */
export function reachableAddresses(bindAddress: string, local: readonly string[] = thisComputersAddresses()): string[] {
  const bound = canonicalAddress(bindAddress);
  if (bound !== '0.0.0.0' && bound !== '::') return [];
  const own = [...new Set(local.map(canonicalAddress))].filter(
    (address) => address !== '0.0.0.0' && address !== '::' && !/^fe[89ab][0-9a-f]:/.test(address) && (bound === '::' || !address.includes(':')),
  );
  const rank = (address: string): number => (isLoopbackAddress(address) ? 2 : 0) + (address.includes(':') ? 1 : 0);
  return own
    .map((address, index) => ({ address, index }))
    .sort((a, b) => rank(a.address) - rank(b.address) || a.index - b.index)
    .map(({ address }) => address)
    .slice(0, 8);
}

/**
 * A listener can only bind to an address this computer has (else EADDRNOTAVAIL, and nothing can
 * connect until the settings change): loopback, the wildcards 0.0.0.0 and ::, or one of its
 * interfaces' addresses. Checked when settings are saved, not when they are loaded: at start-up a
 * network may come up after the app. Returns the problem in words (prefixed with the field's
 * label, as the forms show it), or null.
 */
export function localAddressProblem(bindAddress: string, local: readonly string[] = thisComputersAddresses()): string | null {
  const wanted = canonicalAddress(bindAddress);
  if (wanted === '0.0.0.0' || wanted === '::' || isLoopbackAddress(wanted)) return null;
  const own = local.map(canonicalAddress);
  if (own.includes(wanted)) return null;
  const offered = [...new Set(own.filter((address) => address !== '0.0.0.0' && address !== '::' && !isLoopbackAddress(address)))].slice(0, 8);
  const choice = offered.length === 0 ? '' : ` or one of its addresses: ${offered.join(', ')}`;
  return `Bind address: ${bindAddress.trim()} is not an address of this computer, so nothing could connect to it. Use 127.0.0.1 (this computer only), 0.0.0.0 (every network of this computer)${choice}.`;
}

/** Loads and saves the intake settings (atomic replace: a crash leaves the old or the new file). */
export class IntakeSettingsStore {
  private current: IntakeSettings = DEFAULT_INTAKE_SETTINGS;
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
    /** This computer's addresses, read when settings are saved (tests give their own). */
    private readonly localAddresses: () => readonly string[] = thisComputersAddresses,
  ) {
    this.file = path.join(dataDir, INTAKE_SETTINGS_FILE);
  }

  /** Reads the file; a missing file means the defaults, an unreadable one the defaults with a warning. */
  async load(): Promise<IntakeSettings> {
    const text = await readTextIfExists(this.file);
    if (text === null) {
      this.current = DEFAULT_INTAKE_SETTINGS;
      return this.current;
    }
    try {
      const parsed = IntakeSettingsSchema.safeParse({ ...DEFAULT_INTAKE_SETTINGS, ...(JSON.parse(text) as object) });
      if (!parsed.success || settingsProblem(parsed.data) !== null) throw new Error('invalid');
      this.current = parsed.data;
    } catch {
      this.log.warn({ file: INTAKE_SETTINGS_FILE }, 'intake settings file is not valid; using the defaults (the HL7 listener binds to 127.0.0.1 only)');
      this.current = DEFAULT_INTAKE_SETTINGS;
    }
    return this.current;
  }

  get(): IntakeSettings {
    return this.current;
  }

  /** Merges, validates as a whole, saves; throws IntakeSettingsError with the reason when refused. */
  async update(change: Partial<IntakeSettings>): Promise<IntakeSettings> {
    const merged = IntakeSettingsSchema.safeParse({ ...this.current, ...change });
    if (!merged.success) throw new IntakeSettingsError('The intake settings are not valid.');
    const next: IntakeSettings = { ...merged.data, allowedPeers: [...new Set(merged.data.allowedPeers.map((peer) => peer.toLowerCase()))] };
    const problem = settingsProblem(next) ?? (next.bindAddress === this.current.bindAddress ? null : localAddressProblem(next.bindAddress, this.localAddresses()));
    if (problem !== null) throw new IntakeSettingsError(problem);
    await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
    this.current = next;
    return next;
  }
}

/**
 * `--mllp-port N` / `--mllp-port=N` in a process's arguments (the Electron app's argv): the HL7
 * listener's port for this run (0 = disabled). Null when absent; throws for a bad value.
 */
export function mllpPortFromArgv(argv: readonly string[]): number | null {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--mllp-port') value = argv[i + 1] ?? '';
    else if (arg.startsWith('--mllp-port=')) value = arg.slice('--mllp-port='.length);
  }
  if (value === undefined) return null;
  return parseMllpPort(value);
}

export function parseMllpPort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new IntakeSettingsError(`--mllp-port must be a number from 0 (disabled) to 65535, not "${text.slice(0, 20)}".`);
  }
  return Number(text);
}
