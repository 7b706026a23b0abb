import type { OperatorSessions } from '../auth/operator-sessions';
import type { SerialQueue } from '../async/serial-queue';
import type { BodyConfig } from '../body';
import type { BodyEvents } from '../ipc/body-events';
import type { Logger } from '../logging/logger';
import type { AppendNotifier } from '../vault/append-notifier';
import type { KeyringStore } from '../vault/keyring-store';
import type { VaultHost } from '../vault/vault-host';

/** What every body feature may use: the body's shared services, nothing feature-specific. */
export interface BodyServices {
  readonly config: BodyConfig;
  readonly log: Logger;
  readonly events: BodyEvents;
  readonly vault: VaultHost;
  readonly keyrings: KeyringStore;
  /** Create, restore, erase and export run one at a time: each needs the vault to hold still. */
  readonly vaultLock: SerialQueue;
  readonly notifier: AppendNotifier;
  /** The operator sessions, per connection: who is asking (design §1). */
  readonly sessions: OperatorSessions;
  /** False once the body is stopping. */
  readonly isRunning: () => boolean;
}

/** Bytes sent inline by the mind (base64url, already length-checked by the contract). */
export function decodeInline(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'base64url'));
}
