import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  CHUNK_MEDIA_TYPE,
  CONTENT_SHA256_HEADER,
  DELIVERY_LIST_LIMIT,
  DELIVERY_ROUTES,
  DeliveryCreateSchema,
  DeliveryIdSchema,
  MAX_CHUNK_SIZE,
  parseByteRange,
  Sha256HexSchema,
  type ChunkStored,
  type DeliveryList,
} from '../../shared/network/delivery';
import { ApiProblem } from '../http/api-problem';
import type { RouteServices } from '../http/server-app';
import { DeliveryFiles } from './delivery-files';
import { DeliveryService, type DeliveryLimits } from './delivery-service';

/**
 * The delivery blob store's routes (issue 15 item 5; wire formats, rules and the route table in
 * shared/network/delivery.ts). Registered in an encapsulated context that adds one content-type
 * parser, for application/octet-stream on the chunk route only, which hands the handler the request
 * stream unread: a chunk goes from the socket to its file piece by piece (the app's 64 KiB JSON body
 * limit does not apply to it; the chunk's own length does: one byte more and the upload is refused
 * with the connection closed). Chunks count against the per-member request rate like any signed
 * request, and each must arrive within the server's request timeout (30 s by default: 4 MiB then
 * needs about 140 KB/s; a slower link picks a smaller chunk size). Expired deliveries are deleted
 * every `sweepMs`.
 */
export interface DeliveryConfig extends Partial<DeliveryLimits> {
  /** The folder holding the chunks (`<data-dir>/deliveries`). */
  readonly dir: string;
  readonly sweepMs?: number;
}

export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = {
  ttlMs: 7 * 24 * 3600_000,
  maxBlobBytes: 64 * 1024 ** 3,
  bytesPerDay: 256 * 1024 ** 3,
  maxChunkBytes: MAX_CHUNK_SIZE,
};

export interface DeliveryHandle {
  readonly service: DeliveryService;
  readonly files: DeliveryFiles;
  /** Deletes expired deliveries now; returns how many. */
  sweep(): Promise<number>;
}

const IdParams = z.strictObject({ id: DeliveryIdSchema });
const ChunkParams = z.strictObject({ id: DeliveryIdSchema, index: z.string().regex(/^(0|[1-9]\d{0,8})$/).transform(Number) });
const ListQuery = z.strictObject({ as: z.enum(['sender', 'recipient']).default('recipient') });

function parse<T>(schema: { safeParse(value: unknown): { success: true; data: T } | { success: false } }, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new ApiProblem('invalid_request', `The ${what} is not valid for this endpoint.`);
  return parsed.data;
}

function declaredSha256(request: FastifyRequest): string {
  const value = request.headers[CONTENT_SHA256_HEADER];
  const parsed = Sha256HexSchema.safeParse(value);
  if (!parsed.success) throw new ApiProblem('invalid_request', `A chunk needs the ${CONTENT_SHA256_HEADER} header: its SHA-256 in 64 lowercase hex digits.`);
  return parsed.data;
}

/** A refusal sent before the body was read: the connection closes rather than draining it. */
function refuseUnread(reply: FastifyReply, problem: ApiProblem): ApiProblem {
  void reply.header('connection', 'close');
  return problem;
}

export function registerDeliveries(services: RouteServices, config: DeliveryConfig): DeliveryHandle {
  const { app, db, membership, now, authenticate, authenticateStreamed, memberRateLimit } = services;
  const limits: DeliveryLimits = {
    ttlMs: config.ttlMs ?? DEFAULT_DELIVERY_LIMITS.ttlMs,
    maxBlobBytes: config.maxBlobBytes ?? DEFAULT_DELIVERY_LIMITS.maxBlobBytes,
    bytesPerDay: config.bytesPerDay ?? DEFAULT_DELIVERY_LIMITS.bytesPerDay,
    maxChunkBytes: Math.min(config.maxChunkBytes ?? DEFAULT_DELIVERY_LIMITS.maxChunkBytes, MAX_CHUNK_SIZE),
  };
  const files = new DeliveryFiles(config.dir);
  const service = new DeliveryService(db, files, membership, limits, now);
  const preHandler = [authenticate, memberRateLimit];

  void app.register(async (scope: FastifyInstance) => {
    scope.addContentTypeParser(CHUNK_MEDIA_TYPE, (request: FastifyRequest, payload: NodeJS.ReadableStream, done: (error: Error | null, body?: unknown) => void) => {
      if (request.routeOptions.url !== DELIVERY_ROUTES.chunk || request.method !== 'PUT') done(new ApiProblem('unsupported_media_type', 'Send the body as application/json.'));
      else done(null, payload);
    });

    scope.post(DELIVERY_ROUTES.deliveries, { preHandler }, async (request, reply) => {
      const input = parse(DeliveryCreateSchema, request.body, 'delivery');
      const { status, created } = await service.create(request.member!.address, input);
      void reply.code(created ? 201 : 200);
      return status;
    });

    scope.get(DELIVERY_ROUTES.deliveries, { preHandler }, async (request): Promise<DeliveryList> => {
      const { as } = parse(ListQuery, request.query, 'query');
      return { deliveries: await service.list(request.member!.address, as, DELIVERY_LIST_LIMIT) };
    });

    scope.get(DELIVERY_ROUTES.delivery, { preHandler }, async (request) => {
      const { id } = parse(IdParams, request.params, 'delivery id');
      return service.status(id, request.member!.address);
    });

    scope.delete(DELIVERY_ROUTES.delivery, { preHandler }, async (request, reply) => {
      const { id } = parse(IdParams, request.params, 'delivery id');
      await service.remove(id, request.member!.address);
      void reply.code(204);
    });

    scope.post(DELIVERY_ROUTES.complete, { preHandler }, async (request) => {
      const { id } = parse(IdParams, request.params, 'delivery id');
      return service.complete(id, request.member!.address);
    });

    // Upload: the signature is checked against the declared hash before a byte is read.
    scope.put(DELIVERY_ROUTES.chunk, async (request, reply): Promise<ChunkStored> => {
      const sha256 = (() => {
        try {
          return declaredSha256(request);
        } catch (error) {
          throw refuseUnread(reply, error as ApiProblem);
        }
      })();
      const body = request.body as AsyncIterable<Uint8Array> | undefined;
      let length: number;
      let stored: boolean;
      let id: string;
      let index: number;
      try {
        await authenticateStreamed(request, sha256);
        await memberRateLimit(request, reply);
        ({ id, index } = parse(ChunkParams, request.params, 'chunk address'));
        ({ length, stored } = await service.prepareChunk(id, request.member!.address, index, sha256));
        const declared = request.headers['content-length'];
        if (declared !== undefined && Number(declared) > length) throw new ApiProblem('payload_too_large', 'The chunk is longer than this delivery\'s chunk.');
        if (declared !== undefined && Number(declared) < length) throw new ApiProblem('invalid_request', 'The chunk is shorter than this delivery\'s chunk.');
        if (body === undefined || body === null) throw new ApiProblem('invalid_request', 'A chunk needs a body.');
      } catch (error) {
        throw error instanceof ApiProblem ? refuseUnread(reply, error) : error;
      }
      if (stored) {
        // A retry of a chunk held with these bytes: nothing to write; the body is read (at most the
        // chunk's length) and dropped, so the client gets its answer on a healthy connection.
        let drained = 0;
        for await (const piece of body) {
          drained += piece.length;
          if (drained > length) throw refuseUnread(reply, new ApiProblem('payload_too_large', 'The chunk is longer than this delivery\'s chunk.'));
        }
        void reply.code(200);
        return { index, sha256, duplicate: true };
      }
      let written: Awaited<ReturnType<DeliveryFiles['writeChunk']>>;
      try {
        written = await files.writeChunk(id, index, body, length, sha256);
      } catch (error) {
        // The client went away or stalled past the request timeout mid-chunk: its partial file is gone.
        if (request.raw.destroyed || request.raw.readableAborted) throw new ApiProblem('invalid_request', 'The chunk did not arrive whole; nothing was kept.');
        throw error;
      }
      if (!written.ok) {
        if (written.reason === 'too_long') throw refuseUnread(reply, new ApiProblem('payload_too_large', 'The chunk is longer than this delivery\'s chunk.'));
        if (written.reason === 'too_short') throw new ApiProblem('invalid_request', 'The chunk is shorter than this delivery\'s chunk.');
        throw new ApiProblem('chunk_hash_mismatch', 'The chunk does not hash to the SHA-256 that was signed; nothing was kept.');
      }
      const put = await service.recordChunk(id, index, length, sha256, written.file);
      void reply.code(put.duplicate ? 200 : 201);
      return { index, sha256, duplicate: put.duplicate };
    });

    // Download: the whole blob or one Range of it, read from disk as the socket takes it.
    scope.get(DELIVERY_ROUTES.content, { preHandler, exposeHeadRoute: false }, async (request, reply) => {
      const { id } = parse(IdParams, request.params, 'delivery id');
      const blob = await service.readable(id, request.member!.address);
      const rangeHeader = request.headers.range;
      const range = parseByteRange(rangeHeader, blob.size);
      if (range === 'unsatisfiable') {
        void reply.header('content-range', `bytes */${blob.size}`);
        throw new ApiProblem('range_not_satisfiable', 'The requested range is outside the delivery.');
      }
      const span = range ?? { start: 0, end: blob.size - 1 };
      void reply
        .code(range === null ? 200 : 206)
        .header('accept-ranges', 'bytes')
        .header('content-type', CHUNK_MEDIA_TYPE)
        .header('content-length', String(span.end - span.start + 1));
      if (range !== null) void reply.header('content-range', `bytes ${span.start}-${span.end}/${blob.size}`);
      return reply.send(Readable.from(service.read(blob.chunks, span), { objectMode: false }));
    });

    scope.get(DELIVERY_ROUTES.chunk, { preHandler, exposeHeadRoute: false }, async (request, reply) => {
      const { id, index } = parse(ChunkParams, request.params, 'chunk address');
      const chunk = await service.readableChunk(id, request.member!.address, index);
      if (chunk === null) throw new ApiProblem('invalid_request', 'This delivery has no chunk with that index.');
      void reply.code(200).header('content-type', CHUNK_MEDIA_TYPE).header('content-length', String(chunk.size)).header(CONTENT_SHA256_HEADER, chunk.sha256);
      return reply.send(Readable.from(service.read([chunk], { start: 0, end: chunk.size - 1 }), { objectMode: false }));
    });
  });

  const sweep = setInterval(() => {
    service.sweep().catch((error: unknown) => app.log.warn({ err: { type: (error as Error).name, message: (error as Error).message } }, 'delivery sweep failed'));
  }, config.sweepMs ?? 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
  return { service, files, sweep: () => service.sweep() };
}
