import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import '../../renderer/zod-without-eval';

describe('zod under the renderer CSP', () => {
  it('runs jitless, so parsing never probes eval (a CSP violation report)', () => {
    expect(z.config().jitless).toBe(true);
  });

  it('is configured before main.tsx imports anything else', () => {
    const source = readFileSync(new URL('../../renderer/main.tsx', import.meta.url), 'utf8');
    const firstImport = /^import .+$/m.exec(source)?.[0];
    expect(firstImport).toBe("import './zod-without-eval';");
  });
});
