import type { CallContext } from '../ipc/contract-router';
import type { BodyServices } from '../features/body-services';
import type { AuditedSetting, SettingChange } from '../../shared/journal/audit-meta';
import type { OperatorRoleName } from '../../shared/ipc/vault-contract';
import { AuditJournal } from './audit-journal';

/** Who saves a setting: the calling session's account and role (never a value from the payload). */
export interface SettingsActor {
  readonly operatorId: string;
  readonly role: OperatorRoleName;
}

/**
 * The journal of body settings changes (`audit.settings`, a SETTINGS_CHANGE ledger entry each):
 * a handler takes the actor from its call's session before it changes anything, then records what
 * changed. A save that changed nothing records nothing.
 */
export class SettingsAudit {
  private readonly audit: AuditJournal;

  constructor(private readonly services: Pick<BodyServices, 'vault' | 'log' | 'config' | 'sessions'>) {
    this.audit = new AuditJournal(services.vault, services.log, services.config.host);
  }

  /** The session's operator; refused like a locked vault when the connection has no session. */
  actorOf(context: CallContext): SettingsActor {
    const operatorId = this.services.sessions.actorOf(context);
    return { operatorId, role: this.services.sessions.get(context.connectionId)!.role };
  }

  async record(actor: SettingsActor, setting: AuditedSetting, changes: readonly SettingChange[]): Promise<void> {
    if (changes.length === 0) return;
    await this.audit.settingsChanged({ setting, operatorId: actor.operatorId, role: actor.role, changes: [...changes] });
    this.services.log.info({ setting, fields: changes.map((change) => change.field) }, 'settings change journaled');
  }
}
