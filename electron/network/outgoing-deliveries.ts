import { CHUNK_DIGEST_BYTES, readChunkFile, writeChunkFile } from './chunk-files';
import { syncDir } from '../storage/durable-files';
import { createHash } from 'node:crypto';
import { mkdir, readdir, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { DELIVERY_IPC_CHUNK_SIZE } from '../../shared/ipc/network-contract';
import type { DeliveryStatus } from '../../shared/network/delivery';
import { NetworkRefusal } from './server-url';

/** Deliveries staged at once. */
export const MAX_STAGED_DELIVERIES = 4;
/** A staged delivery untouched this long is removed (at body start, and before a new one is staged). */
export const STAGED_DELIVERY_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Staging stops while the disk would keep less than this free. */
export const STAGING_MIN_FREE_BYTES = 256 * 1024 * 1024;

/** What finishing a staged delivery asks of the delivery service (network-feature.ts). */
export interface DeliveryServer {
  create(input: { readonly id: string; readonly recipient: string; readonly purchaseId: string; readonly size: number; readonly sha256: string }): Promise<DeliveryStatus>;
  chunk(id: string, index: number, bytes: Uint8Array): Promise<void>;
  complete(id: string): Promise<DeliveryStatus>;
}

interface Staged {
  /** Chunks 0..count-1 are staged. */
  count: number;
  lastSize: number;
  total: number;
}

/**
 * Outgoing deliveries staged on the body's disk (issue 15 item 5, the clinic's side): the mind seals
 * a release and hands its ciphertext over chunk by chunk as it is made (`network.deliveryStage`);
 * the body keeps each chunk under <data>/outgoing-deliveries/<id>/<index>.chunk (the chunk's SHA-256,
 * then the chunk; written to a temporary name, fsynced, renamed, the folder fsynced). The bytes are
 * sealed under a key only the mind holds. Finishing (`network.deliveryStageFinish`) checks the staged
 * chunks add up to the declared size and hash (reading them from disk one at a time), creates the
 * delivery on the server, uploads what the server lacks (a retried finish resumes), completes it and
 * removes the folder. So a release of several GB is never held whole, by the mind or the body.
 */
export class OutgoingDeliveries {
  private readonly root: string;
  private readonly known = new Map<string, Staged>();
  private readonly finishing = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly options: { readonly chunkSize?: number; readonly maxStaged?: number; readonly maxAgeMs?: number; readonly minFreeBytes?: number } = {},
  ) {
    this.root = path.join(dataDir, 'outgoing-deliveries');
  }

  private get chunkSize(): number {
    return this.options.chunkSize ?? DELIVERY_IPC_CHUNK_SIZE;
  }

  /** One change at a time (staging, aborting, sweeping). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Stages chunk `index` of delivery `id`: the next one in order from 0 (every one but the last
   * exactly the chunk size), or the last one again (replacing it). Answers the bytes staged so far.
   */
  stage(id: string, index: number, bytes: Uint8Array): Promise<{ readonly index: number; readonly staged: number }> {
    return this.serial(async () => {
      const folder = this.folder(id);
      if (!Number.isSafeInteger(index) || index < 0) throw new NetworkRefusal('E_BAD_REQUEST', 'index: not a chunk index.');
      if (bytes.length === 0 || bytes.length > this.chunkSize) throw new NetworkRefusal('E_BAD_REQUEST', `data: a chunk is 1 to ${this.chunkSize} bytes.`);
      if (this.finishing.has(id)) throw new NetworkRefusal('E_CONFLICT', 'That delivery is being finished: nothing more is staged for it.');
      let staged = this.known.get(id) ?? (await this.scan(id));
      if (staged === null) {
        await this.sweepNow();
        if ((await this.stagedIds()).length >= (this.options.maxStaged ?? MAX_STAGED_DELIVERIES)) {
          throw new NetworkRefusal('E_CONFLICT', `${this.options.maxStaged ?? MAX_STAGED_DELIVERIES} deliveries are staged already: finish or abort one first.`);
        }
        staged = { count: 0, lastSize: 0, total: 0 };
      }
      const replacing = staged.count > 0 && index === staged.count - 1;
      if (!replacing && index !== staged.count) throw new NetworkRefusal('E_CONFLICT', `index: chunk ${staged.count} is the next one to stage.`);
      if (!replacing && staged.count > 0 && staged.lastSize !== this.chunkSize) throw new NetworkRefusal('E_CONFLICT', 'A short chunk is staged already: it was the last one.');
      await this.checkFreeSpace(bytes.length);
      await mkdir(folder, { recursive: true, mode: 0o700 });
      await writeChunkFile(path.join(folder, `${index}.chunk`), bytes);
      const next: Staged = replacing ? { count: staged.count, lastSize: bytes.length, total: staged.total - staged.lastSize + bytes.length } : { count: staged.count + 1, lastSize: bytes.length, total: staged.total + bytes.length };
      this.known.set(id, next);
      return { index, staged: next.total };
    });
  }

  /**
   * Checks the staged chunks against the declared size and SHA-256, then creates the delivery, sends
   * each chunk the server does not hold yet, completes it and removes the staged folder. A refusal
   * leaves the folder (a retried finish resumes); abort removes it.
   */
  async finish(input: { readonly id: string; readonly recipient: string; readonly purchaseId: string; readonly size: number; readonly sha256: string }, server: DeliveryServer): Promise<DeliveryStatus> {
    const { id } = input;
    this.folder(id);
    if (this.finishing.has(id)) throw new NetworkRefusal('E_CONFLICT', 'That delivery is being finished already.');
    this.finishing.add(id);
    try {
      // Waits for staging in flight, then reads what is on disk.
      const staged = await this.serial(() => this.scan(id));
      if (staged === null || staged.count === 0) throw new NetworkRefusal('E_CONFLICT', 'Nothing is staged for that delivery.');
      if (staged.total !== input.size) throw new NetworkRefusal('E_CONFLICT', `size: ${staged.total} bytes are staged, not ${input.size}.`);
      const hash = createHash('sha256');
      for (let index = 0; index < staged.count; index++) hash.update(await this.readChunk(id, index));
      if (hash.digest('hex') !== input.sha256) throw new NetworkRefusal('E_CONFLICT', 'sha256: the staged chunks do not hash to it.');

      let status = await server.create(input);
      if (status.state !== 'complete') {
        if (status.chunkCount !== staged.count) throw new NetworkRefusal('E_UNAVAILABLE', 'The delivery service counts another number of chunks than are staged.');
        const held = new Set<number>();
        for (const [from, to] of status.received) for (let index = from; index < to; index++) held.add(index);
        for (let index = 0; index < staged.count; index++) {
          if (!held.has(index)) await server.chunk(id, index, await this.readChunk(id, index));
        }
        status = await server.complete(id);
      }
      await this.serial(() => this.remove(id));
      return status;
    } finally {
      this.finishing.delete(id);
    }
  }

  /** Removes a staged delivery (nothing staged: nothing to do). */
  abort(id: string): Promise<void> {
    this.folder(id);
    if (this.finishing.has(id)) return Promise.reject(new NetworkRefusal('E_CONFLICT', 'That delivery is being finished.'));
    return this.serial(() => this.remove(id));
  }

  /** Removes staged deliveries untouched for longer than a day (and any stray file). */
  sweep(): Promise<number> {
    return this.serial(() => this.sweepNow());
  }

  private async sweepNow(): Promise<number> {
    const maxAge = this.options.maxAgeMs ?? STAGED_DELIVERY_MAX_AGE_MS;
    let removed = 0;
    for (const name of await this.entries()) {
      if (this.finishing.has(name)) continue;
      const folder = path.join(this.root, name);
      const info = await stat(folder).catch(() => null);
      if (info === null) continue;
      if (info.isDirectory() && /^[0-9a-f]{32}$/.test(name) && Date.now() - info.mtimeMs <= maxAge) continue;
      await rm(folder, { recursive: true, force: true });
      this.known.delete(name);
      removed++;
    }
    if (removed > 0) await syncDir(this.root);
    return removed;
  }

  private async remove(id: string): Promise<void> {
    this.known.delete(id);
    const folder = this.folder(id);
    await rm(folder, { recursive: true, force: true });
    await syncDir(this.root).catch(() => undefined);
  }

  private async entries(): Promise<string[]> {
    try {
      return await readdir(this.root);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return [];
      throw error;
    }
  }

  private async stagedIds(): Promise<string[]> {
    return (await this.entries()).filter((name) => /^[0-9a-f]{32}$/.test(name));
  }

  /** What is staged for `id` on disk (the chunks 0..n-1 in order; a file beyond a gap is removed), or null without a folder. */
  private async scan(id: string): Promise<Staged | null> {
    const folder = this.folder(id);
    let names: string[];
    try {
      names = await readdir(folder);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') {
        this.known.delete(id);
        return null;
      }
      throw error;
    }
    const indexes = new Set(names.map((name) => /^(0|[1-9][0-9]*)\.chunk$/.exec(name)?.[1]).filter((n): n is string => n !== undefined).map(Number));
    const staged: Staged = { count: 0, lastSize: 0, total: 0 };
    while (indexes.has(staged.count)) {
      const size = (await stat(path.join(folder, `${staged.count}.chunk`))).size - CHUNK_DIGEST_BYTES;
      if (size < 1 || size > this.chunkSize || (staged.count > 0 && staged.lastSize !== this.chunkSize)) break;
      staged.count++;
      staged.lastSize = size;
      staged.total += size;
    }
    for (const name of names) {
      const index = /^(0|[1-9][0-9]*)\.chunk$/.exec(name)?.[1];
      if (index === undefined || Number(index) >= staged.count) await rm(path.join(folder, name), { force: true });
    }
    this.known.set(id, staged);
    return staged;
  }

  /** A staged chunk, checked against the hash in front of it. */
  private async readChunk(id: string, index: number): Promise<Uint8Array> {
    const staged = await readChunkFile(path.join(this.folder(id), `${index}.chunk`), this.chunkSize);
    if (staged === null) throw new NetworkRefusal('E_CONFLICT', `Staged chunk ${index} is damaged: abort the delivery and stage it again.`);
    return staged.bytes;
  }

  private async checkFreeSpace(bytes: number): Promise<void> {
    const minFree = this.options.minFreeBytes ?? STAGING_MIN_FREE_BYTES;
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const info = await statfs(this.root).catch(() => null);
    if (info !== null && info.bavail * info.bsize - bytes < minFree) throw new NetworkRefusal('E_CONFLICT', 'The disk is nearly full: a delivery is not staged.');
  }

  /** The staged delivery's folder, built only from an id that passes the contract's rule. */
  private folder(id: string): string {
    if (!/^[0-9a-f]{32}$/.test(id)) throw new NetworkRefusal('E_BAD_REQUEST', 'id: not a delivery id.');
    return path.join(this.root, id);
  }
}


function codeOf(error: unknown): string | undefined {
  return (error as { code?: string } | null)?.code;
}
