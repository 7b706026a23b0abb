import { describe, expect, it } from 'vitest';
import { useBrowserAndShell } from '../support/e2e-fixture';
import { AREAS, exploreApp, goToArea, openFirstRun, reopenWithNewLink } from '../support/shell-page';
import { httpGet } from '../support/shell-client';

/** `a b; c d` → { a: ['b'], c: ['d'] } */
function parseCsp(header: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of header.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

const KEYWORDS = new Set(["'self'", "'none'"]);
const LOCAL_SCHEMES = new Set(['data:', 'blob:']);

describe('Content-Security-Policy of the browser shell', () => {
  const e2e = useBrowserAndShell();

  it('is sent as a header with `/` and allows no network origin but the shell\'s own loopback WebSocket', async () => {
    const { shell } = e2e;
    const answer = await httpGet(shell, '/');
    expect(answer.status).toBe(200);
    const header = answer.headers['content-security-policy'];
    expect(typeof header, 'Content-Security-Policy header').toBe('string');
    const csp = parseCsp(header as string);

    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'"]);
    const ownWebSockets = new Set([`ws://127.0.0.1:${shell.port}`, `ws://localhost:${shell.port}`]);
    for (const [directive, sources] of csp) {
      for (const source of sources) {
        if (KEYWORDS.has(source)) continue;
        if (LOCAL_SCHEMES.has(source) && directive !== 'script-src' && directive !== 'connect-src') continue;
        expect(
          directive === 'connect-src' && ownWebSockets.has(source),
          `${directive} allows ${source}: only 'self', data:/blob: for media and the shell's own ws:// are permitted`,
        ).toBe(true);
      }
    }
    expect(csp.get('connect-src')).toContain(`ws://127.0.0.1:${shell.port}`);
    expect(header).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
  });

  it('comes with every response, scripts and errors included', async () => {
    const { shell } = e2e;
    const index = await httpGet(shell, '/');
    const script = /<script[^>]+src="([^"]+)"/.exec(index.body)?.[1];
    expect(script, 'index.html loads a script').toBeDefined();
    const asset = await httpGet(shell, new URL(script!, shell.url).pathname);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-security-policy']).toBe(index.headers['content-security-policy']);
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    const missing = await httpGet(shell, '/no-such-file.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-security-policy']).toBe(index.headers['content-security-policy']);
  });

  it('the UI runs under it without a single violation, through every area', async () => {
    const view = await e2e.openPage();
    const { page } = view;
    await openFirstRun(page, e2e.shell);
    await exploreApp(page);
    for (const area of AREAS) await goToArea(page, area.name);
    await reopenWithNewLink(page, e2e.shell);
    await page.getByRole('heading', { level: 1 }).first().waitFor({ state: 'visible' });
    expect(await view.cspViolations()).toEqual([]);
    expect(view.consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
  });

  it('the violation listener works: an inline script injected into the page is refused', async () => {
    // Guards the previous test against passing because nothing was listening.
    const view = await e2e.openPage();
    const { page } = view;
    await openFirstRun(page, e2e.shell);
    await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = true;';
      document.body.append(script);
    });
    await expect
      .poll(async () => (await view.cspViolations()).filter((text) => text.startsWith('script-src') && text.includes('inline')))
      .toHaveLength(1);
    expect(await page.evaluate(() => (window as unknown as { __inlineRan?: boolean }).__inlineRan)).toBeUndefined();
  });
});
