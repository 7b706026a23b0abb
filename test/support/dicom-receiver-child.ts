// A DICOM receiver alone in its own process, built as the body builds it (dicom-receiver.ts): the
// intake pipeline over the vault storage in argv[2], the duplicate index, listening on argv[3]
// (absent or 0: any port), sealing to the intake public key in HDMS_CHILD_INTAKE_KEY (base64url;
// absent: a fresh key, when nobody will open what it stores). Used by the crash test
// (dicom-crash.test.ts: kill -9 and restart) and the dicom-store bench (the receiver in its own
// process as Orthanc is in its own, so the bench's spawning of senders is not charged to it).
// Prints "listening <port>"; on SIGUSR2 its CPU time and its main thread's ("cpu <user µs> <system
// µs> <main thread ms>": the process's CPU counts the thread pool too, and the main thread is what
// caps the receiver); SIGTERM closes it ("closed").
import path from 'node:path';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { createBodySealer } from '../../electron/crypto/node-sealer';
import { DicomDedupe } from '../../electron/intake/dicom/dicom-duplicates';
import { createDicomNetworkIntake } from '../../electron/intake/dicom/dicom-intake';
import { startDicomServer } from '../../electron/intake/dicom/dicom-server';
import { createIntakePipeline } from '../../electron/intake/intake-pipeline';
import { openVaultStorage } from '../../electron/storage/vault-storage';
import { generateP256KeyPair } from '../../shared/crypto/p256-keys';

/**
 * The main thread's CPU time in ms (Linux: utime + stime of /proc/self/task/<pid>/stat, in clock
 * ticks of 10 ms); NaN elsewhere. CPU time, not busy time: on a loaded machine the event loop's
 * busy time counts the time the thread waited for a core.
 */
function mainThreadCpuMs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function main(): Promise<void> {
  const [dataDir, portText] = process.argv.slice(2);
  const silent = pino({ level: 'silent' });
  const storage = await openVaultStorage(dataDir!, silent);
  const given = process.env['HDMS_CHILD_INTAKE_KEY'];
  const intakeKey = given !== undefined && given !== '' ? Buffer.from(given, 'base64url') : (await generateP256KeyPair()).publicKeyRaw;
  const sealer = await createBodySealer(intakeKey);
  const pipeline = createIntakePipeline({ objects: storage.objects, journal: storage.journal, sealer });
  const dedupe = await DicomDedupe.open(path.join(dataDir!, 'vault', 'intake', 'dicom-dedupe'), storage.journal);
  const intake = createDicomNetworkIntake({ pipeline, dedupe });
  const server = await startDicomServer({ port: Number(portText ?? 0), aeTitle: 'HDMS', maxAssociations: 16, log: silent, cStore: async (request) => (await intake(request)).status });
  process.stdout.write(`listening ${server.port}\n`);
  process.on('SIGUSR2', () => {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`cpu ${user} ${system} ${mainThreadCpuMs()}\n`);
  });
  process.on('SIGTERM', () => {
    void server
      .close()
      .then(() => storage.close())
      .then(() => {
        process.stdout.write('closed\n');
        process.exit(0);
      });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`dicom receiver child: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
