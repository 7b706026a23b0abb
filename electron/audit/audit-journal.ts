import { hostname } from 'node:os';
import type { HostKind } from '../../shared/domain/host';
import { AUDIT_KINDS } from '../../shared/journal/journal-kinds';
import type { ExportAuditMeta, SessionAuditMeta, SettingsAuditMeta } from '../../shared/journal/audit-meta';
import type { Logger } from '../logging/logger';
import type { VaultHost } from '../vault/vault-host';

/** This computer as the audit trail names it: its host name and which app window asked. */
export function workstationName(host: HostKind, name: string = hostname()): string {
  const safe = name.replace(/[^\w.-]/g, '').slice(0, 253) || 'unknown computer';
  return `${safe} (${host === 'electron' ? 'desktop app' : 'browser shell'})`;
}

type Without<T> = Omit<T, 'v' | 'workstation' | 'at'>;

/**
 * The body's audit records (journal-kinds.ts AUDIT_KINDS; metas in shared/journal/audit-meta.ts):
 * sealed to the vault's intake public key and appended like intake, durable before the call
 * returns. The body holds no key that signs ledger entries (the node's identity key comes from the
 * master secret); the next administrator's or clinician's session signs an entry for each record.
 */
export class AuditJournal {
  readonly workstation: string;

  constructor(
    private readonly vault: VaultHost,
    private readonly log: Logger,
    host: HostKind,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.workstation = workstationName(host);
  }

  /** `at`: when it happened, if not now (a failed unlock is settled after its attempt began). */
  session(meta: Without<SessionAuditMeta>, at: Date = this.now()): Promise<number> {
    return this.append(AUDIT_KINDS.session, { v: 1, ...meta, workstation: this.workstation, at: at.toISOString() } satisfies SessionAuditMeta);
  }

  exported(meta: Without<ExportAuditMeta>): Promise<number> {
    return this.append(AUDIT_KINDS.exported, { v: 1, ...meta, workstation: this.workstation, at: this.now().toISOString() } satisfies ExportAuditMeta);
  }

  /**
   * An administrator's settings change (`audit.settings`), journaled before the call answers so a
   * change is never left unrecorded silently: a failure here fails the call.
   */
  settingsChanged(meta: Without<SettingsAuditMeta>): Promise<number> {
    return this.append(AUDIT_KINDS.settings, { v: 1, ...meta, workstation: this.workstation, at: this.now().toISOString() } satisfies SettingsAuditMeta);
  }

  /** For events nobody waits for (a closed window): a failure is logged (ids only), never thrown. */
  sessionInBackground(meta: Without<SessionAuditMeta>, at?: Date): void {
    this.session(meta, at).catch((error: unknown) => {
      this.log.warn({ event: meta.event, code: (error as { code?: unknown }).code }, 'audit record could not be journaled');
    });
  }

  private async append(kind: string, meta: SessionAuditMeta | ExportAuditMeta | SettingsAuditMeta): Promise<number> {
    const open = await this.vault.require();
    const sealed = await open.sealer.seal('journalMetadata', new TextEncoder().encode(JSON.stringify(meta)));
    const { seq } = await open.storage.journal.append({ kind, operator: null, objects: [], meta: Buffer.from(sealed).toString('base64url') });
    open.onDurable(seq);
    return seq;
  }
}
