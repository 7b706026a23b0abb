/**
 * The contract's method and event names as plain constants, with no schema library behind them,
 * for code that must stay tiny: the sandboxed preload may require nothing but 'electron'.
 * contract.ts checks at compile time that these lists and its schema maps hold the same names.
 */
export const METHOD_NAME_LIST = ['app.info', 'prefs.get', 'prefs.update', 'vault.status', 'intake.status'] as const;
export const EVENT_NAME_LIST = ['app.stopping', 'prefs.changed', 'intake.statusChanged'] as const;
