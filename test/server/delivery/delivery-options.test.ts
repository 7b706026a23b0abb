import { describe, expect, it } from 'vitest';
import { parseServerArgs, UsageError } from '../../../server/cli/server-args';

/** The delivery blob store's server options on the command line (server/cli/server-args.ts). */
describe('delivery options of npm run server', () => {
  it('reads the TTL in hours and the byte limits, and leaves the defaults to the server otherwise', () => {
    expect(parseServerArgs(['--data-dir', 'd', '--delivery-ttl-hours', '48', '--delivery-max-bytes=1073741824', '--delivery-bytes-per-day', '5368709120'])).toMatchObject({
      command: 'serve',
      delivery: { ttlMs: 48 * 3600_000, maxBlobBytes: 1024 ** 3, bytesPerDay: 5 * 1024 ** 3 },
    });
    expect(parseServerArgs(['--data-dir', 'd'])).toMatchObject({ command: 'serve', delivery: {} });
  });

  it('refuses values that are not whole numbers in range', () => {
    expect(() => parseServerArgs(['--data-dir', 'd', '--delivery-ttl-hours', '0'])).toThrow(UsageError);
    expect(() => parseServerArgs(['--data-dir', 'd', '--delivery-ttl-hours', '1.5'])).toThrow(UsageError);
    expect(() => parseServerArgs(['--data-dir', 'd', '--delivery-max-bytes', '-1'])).toThrow(UsageError);
    expect(() => parseServerArgs(['--data-dir', 'd', '--delivery-bytes-per-day', 'lots'])).toThrow(UsageError);
  });
});
