/**
 * The contract's method and event names as plain constants, with no schema library behind them,
 * for code that must stay tiny: the sandboxed preload may require nothing but 'electron'.
 * contract.ts checks at compile time that these lists and its schema maps hold the same names.
 */
export const METHOD_NAME_LIST = [
  'app.info',
  'prefs.get',
  'prefs.update',
  'vault.status',
  'vault.keyring',
  'vault.create',
  'vault.updateKeyring',
  'vault.unlockThrottle',
  'vault.reportUnlock',
  'vault.keychainStatus',
  'vault.keychainStore',
  'vault.keychainLoad',
  'vault.keychainClear',
  'vault.erase',
  'backup.export',
  'backup.inspect',
  'backup.restore',
  'journal.read',
  'journal.append',
  'objects.read',
  'demo.import',
  'intake.status',
  'ledger.append',
  'ledger.exportBegin',
  'ledger.exportAppend',
  'ledger.exportFinish',
  'ledger.exportAbort',
] as const;
export const EVENT_NAME_LIST = [
  'app.stopping',
  'prefs.changed',
  'vault.changed',
  'journal.appended',
  'demo.progress',
  'intake.statusChanged',
] as const;
