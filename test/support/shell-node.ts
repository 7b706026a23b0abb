import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach } from 'vitest';
import { startBody, type Body } from '../../electron/body';
import { startShellServer, type ShellServer } from '../../electron/shell/shell-server';
import { useTempDirs } from './temp-dir';

export interface ShellNode {
  readonly dataDir: string;
  /** The folder the shell serves the renderer from (it holds an index.html). */
  readonly rendererDir: string;
  readonly body: Body;
  readonly server: ShellServer;
  /** The test stops this node itself: no stop after it. */
  release(): void;
}

/**
 * A body on a fresh data dir with the browser shell's server in front of it (port 0, no MLLP
 * listener, a one-line renderer), stopped after each test; `onStop` runs first (close clients).
 */
export function useShellNodes(): (onStop?: () => Promise<void>) => Promise<ShellNode> {
  const tempDir = useTempDirs();
  const running: Array<{ node: ShellNode; onStop: (() => Promise<void>) | undefined }> = [];
  afterEach(async () => {
    for (const { node, onStop } of running.splice(0)) {
      await onStop?.();
      await node.server.close();
      await node.body.stop('quit');
    }
  });
  return async (onStop) => {
    const dataDir = await tempDir();
    const rendererDir = path.join(dataDir, 'renderer');
    await mkdir(rendererDir, { recursive: true });
    await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>HDMS Node</title>');
    const body = await startBody({ dataDir, host: 'shell', productName: 'HDMS Node', appVersion: '1.0.0', logLevel: 'silent', mllpPort: 0 });
    const server = await startShellServer({ body, rendererDir, port: 0 });
    const entry = { node: { dataDir, rendererDir, body, server, release: () => void running.splice(running.indexOf(entry), 1) }, onStop };
    running.push(entry);
    return entry.node;
  };
}
