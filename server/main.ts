// `npm run server -- …`: the HDMS network server (design §10, issue 10), or its members commands.
// See server/cli/server-args.ts for the command line. Prints exactly one line on stdout when ready:
//   HDMS server ready at http://127.0.0.1:PORT
// and logs to <data-dir>/logs/server.log. Exit 0 after Ctrl-C/SIGTERM, 1 on a failure, 2 on bad usage.
import { existsSync } from 'node:fs';
import { adminSocketPath, sendAdminCommand } from './admin/admin-socket';
import { formatMembersResult, type MembersResult } from './admin/members-output';
import { parseServerArgs, UsageError, USAGE, type MembersArgs, type ServeArgs } from './cli/server-args';
import { dataDirLockHolder } from './storage/data-dir-lock';

// The server's modules (Fastify, PGlite, pg) load only when needed: a members command answered by
// the running server's admin socket starts in a fraction of the time.
const EXPECTED = new Set(['UsageError', 'ServerStartError', 'NetworkConfigError', 'NetworkKeyError', 'LogKeyError', 'SchemaError']);

function fail(error: unknown): void {
  const expected = EXPECTED.has((error as Error).name);
  const code = (error as NodeJS.ErrnoException).code;
  // Connection failures (ECONNREFUSED, a bad password) are told plainly; anything else with its stack.
  process.stderr.write(`hdms-server: ${expected || code !== undefined ? (error as Error).message : ((error as Error).stack ?? String(error))}\n`);
  if (error instanceof UsageError) process.stderr.write(USAGE);
  process.exitCode = error instanceof UsageError ? 2 : 1;
}

async function serve(args: ServeArgs): Promise<void> {
  const { startNetworkServer } = await import('./server-process');
  const server = await startNetworkServer(args);
  process.stdout.write(`HDMS server ready at ${server.url}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        fail(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function members(args: MembersArgs): Promise<void> {
  let result: MembersResult;
  // The embedded database belongs to the server that has it open: ask that server.
  if (args.database === null && dataDirLockHolder(args.dataDir) !== null && existsSync(adminSocketPath(args.dataDir))) {
    result = await sendAdminCommand(args.dataDir, args.action, args.address);
  } else {
    const { runMembersDirect } = await import('./server-process');
    result = await runMembersDirect(args.dataDir, args.database, args.action, args.address);
  }
  const lines = formatMembersResult(args.action, result, args.json);
  (result.ok ? process.stdout : process.stderr).write(lines.map((line) => `${line}\n`).join(''));
  process.exitCode = result.ok ? 0 : 1;
}

async function main(): Promise<void> {
  const args = parseServerArgs(process.argv.slice(2));
  if (args.command === 'members') await members(args);
  else await serve(args);
}

main().catch(fail);
