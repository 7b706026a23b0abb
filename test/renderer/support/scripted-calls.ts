/**
 * What the renderer's service doubles share: every call recorded in order, and per method a
 * configured failure or a hold (answers wait until released, so a test can observe busy states).
 */
export interface ScriptedCalls<Method extends string> {
  /** Every call, in order, with its arguments. */
  readonly calls: { method: Method; args: unknown[] }[];
  /** The arguments of each call to `method`, in order. */
  callsTo(method: Method): unknown[][];
  /** Makes one method reject with this error (until cleared with undefined). */
  failWith(method: Method, error: Error | undefined): void;
  /** Holds one method's answers until `release(method)` (to observe busy states). */
  hold(method: Method): void;
  release(method: Method): void;
}

export interface CallScript<Method extends string> extends ScriptedCalls<Method> {
  /** Records a call, waits while its method is held, and throws its configured failure. */
  enter(method: Method, args: unknown[]): Promise<void>;
}

export function createCallScript<Method extends string>(): CallScript<Method> {
  const calls: { method: Method; args: unknown[] }[] = [];
  const failures = new Map<Method, Error>();
  const holds = new Map<Method, { promise: Promise<void>; release: () => void }>();
  return {
    calls,
    callsTo: (method) => calls.filter((c) => c.method === method).map((c) => c.args),
    failWith(method, error) {
      if (error === undefined) failures.delete(method);
      else failures.set(method, error);
    },
    hold(method) {
      let release = (): void => undefined;
      const promise = new Promise<void>((resolve) => {
        release = resolve;
      });
      holds.set(method, { promise, release });
    },
    release(method) {
      holds.get(method)?.release();
      holds.delete(method);
    },
    async enter(method, args) {
      calls.push({ method, args });
      await holds.get(method)?.promise;
      const failure = failures.get(method);
      if (failure !== undefined) throw failure;
    },
  };
}
