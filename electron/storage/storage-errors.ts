/**
 * Errors of the storage layer. Messages are written for IT: they name the folder and the
 * operating-system code, never any content (the storage layer only ever sees sealed bytes anyway).
 */
export type StorageErrorCode =
  | 'E_DISK_FULL' // ENOSPC / EDQUOT: free space, then retry
  | 'E_PERMISSION' // EACCES / EPERM / EROFS: the account running HDMS Node cannot write the folder
  | 'E_JOURNAL_CORRUPT' // damage that is not a torn tail: refused, never truncated silently
  | 'E_CLOSED' // used after close()
  | 'E_NOT_FOUND' // no object with that id
  | 'E_INVALID' // a caller error: bad object id, unsealed bytes, a record over the size cap, a bad kind
  | 'E_IO'; // any other operating-system failure

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    readonly details: Readonly<{ folder?: string; offset?: number; osCode?: string }> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

const DISK_FULL = new Set(['ENOSPC', 'EDQUOT']);
const PERMISSION = new Set(['EACCES', 'EPERM', 'EROFS']);

/** The operating-system code of an fs error (`ENOSPC`…), if it has one. */
export function osCodeOf(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps an fs failure to a StorageError whose message tells IT what happened where, e.g.
 * "The disk holding /data/vault/journal is full (ENOSPC) while appending to the journal."
 */
export function toStorageError(error: unknown, folder: string, action: string): StorageError {
  if (error instanceof StorageError) return error;
  const osCode = osCodeOf(error);
  const details = { folder, ...(osCode === undefined ? {} : { osCode }) };
  if (osCode !== undefined && DISK_FULL.has(osCode)) {
    return new StorageError('E_DISK_FULL', `The disk holding ${folder} is full (${osCode}) while ${action}. Free disk space; nothing that failed was acknowledged.`, details, { cause: error });
  }
  if (osCode !== undefined && PERMISSION.has(osCode)) {
    return new StorageError('E_PERMISSION', `No permission to use ${folder} (${osCode}) while ${action}. Give the account running HDMS Node read and write access to this folder.`, details, { cause: error });
  }
  if (osCode === 'ENOENT') {
    return new StorageError('E_IO', `A file or folder under ${folder} is missing (ENOENT) while ${action}.`, details, { cause: error });
  }
  return new StorageError('E_IO', `Input/output failure in ${folder} (${osCode ?? (error as Error | undefined)?.name ?? 'unknown'}) while ${action}.`, details, { cause: error });
}
