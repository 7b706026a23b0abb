import type { z } from 'zod';
import type { WireResult } from './errors';
import { appEvents, appMethods } from './app-contract';
import { demoEvents, demoMethods } from './demo-contract';
import { dicomMethods } from './dicom-contract';
import { devicesEvents, devicesMethods } from './devices-contract';
import { hl7Events, hl7Methods } from './hl7-contract';
import { intakeEvents, intakeMethods } from './intake-contract';
import { journalEvents, journalMethods, objectMethods } from './journal-contract';
import { ledgerMethods } from './ledger-contract';
import { networkEvents, networkMethods } from './network-contract';
import type { EventSpec, MethodSpec } from './method';
import type { EVENT_NAME_LIST, METHOD_NAME_LIST } from './names';
import { prefsEvents, prefsMethods } from './prefs-contract';
import { backupEvents, backupMethods, vaultEvents, vaultMethods } from './vault-contract';

/**
 * The body ↔ mind contract: one typed map, composed from one small piece per feature.
 * Method names are `<feature>.<verb>`; the feature becomes the namespace of the typed API
 * (`api.prefs.update(...)`). Every request is validated by the body before a handler runs.
 */
export const methods = {
  ...appMethods,
  ...prefsMethods,
  ...vaultMethods,
  ...backupMethods,
  ...journalMethods,
  ...objectMethods,
  ...demoMethods,
  ...intakeMethods,
  ...hl7Methods,
  ...devicesMethods,
  ...dicomMethods,
  ...ledgerMethods,
  ...networkMethods,
} as const satisfies Record<string, MethodSpec>;

export const events = {
  ...appEvents,
  ...prefsEvents,
  ...vaultEvents,
  ...backupEvents,
  ...journalEvents,
  ...demoEvents,
  ...intakeEvents,
  ...hl7Events,
  ...devicesEvents,
  ...networkEvents,
} as const satisfies Record<string, EventSpec>;

export type Methods = typeof methods;
export type MethodName = keyof Methods & string;
export type Events = typeof events;
export type EventName = keyof Events & string;

/** What a caller may send (before defaults) and what a handler receives (after parsing). */
export type RequestOf<M extends MethodName> = z.input<Methods[M]['request']>;
export type ParsedRequestOf<M extends MethodName> = z.output<Methods[M]['request']>;
export type ResponseOf<M extends MethodName> = z.output<Methods[M]['response']>;
export type EventPayloadOf<E extends EventName> = z.output<Events[E]['payload']>;

// names.ts must list exactly the names of the maps above; either line fails to compile otherwise.
type SameNames<A extends string, B extends string> = [Exclude<A, B> | Exclude<B, A>] extends [never] ? true : Exclude<A, B> | Exclude<B, A>;
const _methodNamesListed: SameNames<MethodName, (typeof METHOD_NAME_LIST)[number]> = true;
const _eventNamesListed: SameNames<EventName, (typeof EVENT_NAME_LIST)[number]> = true;
void _methodNamesListed;
void _eventNamesListed;

export const METHOD_NAMES = Object.keys(methods) as readonly MethodName[];
export const EVENT_NAMES = Object.keys(events) as readonly EventName[];

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(events, name);
}

type NamespaceOf<M extends string> = M extends `${infer NS}.${string}` ? NS : never;
export type Namespace = NamespaceOf<MethodName>;

/** `prefs.update` → `update`, for the methods of one namespace. */
type VerbsOf<NS extends string> = {
  [M in MethodName as M extends `${NS}.${infer Verb}` ? Verb : never]: M;
};

export function splitMethodName(name: MethodName): { namespace: Namespace; verb: string } {
  const dot = name.indexOf('.');
  return { namespace: name.slice(0, dot) as Namespace, verb: name.slice(dot + 1) };
}

/** The typed API the renderer programs against, identical on both hosts. */
export type HdmsApi = {
  readonly [NS in Namespace]: {
    readonly [V in keyof VerbsOf<NS>]: VerbsOf<NS>[V] extends MethodName
      ? (request: RequestOf<VerbsOf<NS>[V]>) => Promise<ResponseOf<VerbsOf<NS>[V]>>
      : never;
  };
};

/**
 * The shape the Electron preload exposes on `window.hdms`: the same namespaces, but each call
 * answers with a wire result, because contextBridge cannot carry a typed error.
 */
export type HdmsBridge = {
  readonly [NS in Namespace]: {
    readonly [V in keyof VerbsOf<NS>]: VerbsOf<NS>[V] extends MethodName
      ? (request: RequestOf<VerbsOf<NS>[V]>) => Promise<WireResult<ResponseOf<VerbsOf<NS>[V]>>>
      : never;
  };
} & {
  readonly events: {
    /** Subscribes to one body → mind push; returns the unsubscribe function. */
    on<E extends EventName>(name: E, listener: (payload: EventPayloadOf<E>) => void): () => void;
  };
};
