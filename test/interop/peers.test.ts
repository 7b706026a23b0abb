import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTool, missingToolMessage, runTool } from '../support/external-tool';

/** The newest PostgreSQL server binary Debian installed (it lives outside PATH). */
async function postgresBinary(): Promise<string> {
  const root = '/usr/lib/postgresql';
  const versions = (await readdir(root).catch(() => [] as string[])).filter((name) => /^\d+$/.test(name));
  versions.sort((a, b) => Number(b) - Number(a));
  return versions.length === 0 ? 'postgres' : path.join(root, versions[0]!, 'bin', 'postgres');
}

interface Peer {
  /** What the design calls it. */
  readonly role: string;
  readonly program: string | (() => Promise<string>);
  readonly args: readonly string[];
  readonly aptPackage: string;
  /** What its version or help text must say, on stdout or stderr. */
  readonly answers: RegExp;
}

/** The Debian peers of the interop suite (DESIGN.md §7), each asked for its version or help. */
const PEERS: readonly Peer[] = [
  { role: 'HL7 v2 MLLP sender', program: 'mllp_send', args: ['--version'], aptPackage: 'python3-hl7', answers: /^\d+\.\d+/m },
  { role: 'DICOM C-STORE client', program: 'storescu', args: ['--version'], aptPackage: 'dcmtk', answers: /dcmtk: storescu v3\./ },
  { role: 'DICOM C-ECHO client', program: 'echoscu', args: ['--version'], aptPackage: 'dcmtk', answers: /dcmtk: echoscu v3\./ },
  { role: 'DICOM server (PACS)', program: 'Orthanc', args: ['--version'], aptPackage: 'orthanc', answers: /Orthanc \d+\.\d+/ },
  { role: 'serial pty pairs and raw sockets', program: 'socat', args: ['-V'], aptPackage: 'socat', answers: /socat version \d/ },
  { role: 'PostgreSQL server', program: postgresBinary, args: ['--version'], aptPackage: 'postgresql', answers: /postgres \(PostgreSQL\) \d+/ },
  { role: 'PostgreSQL client', program: 'psql', args: ['--version'], aptPackage: 'postgresql', answers: /psql \(PostgreSQL\) \d+/ },
  { role: 'virtual X display', program: 'Xvfb', args: ['-help'], aptPackage: 'xvfb', answers: /use: X \[:<display>\]/ },
  { role: 'virtual X display runner', program: 'xvfb-run', args: ['--help'], aptPackage: 'xvfb', answers: /Usage: xvfb-run/ },
];

describe('the Debian peers of the interop suite are installed and answer', () => {
  it.each(PEERS.map((peer) => [peer.role, peer] as const))('%s', async (_role, peer) => {
    const program = typeof peer.program === 'string' ? peer.program : await peer.program();
    if (!(await hasTool(program))) expect.fail(missingToolMessage(program, peer.aptPackage));
    const run = await runTool(program, peer.args, { timeoutSeconds: 20 });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.timedOut, `${program} ${peer.args.join(' ')} did not answer within 20 s`).toBe(false);
    expect(output, `${program} ${peer.args.join(' ')} (exit ${run.code}) said:\n${output}`).toMatch(peer.answers);
  });
});
