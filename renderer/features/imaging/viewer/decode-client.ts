import type { InstanceSource, RangedInstanceSource } from '../../../vault/vault-service';
import type { DecodeAnswer, DecodeRequest, InstanceInput, InstanceOverview, ReadReply, ReadRequest } from './decode/decode-protocol';
import type { TagRow } from '../../../../shared/dicom/tag-list';
import type { DecodedFrame } from './pixels/pixel-module';

type Pending = { resolve: (answer: DecodeAnswer & { ok: true }) => void; reject: (error: Error) => void };
type Without<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** Ranged instances whose readers the page keeps for the worker (it keeps fewer opened: see InstanceDecoder). */
const MAX_RANGED_READERS = 32;

/**
 * A decode worker as the main thread's side sees it: requests with ids, answers as promises. The
 * worker starts with `warm` (or the first request after it) and is kept between studies (`reset`
 * makes it forget what it opened; starting a worker costs a study's first image tens of ms);
 * `terminate` ends it, fails what was pending and refuses requests until `warm` is called again.
 */
export class DecodeClient {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** The sealed-range readers of the ranged instances the worker opened, least recently opened first. */
  private readonly readers = new Map<string, RangedInstanceSource['readSealed']>();

  /** Starts the worker ahead of the first request (its script and module graph load meanwhile). */
  warm(): void {
    this.closed = false;
    this.started();
  }

  private started(): Worker {
    if (this.worker !== null) return this.worker;
    const worker = new Worker(new URL('./decode/dicom-decode-worker.ts', import.meta.url), { type: 'module', name: 'dicom-decode' });
    worker.addEventListener('message', (event: MessageEvent<DecodeAnswer | ReadRequest>) => {
      if ('kind' in event.data) {
        this.answerRead(worker, event.data);
        return;
      }
      const entry = this.pending.get(event.data.id);
      if (entry === undefined) return;
      this.pending.delete(event.data.id);
      if (event.data.ok) entry.resolve(event.data);
      else entry.reject(new Error(event.data.message));
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      this.stop(new Error('The image decoder stopped.'));
    });
    this.worker = worker;
    return worker;
  }

  /** Reads sealed bytes the worker asked for, with the reader its instance came with. */
  private answerRead(worker: Worker, request: ReadRequest): void {
    const reader = this.readers.get(request.key);
    const reply = (message: ReadReply, transfer: Transferable[] = []) => worker.postMessage(message, transfer);
    if (reader === undefined) {
      reply({ kind: 'read-reply', readId: request.readId, message: 'The instance is no longer open in the decoder.' });
      return;
    }
    const started = performance.now();
    reader(request.offset, request.length).then(
      (bytes) => {
        // Timings only (no identifiers), for the benchmark's breakdown.
        performance.measure('hdms-viewer:range-read', { start: started });
        const owned = ownBuffer(bytes);
        reply({ kind: 'read-reply', readId: request.readId, bytes: owned }, [owned]);
      },
      (error: unknown) => reply({ kind: 'read-reply', readId: request.readId, message: error instanceof Error ? error.message : 'The instance could not be read.' }),
    );
  }

  private stop(reason: Error): void {
    this.worker?.terminate();
    this.worker = null;
    for (const entry of this.pending.values()) entry.reject(reason);
    this.pending.clear();
    this.readers.clear();
  }

  private ask<T extends Extract<DecodeAnswer, { ok: true }>['type']>(request: Without<DecodeRequest, 'id'>, transfer: Transferable[] = []): Promise<Extract<DecodeAnswer, { type: T; ok: true }>> {
    if (this.closed) return Promise.reject(new Error('The image decoder was closed.'));
    const worker = this.started();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as Pending['resolve'], reject });
      worker.postMessage({ ...request, id }, transfer);
    });
  }

  /**
   * Parses an instance and decodes its first frame when asked. Its bytes (or its envelope, which
   * the worker decrypts with the data key) move to the worker: the caller's array is emptied.
   */
  async open(key: string, source: InstanceSource, decodeFirst: boolean): Promise<InstanceOverview> {
    if (!(source instanceof Uint8Array) && 'kind' in source) {
      this.readers.delete(key);
      this.readers.set(key, (offset, length) => source.readSealed(offset, length));
      while (this.readers.size > MAX_RANGED_READERS) this.readers.delete(this.readers.keys().next().value!);
      const head = ownBuffer(source.head);
      const input: InstanceInput = { kind: 'ranged', head, sealedSize: source.sealedSize, dataKey: source.dataKey, readWholeUpTo: source.readWholeUpTo };
      return (await this.ask<'open'>({ type: 'open', key, input, decodeFirst }, [head])).overview;
    }
    const owned = ownBuffer(source instanceof Uint8Array ? source : source.envelope);
    const input: InstanceInput = source instanceof Uint8Array ? { kind: 'open', bytes: owned } : { kind: 'sealed', envelope: owned, dataKey: source.dataKey };
    return (await this.ask<'open'>({ type: 'open', key, input, decodeFirst }, [owned])).overview;
  }

  async frame(key: string, frame: number): Promise<DecodedFrame> {
    const started = performance.now();
    const answer = await this.ask<'frame'>({ type: 'frame', key, frame });
    performance.measure('hdms-viewer:worker-frame', { start: started });
    return answer.frame;
  }

  async tags(key: string): Promise<readonly TagRow[]> {
    return (await this.ask<'tags'>({ type: 'tags', key })).rows;
  }

  /** The worker forgets every instance it opened; it stays started for the next study. */
  async reset(): Promise<void> {
    this.readers.clear();
    if (this.worker === null) return;
    await this.ask<'reset'>({ type: 'reset' });
  }

  terminate(): void {
    this.closed = true;
    this.stop(new Error('The image decoder was closed.'));
  }
}

/** A buffer holding exactly these bytes, to transfer (a view into a larger one is copied). */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  return (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice()).buffer as ArrayBuffer;
}

let shared: DecodeClient | null = null;

/** The one decode worker of the page, shared by the viewer's successive studies. */
export function sharedDecodeClient(): DecodeClient {
  shared ??= new DecodeClient();
  return shared;
}
