import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { StoredNetworkStateSchema, type StoredNetworkState } from '../../shared/ipc/network-contract';
import { readTextIfExists, writeFileAtomic } from '../storage/durable-files';

const StoredSchema = z.strictObject({
  v: z.literal(1),
  state: StoredNetworkStateSchema,
  /** The ETag of the map in `state.map`, for If-None-Match. */
  etag: z.string().max(200).nullable(),
});
type Stored = z.infer<typeof StoredSchema>;

/**
 * `<data>/network/membership.json`: the network this node joined (URL, the pinned key, its
 * certificate, the last verified map's members). Public facts about institutions, no PHI; written
 * atomically. A file that does not parse is reported (the node then shows no network) and left for
 * IT to inspect, never overwritten by a read.
 */
export class NetworkStore {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, 'network', 'membership.json');
  }

  async read(): Promise<Stored | null> {
    const text = await readTextIfExists(this.file);
    if (text === null) return null;
    const parsed = StoredSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error('network/membership.json is not a membership record of this version');
    return parsed.data;
  }

  async write(state: StoredNetworkState, etag: string | null): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.file, `${JSON.stringify({ v: 1, state, etag } satisfies Stored, null, 2)}\n`);
  }
}
