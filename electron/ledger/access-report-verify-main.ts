// `npm run --silent access-report:verify -- REPORT.csv LEDGER.jsonl`: checks an exported access
// report against the node's exported ledger (access-report-verify.ts) without the vault or this
// app's state, and prints exactly one JSON line:
//   {"ok":true,"rows":N,"entries":M,"node":"0x…","patientsNotCheckable":K,"unlisted":[seq…],"unlistedCount":U}
//   {"ok":false,"rows":N,"problems":[{"line":L,"problem":"…"}…],"problemCount":P}
//   {"ok":false,"rows":N,"ledger":{"entries":K,"node":"0x…","firstBreak":{…}},"problems":[],"problemCount":0}
// Exit 0 every row agrees with the signed ledger, 1 any problem (or an unreadable file), 2 bad usage.
import { ReportFormatError, verifyAccessReport } from './access-report-verify';

const USAGE =
  'usage: npm run --silent access-report:verify -- REPORT.csv LEDGER.jsonl\n' +
  '  Verifies the exported ledger (as ledger:verify does), then checks that every row of the exported\n' +
  '  access report names a signed entry that agrees with it (digest, kind, operator, patient, time);\n' +
  '  lists entries about the same patients in the same span that the report does not; one JSON line;\n' +
  '  exit 1 on any problem.\n';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((arg) => arg !== '--');
  if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.length !== 2 || args.some((arg) => arg.startsWith('-'))) {
    process.stderr.write(`access-report:verify: name the report and the ledger export, no options\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    const result = await verifyAccessReport(args[0]!, args[1]!);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exitCode = result.ok ? 0 : 1;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      error instanceof ReportFormatError
        ? error.message
        : code === 'ENOENT'
          ? 'no such file'
          : code === 'EISDIR'
            ? 'that is a folder, not a file'
            : `a file could not be read (${code ?? (error as Error).name})`;
    process.stdout.write(`${JSON.stringify({ ok: false, rows: 0, problems: [{ line: 0, problem }], problemCount: 1 })}\n`);
    process.exitCode = 1;
  }
}

void main();
