import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_PREFS, PrefsSchema, type Prefs } from '../../shared/ipc';
import type { Logger } from '../logging/logger';
import { writeFileAtomic } from '../storage/durable-files';

/** Display preferences in `<data>/prefs.json`, written atomically (temp, fsync, rename, folder fsync). */
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

  private write(prefs: Prefs): Promise<void> {
    return writeFileAtomic(this.file, JSON.stringify(prefs, null, 2));
  }
}
