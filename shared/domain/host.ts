/** Which host runs the body: the Electron desktop app or the browser shell. Same features in both. */
export const HOST_KINDS = ['electron', 'shell'] as const;
export type HostKind = (typeof HOST_KINDS)[number];
