// Child process of the crash test (journal.test.ts): appends from several concurrent writers
// until killed, printing "seq writer n" for each append only after it was acknowledged.
import pino from 'pino';
import { Journal } from '../../../electron/storage/journal';

async function main(): Promise<void> {
  const [dir, writersArg] = process.argv.slice(2);
  if (dir === undefined) throw new Error('usage: journal-flood-child DIR [WRITERS]');
  const journal = await Journal.open(dir, pino({ level: 'silent' }));
  process.stdout.write(`ready ${journal.lastSeq}\n`);
  const writers = Number(writersArg ?? 8);
  await Promise.all(
    Array.from({ length: writers }, async (_, writer) => {
      for (let n = 0; ; n++) {
        const { seq } = await journal.append({ kind: 'test.flood', operator: 'op-1', note: { writer, n, pad: 1234567890 } });
        process.stdout.write(`${seq} ${writer} ${n}\n`);
      }
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
