import path from 'node:path';
import { DEFAULT_DICOM_SETTINGS, DicomSettingsSchema, type DicomSettings } from '../../../shared/ipc/dicom-contract';
import { readTextIfExists, writeFileAtomic } from '../../storage/durable-files';
import { IntakeSettingsError, isLoopbackAddress, localAddressProblem, thisComputersAddresses } from '../intake-settings';

/** `<data>/dicom-settings.json`: the DICOM receiver's settings (no PHI: AE titles, addresses, limits). */
export const DICOM_SETTINGS_FILE = 'dicom-settings.json';

interface Logger {
  warn(object: object, message: string): void;
}

/** The rules beyond the schema: a LAN bind needs an allow-list of calling AE titles with their addresses. */
export function dicomSettingsProblem(settings: DicomSettings): string | null {
  if (!isLoopbackAddress(settings.bindAddress) && settings.allowedCallers.length === 0) {
    // Named by the field's label as the settings form shows it, not by the contract's key.
    return `Allowed callers: listening on ${settings.bindAddress} lets other computers connect; list the calling AE titles allowed to send, each with its IP address, or bind to 127.0.0.1.`;
  }
  return null;
}

/** Loads and saves the DICOM settings (atomic replace: a crash leaves the old or the new file). */
export class DicomSettingsStore {
  private current: DicomSettings = DEFAULT_DICOM_SETTINGS;
  readonly file: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
    /** This computer's addresses, read when settings are saved (tests give their own). */
    private readonly localAddresses: () => readonly string[] = thisComputersAddresses,
  ) {
    this.file = path.join(dataDir, DICOM_SETTINGS_FILE);
  }

  /** Reads the file; a missing file means the defaults, an unreadable one the defaults with a warning. */
  async load(): Promise<DicomSettings> {
    const text = await readTextIfExists(this.file);
    if (text === null) {
      this.current = DEFAULT_DICOM_SETTINGS;
      return this.current;
    }
    try {
      const parsed = DicomSettingsSchema.safeParse({ ...DEFAULT_DICOM_SETTINGS, ...(JSON.parse(text) as object) });
      if (!parsed.success || dicomSettingsProblem(parsed.data) !== null) throw new Error('invalid');
      this.current = parsed.data;
    } catch {
      this.log.warn({ file: DICOM_SETTINGS_FILE }, 'DICOM settings file is not valid; using the defaults (the receiver binds to 127.0.0.1 only)');
      this.current = DEFAULT_DICOM_SETTINGS;
    }
    return this.current;
  }

  get(): DicomSettings {
    return this.current;
  }

  /** Merges, validates as a whole, saves; throws IntakeSettingsError (E_BAD_REQUEST) with the reason when refused. */
  async update(change: Partial<DicomSettings>): Promise<DicomSettings> {
    const merged = DicomSettingsSchema.safeParse({ ...this.current, ...change });
    if (!merged.success) throw new IntakeSettingsError('The DICOM settings are not valid.');
    // A bind address kept as it was is not checked again: the network it names may be down for now.
    const problem = dicomSettingsProblem(merged.data) ?? (merged.data.bindAddress === this.current.bindAddress ? null : localAddressProblem(merged.data.bindAddress, this.localAddresses()));
    if (problem !== null) throw new IntakeSettingsError(problem);
    await writeFileAtomic(this.file, `${JSON.stringify(merged.data, null, 2)}\n`);
    this.current = merged.data;
    return merged.data;
  }
}

/** `--dicom-port N`: 0 (disabled) to 65535; throws IntakeSettingsError for anything else. */
export function parseDicomPort(text: string): number {
  if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
    throw new IntakeSettingsError(`--dicom-port must be a number from 0 (disabled) to 65535, not "${text.slice(0, 20)}".`);
  }
  return Number(text);
}

/** `--dicom-port N` / `--dicom-port=N` in a process's arguments (the Electron app's argv); null when absent. */
export function dicomPortFromArgv(argv: readonly string[]): number | null {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--dicom-port') value = argv[i + 1] ?? '';
    else if (arg.startsWith('--dicom-port=')) value = arg.slice('--dicom-port='.length);
  }
  return value === undefined ? null : parseDicomPort(value);
}
