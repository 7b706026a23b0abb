export * from './contract';
export * from './errors';
export * from './api-client';
export * from './app-contract';
export * from './prefs-contract';
export * from './vault-contract';
export * from './intake-contract';
