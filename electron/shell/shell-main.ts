import path from 'node:path';
import { PRODUCT_NAME, APP_VERSION } from '../config/app-identity';
import { startBody, type Body } from '../body';
import { BUILT_WORKER_FILE } from '../intake/hl7/hl7-prepare-pool';
import { parseShellArgs, SHELL_USAGE, ShellArgsError } from './shell-args';
import { startShellServer, type ShellServer } from './shell-server';

/** `npm run shell`: the body in plain Node plus the UI on 127.0.0.1. */
async function main(): Promise<void> {
  let args;
  try {
    args = parseShellArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ShellArgsError)) throw error;
    process.stderr.write(`hdms shell: ${error.message}\n\n${SHELL_USAGE}`);
    process.exit(2);
  }
  if (args.help) {
    process.stdout.write(SHELL_USAGE);
    return;
  }

  const body: Body = await startBody({
    dataDir: args.dataDir,
    host: 'shell',
    productName: PRODUCT_NAME,
    appVersion: APP_VERSION,
    logLevel: args.logLevel,
    mllpPort: args.mllpPort,
    serialPorts: args.serialPorts,
    deviceTcpPort: args.deviceTcpPort,
    dicomPort: args.dicomPort,
    hl7Workers: { script: path.join(__dirname, BUILT_WORKER_FILE) },
  });
  let server: ShellServer;
  try {
    server = await startShellServer({ body, rendererDir: path.join(__dirname, '..', 'renderer'), port: args.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    process.stderr.write(
      code === 'EADDRINUSE'
        ? `hdms shell: port ${args.port} on 127.0.0.1 is already in use; choose another with --port, or --port 0.\n`
        : `hdms shell: could not start the server (${code ?? (error as Error).name}).\n`,
    );
    await body.stop('quit');
    process.exit(1);
  }

  body.onStop(() => {
    // Reading stdin would keep the process alive after a stop from the UI.
    process.stdin.destroy();
    return server.close();
  });
  let shuttingDown = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (shuttingDown) return;
    shuttingDown = true;
    body.log.info({ signal }, 'shell shutting down');
    void body.stop('signal').then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  process.stdout.write(`${server.readyLine}\n${LINK_HINT}\n`);
  // Enter in this terminal prints a new one-time link (a reload or a new tab needs one).
  // Without a terminal (stdin closed) there is nothing to read; a restart prints a new link too.
  process.stdin.setEncoding('utf8').on('data', (chunk: string) => {
    for (let lines = chunk.split('\n').length - 1; lines > 0; lines -= 1) process.stdout.write(`HDMS shell link: ${server.newLink()}\n`);
  });
  process.stdin.on('error', () => undefined);
}

const LINK_HINT = 'Each link works once, within 2 minutes, and only while this shell runs. For a reload or another tab, press Enter here for a new link.';

main().catch((error: unknown) => {
  process.stderr.write(`hdms shell: failed to start (${(error as Error)?.name ?? 'error'}: ${(error as Error)?.message ?? ''}).\n`);
  process.exit(1);
});
