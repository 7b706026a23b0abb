import { randomUUID } from 'node:crypto';
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_PREFS, PrefsSchema, type Prefs } from '../../shared/ipc';
import type { Logger } from '../logging/logger';

/** Display preferences in `<data>/prefs.json`, written atomically (temp, fsync, rename). */
export class PrefsStore {
  private current: Prefs = DEFAULT_PREFS;
  private writing: Promise<void> = Promise.resolve();
  private readonly file: string;

  constructor(dataDir: string, private readonly log: Logger) {
    this.file = path.join(dataDir, 'prefs.json');
  }

  async load(): Promise<Prefs> {
    try {
      const parsed = PrefsSchema.safeParse(JSON.parse(await readFile(this.file, 'utf8')));
      if (parsed.success) this.current = parsed.data;
      else this.log.warn({ file: 'prefs.json' }, 'preferences file invalid; using defaults');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log.warn({ file: 'prefs.json', errorCode: (error as NodeJS.ErrnoException).code }, 'preferences unreadable; using defaults');
      }
    }
    return this.current;
  }

  get(): Prefs {
    return this.current;
  }

  async update(change: Partial<Prefs>): Promise<Prefs> {
    const next = PrefsSchema.parse({ ...this.current, ...change });
    this.current = next;
    // Writes are serialized so the file always holds the latest complete set.
    this.writing = this.writing.then(() => this.write(next));
    await this.writing;
    return next;
  }

  private async write(prefs: Prefs): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${randomUUID()}.tmp`;
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(JSON.stringify(prefs, null, 2));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, this.file);
  }
}
