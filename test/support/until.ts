/**
 * Polls `probe` every 50 ms until it gives something other than null; throws "timed out waiting
 * for <what>" after `ms`. For a body's background work (a scheduled backup, a journal record) that
 * a test waits for without a timing assertion.
 */
export async function until<T>(what: string, probe: () => Promise<T | null>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== null) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
