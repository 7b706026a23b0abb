import type { z } from 'zod';

/** One request → response method of the contract. Both sides are runtime schemas. */
export interface MethodSpec<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly request: Req;
  readonly response: Res;
}

/** One body → mind push. */
export interface EventSpec<Payload extends z.ZodType = z.ZodType> {
  readonly payload: Payload;
}

export function method<Req extends z.ZodType, Res extends z.ZodType>(
  request: Req,
  response: Res,
): MethodSpec<Req, Res> {
  return { request, response };
}

export function event<Payload extends z.ZodType>(payload: Payload): EventSpec<Payload> {
  return { payload };
}
