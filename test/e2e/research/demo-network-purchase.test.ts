import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DOCTORS } from '../../../electron/intake/demo/demo-catalog';
import { generateDemoMessages } from '../../../electron/intake/demo/demo-population';
import { DEMO_KEEPERS, DEMO_PASSPHRASE, startDemoNetwork, type DemoNetwork, type RunningNode } from '../../../scripts/demo/demo-network';
import { PERIOD_EXTENSION } from '../../../shared/research/package/fhir-r4';
import type { Observation, Visit } from '../../../shared/domain/clinical';
import { useBrowserWithOwnShells } from '../../support/e2e-fixture';
import { goToArea, UI_TIMEOUT_MS } from '../../support/shell-page';
import { StepLog } from '../../support/test-steps';
import { KEY_TIMEOUT_MS, unlockVault } from '../../support/vault-ui';

/**
 * Issue 15's scenario on the demo network itself (`npm run demo`'s setup: a server with its dev
 * chain, three key keepers, the Lakeside and Hillside demo clinics with their demo patients and the
 * Northfield research institute, all joined, witnesses and funded, vaults locked), in Chromium from
 * query to saved dataset: each node opened from its URL and unlocked with the demo passphrase (the
 * browser's views are rebuilt from the journal); both clinics answer the query automatically, then
 * review purchases; the researcher buys from both in one basket, each clinic's administrator
 * accepts, the researcher pays each into escrow from the account the demo funded, each clinic
 * checks and releases its dataset, the researcher asks the keepers, opens each dataset (which
 * acknowledges it), shows it and saves it to a folder.
 *
 * Then, on the saved files:
 * 1. Every direct identifier of each clinic's source population, regenerated from the demo's seed,
 *    is looked for in every delivered file: none is there.
 * 2. The equivalence classes are recomputed from the delivered files over all the release's
 *    quasi-identifiers (the report's `quasiIdentifiers`: age, sex, ZIP3 from csv/Patient.csv, first
 *    and last event year from the dated FHIR resources joined by pseudonym): the smallest class is
 *    the report's achieved k, and the fewest distinct primary diagnoses (from fhir/Condition.ndjson)
 *    its ℓ.
 */

const TERM = '4548-4';
/** Different prices, so each purchase's total tells its clinic. */
const PRICES: Readonly<Record<string, string>> = { 'Lakeside Demo Clinic': '2.5', 'Hillside Demo Clinic': '1.5' };
/** The faucet's grant to the research institute's account (demo-network.ts). */
const FUNDED_PHD = 10_000;

async function setPolicy(page: Page, answering: 'automatic' | 'review', price: string): Promise<void> {
  await goToArea(page, 'Settings');
  const form = page.getByRole('form', { name: 'Research policy' });
  await form.getByRole('radio', { name: /^Opt-out with notice/ }).check();
  await form.getByRole('checkbox', { name: 'Research, with sale of anonymized data' }).check();
  await form.getByRole('radio', { name: answering === 'automatic' ? 'Answer automatically within this policy' : 'An administrator reviews each query' }).check();
  // Dates to the year: the scan below looks for full dates, which the longitudinal profile releases (shifted).
  await form.getByRole('radio', { name: 'HIPAA Safe Harbor (dates to the year)' }).check();
  await form.getByLabel('Price per record (PHD)').fill(price);
  await form.getByRole('button', { name: 'Save the policy' }).click();
  await expect.poll(() => form.getByRole('button', { name: 'Save the policy' }).isDisabled(), { timeout: UI_TIMEOUT_MS }).toBe(true);
}

// ——— The source population's direct identifiers ———

type Matcher =
  /** The needle's words, in order, as whole words of the file (any separators between; case folded). */
  | 'words'
  /** A run of digits inside a letter-and-digit run of the file that is not a random hex token. */
  | 'digits'
  /** YYYY-MM-DD not inside a longer number. */
  | 'iso-date'
  /** A 4- or 5-digit code standing alone between field delimiters. */
  | 'zip';

interface IdentifierKind {
  readonly kind: string;
  /** Distinct source values of this kind. */
  readonly values: Set<string>;
  /** How each value is looked for: one or more (needle, matcher) forms. */
  readonly forms: (value: string) => readonly { readonly needle: string; readonly matcher: Matcher }[];
}

const isoToCompact = (date: string): string => date.replace(/-/g, '');

/**
 * Every direct identifier the demo import put into a clinic's vault, regenerated with the same
 * generator and seed. Names, identifiers, addresses and phones depend on the seed only; birth dates
 * and dates of service also on the generator's "now", which was some instant between `from` and
 * `to` (the demo's setup): dates are collected for both ends, which covers every instant between
 * (the window is far shorter than a day). `newYearCrossing` tells whether an encounter's visit
 * might fall in another calendar year than its results for some "now" in the window.
 */
function sourceIdentifiers(patients: number, seed: number | undefined, from: Date, to: Date): { kinds: IdentifierKind[]; newYearCrossing: boolean; sourceTexts: string[] } {
  const names = new Set<string>();
  const identifiers = new Set<string>();
  const ssns = new Set<string>();
  const streets = new Set<string>();
  const streetNames = new Set<string>();
  const cities = new Set<string>();
  const postalCodes = new Set<string>();
  const phones = new Set<string>();
  const birthDates = new Set<string>();
  const serviceDates = new Set<string>();
  const seen = new Set<object>();
  const options = { patients, ...(seed === undefined ? {} : { seed }) };
  const early = [...generateDemoMessages({ ...options, now: from })];
  const late = [...generateDemoMessages({ ...options, now: to })];
  expect(late.length).toBe(early.length);
  let newYearCrossing = false;
  // The source as the clinic received and holds it: the HL7 text and the normalized form (as JSON).
  const sourceTexts: string[] = [];
  for (const [i, message] of early.entries()) {
    for (const { normalized, raw } of [message, late[i]!]) {
      sourceTexts.push(Buffer.from(raw).toString('utf8'), JSON.stringify(normalized));
      const { patient } = normalized;
      if (patient.birthDate !== undefined) birthDates.add(patient.birthDate);
      for (const record of [...normalized.records, ...(normalized.extendedRecords ?? [])]) {
        const when = record.type === 'visit' ? record.start : 'time' in record ? (record as { time?: string }).time : undefined;
        if (when !== undefined) serviceDates.add(when.slice(0, 10));
      }
      if (seen.has(patient)) continue;
      seen.add(patient);
      names.add(patient.name.family);
      for (const given of patient.name.given) names.add(given);
      for (const identifier of patient.identifiers) (identifier.type.toUpperCase() === 'SS' ? ssns : identifiers).add(identifier.value);
      if (patient.address?.street !== undefined) {
        streets.add(patient.address.street);
        streetNames.add(patient.address.street.replace(/\s+\d+$/, ''));
      }
      if (patient.address?.city !== undefined) cities.add(patient.address.city);
      if (patient.address?.postalCode !== undefined) postalCodes.add(patient.address.postalCode);
      for (const phone of patient.phones ?? []) phones.add(phone);
    }
    // A result message's visit starts 10 to 240 minutes before its results; the visit is not
    // exported (no Encounter), so its year is seen only through the results': over the window, the
    // visit's earliest start and the results' latest time must fall in one calendar year.
    if (message.normalized.messageType.startsWith('ORU')) {
      const visit = message.normalized.records.find((record): record is Visit => record.type === 'visit')!;
      const results = late[i]!.normalized.records.filter((record): record is Observation => record.type === 'observation');
      if (results.some((result) => result.time.slice(0, 4) !== visit.start.slice(0, 4))) newYearCrossing = true;
    }
  }
  const kinds: IdentifierKind[] = [
    { kind: 'names (given and family)', values: names, forms: (name) => [{ needle: name, matcher: 'words' }] },
    {
      kind: 'MRNs and other patient identifiers',
      values: identifiers,
      // "MRN01000003" as a word, and its number alone wherever a number could carry it.
      forms: (id) => [{ needle: id, matcher: 'words' }, ...(/\d{6,}/.test(id) ? [{ needle: /\d{6,}/.exec(id)![0], matcher: 'digits' as const }] : [])],
    },
    { kind: 'social security numbers', values: ssns, forms: (ssn) => [{ needle: ssn, matcher: 'words' }, { needle: ssn.replace(/\D/g, ''), matcher: 'digits' }] },
    { kind: 'street addresses (street and number)', values: streets, forms: (street) => [{ needle: street, matcher: 'words' }] },
    { kind: 'street names', values: streetNames, forms: (street) => [{ needle: street, matcher: 'words' }] },
    { kind: 'cities', values: cities, forms: (city) => [{ needle: city, matcher: 'words' }] },
    // A year-like code (1900–2099) is not looked for as text: every delivered record date is a year,
    // so "2023" stands alone in the files whatever the ZIP codes were. The released postal codes
    // are checked field by field instead (at most 3 digits, below).
    { kind: 'full ZIP / postal codes', values: postalCodes, forms: (zip) => (/^(19|20)\d\d$/.test(zip) ? [] : [{ needle: zip, matcher: 'zip' }]) },
    {
      kind: 'telephone numbers',
      values: phones,
      // "+33 123 456789" as written (any separators), and its digits run together.
      forms: (phone) => [{ needle: phone, matcher: 'words' }, { needle: phone.replace(/\D/g, ''), matcher: 'digits' }],
    },
    { kind: 'email addresses', values: new Set<string>(), forms: (email) => [{ needle: email, matcher: 'words' }] },
    { kind: 'birth dates', values: birthDates, forms: (date) => [{ needle: date, matcher: 'iso-date' }, { needle: isoToCompact(date), matcher: 'digits' }] },
    { kind: 'dates of service (visits, results, diagnoses)', values: serviceDates, forms: (date) => [{ needle: date, matcher: 'iso-date' }, { needle: isoToCompact(date), matcher: 'digits' }] },
    // Not the patients' own identifiers, but names Safe Harbor's item A removes with them.
    { kind: 'attending doctors’ names', values: new Set(DOCTORS), forms: (doctor) => [{ needle: doctor, matcher: 'words' }] },
  ];
  return { kinds, newYearCrossing, sourceTexts };
}

const WORD = /[\p{L}\p{M}\p{N}]+/gu;

function wordsOf(text: string): string[] {
  return text.normalize('NFC').toLowerCase().match(WORD) ?? [];
}

/** A delivered file as text, indexed once for each kind of look-up. */
interface ScannedFile {
  readonly name: string;
  /** Word → the positions it occurs at in `words`. */
  readonly wordIndex: Map<string, number[]>;
  readonly words: readonly string[];
  /** Letter-and-digit runs holding 4 or more digits in a row, random hex tokens left out. */
  readonly numberRuns: readonly string[];
  readonly isoDates: ReadonlySet<string>;
  readonly zipTokens: ReadonlySet<string>;
}

/**
 * Why the look-ups are not plain substring searches: the files are full of random hex (32-digit
 * pseudonyms, 16-digit id prefixes, SHA-256 hashes) and of small numbers (values, counters, byte
 * counts, years). As plain substrings, one of the ~200 8-digit dates would turn up by chance inside
 * the ~10^5 hex digits of a dataset in some percent of runs, one of the ~90 4- and 5-digit ZIP
 * codes inside hex or a number in every run, and a 3-letter name ("Kim", "Mai") inside longer words. So names and other words must be whole words (their
 * words in order, for "Rue de la Paix" or "Thị Hương"); dates and numbers are looked for inside
 * letter-and-digit runs except random hex tokens (16 or more hex digits with a letter a–f among
 * them: pseudonyms, ids, hashes, never a date or phone as HL7, FHIR or DICOM write one, e.g.
 * "20240312101500"); a ZIP code must stand alone between field delimiters (quote, comma, HL7 ^ or
 * |, space, a control byte), not after ":" (a JSON number), "-" (an id's counter) or "." or "/".
 */
function scanFile(name: string, text: string): ScannedFile {
  const words = wordsOf(text);
  const wordIndex = new Map<string, number[]>();
  for (const [i, word] of words.entries()) {
    const at = wordIndex.get(word);
    if (at === undefined) wordIndex.set(word, [i]);
    else at.push(i);
  }
  const numberRuns = (text.match(/[0-9A-Za-z]+/g) ?? []).filter((run) => /\d{4}/.test(run) && !(run.length >= 16 && /^[0-9a-f]+$/.test(run) && /[a-f]/.test(run)));
  const isoDates = new Set([...text.matchAll(/(?<![0-9A-Za-z])(\d{4}-\d{2}-\d{2})(?!\d)/g)].map((m) => m[1]!));
  // eslint-disable-next-line no-control-regex
  const zipTokens = new Set([...text.matchAll(/(?<=^|["',^|\s\x00-\x1f])(\d{4,5})(?=$|["',^|\s\x00-\x1f])/gm)].map((m) => m[1]!));
  return { name, wordIndex, words, numberRuns, isoDates, zipTokens };
}

function occursIn(file: ScannedFile, needle: string, matcher: Matcher): boolean {
  switch (matcher) {
    case 'words': {
      const sought = wordsOf(needle);
      if (sought.length === 0) return false;
      return (file.wordIndex.get(sought[0]!) ?? []).some((at) => sought.every((word, i) => file.words[at + i] === word));
    }
    case 'digits':
      return needle.length >= 4 && file.numberRuns.some((run) => run.includes(needle));
    case 'iso-date':
      return file.isoDates.has(needle);
    case 'zip':
      return file.zipTokens.has(needle);
  }
}

/** The delivered files, relative paths with "/". */
async function filesOf(folder: string): Promise<string[]> {
  const entries = (await readdir(folder, { recursive: true, withFileTypes: true })).filter((entry) => entry.isFile());
  return entries.map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join('/')).sort();
}

/**
 * The texts to scan of one delivered file. Text files as UTF-8. DICOM files are bytes: read as
 * Latin-1 (one character per byte), in which a name written in UTF-8 reads as its UTF-8 bytes one
 * by one; the needles are looked for in that form too (see `dicomNeedle`). The release's own dates
 * (the report's createdAt and releaseDate, the manifest's createdAt) are the clinic's, not a
 * patient's: they are taken out before the scan, since a demo visit may fall on the release day.
 */
async function scannedTextsOf(folder: string, file: string): Promise<ScannedFile> {
  const bytes = await readFile(path.join(folder, file));
  if (file.endsWith('.dcm')) return scanFile(file, bytes.toString('latin1'));
  const text = bytes.toString('utf8');
  if (file !== 'release-report.json' && file !== 'manifest.json') return scanFile(file, text);
  return scanFile(file, text.replace(/"(createdAt|releaseDate)"(\s*):(\s*)"[^"]*"/g, '"$1"$2:$3""'));
}

/** A needle as a DICOM file would hold it in UTF-8, read back as Latin-1. */
function dicomNeedle(needle: string): string {
  return Buffer.from(needle, 'utf8').toString('latin1');
}

// ——— k and ℓ from the delivered files ———

/** RFC 4180 CSV (quoted fields, doubled quotes) into rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

type Resource = { resourceType: string; id: string; [element: string]: unknown };

async function ndjsonOf(folder: string, file: string): Promise<Resource[]> {
  const text = await readFile(path.join(folder, file), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Resource);
}

/** A released date: a year ("2023", or a shifted "2023-05-17") or a span of years ("2020"…"2024"). */
interface Released {
  readonly start: number;
  readonly end: number;
}

function releasedOf(dateTime: unknown, period: unknown): Released | null {
  if (typeof dateTime === 'string' && /^\d{4}/.test(dateTime)) return { start: Number(dateTime.slice(0, 4)), end: Number(dateTime.slice(0, 4)) };
  const span = period as { start?: string; end?: string } | undefined;
  if (span?.start !== undefined && span.end !== undefined) return { start: Number(span.start.slice(0, 4)), end: Number(span.end.slice(0, 4)) };
  return null;
}

function periodExtension(resource: Resource): unknown {
  return (resource.extension as { url: string; valuePeriod?: unknown }[] | undefined)?.find((e) => e.url === PERIOD_EXTENSION)?.valuePeriod;
}

/** Every released date of a FHIR resource of the package, with the patient it is about. */
function datesOf(resource: Resource): { patient: string; date: Released | null } | null {
  const subject = ((resource.subject ?? resource.patient) as { reference?: string } | undefined)?.reference;
  if (subject === undefined) return null;
  const patient = subject.replace(/^Patient\//, '');
  switch (resource.resourceType) {
    case 'Observation':
    case 'DiagnosticReport':
      return { patient, date: releasedOf(resource.effectiveDateTime, resource.effectivePeriod) };
    case 'Condition':
      return { patient, date: releasedOf(resource.recordedDate, periodExtension(resource)) };
    case 'Immunization': {
      const span = typeof resource.occurrenceString === 'string' ? /^(\d{4})–(\d{4})$/.exec(resource.occurrenceString) : null;
      return { patient, date: releasedOf(resource.occurrenceDateTime, span === null ? undefined : { start: span[1], end: span[2] }) };
    }
    case 'ImagingStudy':
      return { patient, date: releasedOf(resource.started, periodExtension(resource)) };
    default:
      return null;
  }
}

interface ReleaseReportFile {
  readonly profile: 'safe-harbor' | 'longitudinal';
  readonly required: { readonly k: number; readonly l: number };
  readonly achieved: { readonly k: number; readonly l: number; readonly classes: number };
  readonly quasiIdentifiers: readonly { readonly name: string; readonly level: number; readonly height: number; readonly meaning: string }[];
  readonly rows: { readonly in: number; readonly out: number; readonly suppressed: number };
  readonly createdAt: string;
  readonly releaseDate: string;
}

interface Recomputed {
  readonly rows: number;
  readonly classes: number;
  readonly k: number;
  readonly l: number;
  /** Whether the files carry every QI at the report's own level (else the classes are unions of the report's). */
  readonly exact: boolean;
  readonly why: string;
  readonly sizes: readonly number[];
}

/**
 * The equivalence classes from the delivered files: age, sex and ZIP3 per patient from
 * csv/Patient.csv; the first and last event year from the dates of the patient's FHIR resources
 * (Observation, Condition, DiagnosticReport, Immunization, ImagingStudy), joined through
 * fhir/Patient.ndjson (Patient id → pseudonym, the CSV's key); the primary diagnosis from
 * fhir/Condition.ndjson (the earliest confirmed, i.e. final, diagnosis).
 */
async function recomputeClasses(folder: string, report: ReleaseReportFile): Promise<Recomputed> {
  const names = report.quasiIdentifiers.map((qi) => qi.name);
  // The release's QIs are these five: a sixth would not be recomputed here, so fail rather than skip it.
  expect(names).toEqual(['age', 'sex', 'zip3', 'firstYear', 'lastYear']);
  const level = Object.fromEntries(report.quasiIdentifiers.map((qi) => [qi.name, qi.level])) as Record<string, number>;

  const [header, ...rows] = parseCsv(await readFile(path.join(folder, 'csv/Patient.csv'), 'utf8')).filter((row) => row.join('') !== '');
  expect(header).toEqual(['id', 'pseudonym', 'gender', 'age', 'zip3']);
  const patients = await ndjsonOf(folder, 'fhir/Patient.ndjson');
  expect(patients).toHaveLength(rows.length);
  const pseudonymOfId = new Map(patients.map((p) => [p.id, (p.identifier as { value: string }[])[0]!.value]));

  const dates = new Map<string, Released[]>();
  const conditions = new Map<string, { code: string; date: Released | null }[]>();
  for (const type of ['Observation', 'Condition', 'DiagnosticReport', 'Immunization', 'ImagingStudy']) {
    for (const resource of await ndjsonOf(folder, `fhir/${type}.ndjson`)) {
      const dated = datesOf(resource);
      if (dated === null) continue;
      const pseudonym = pseudonymOfId.get(dated.patient);
      expect(pseudonym, `${type}/${resource.id} names a patient not in fhir/Patient.ndjson`).toBeDefined();
      if (dated.date !== null) dates.set(pseudonym!, [...(dates.get(pseudonym!) ?? []), dated.date]);
      const confirmed = (resource.verificationStatus as { coding: { code: string }[] } | undefined)?.coding[0]?.code === 'confirmed';
      if (type === 'Condition' && confirmed) {
        const coding = (resource.code as { coding: { system: string; code: string }[] }).coding[0]!;
        conditions.set(pseudonym!, [...(conditions.get(pseudonym!) ?? []), { code: `${coding.system}|${coding.code}`, date: dated.date }]);
      }
    }
  }

  const span = (d: Released): string => (d.start === d.end ? String(d.start) : `${d.start}–${d.end}`);
  let diagnosesExact = true;
  const classes = new Map<string, { size: number; diagnoses: Set<string> }>();
  for (const [id, pseudonym, gender, age, zip3] of rows) {
    expect(pseudonymOfId.get(id!), `csv/Patient.csv row ${id}`).toBe(pseudonym);
    // Safe Harbor: no age over 89 but as "90+".
    if (/^\d+$/.test(age!)) expect(Number(age)).toBeLessThan(90);
    // Every record date of a patient is released at one level (the coarser event year's): the
    // earliest and latest of them are the first and last event year at that level.
    const own = dates.get(pseudonym!) ?? [];
    const first = own.length === 0 ? '-' : span(own.reduce((a, b) => (b.start < a.start ? b : a)));
    const last = own.length === 0 ? '-' : span(own.reduce((a, b) => (b.start > a.start ? b : a)));
    const key = [gender, age, zip3, first, last].join('|');
    // The primary diagnosis: the earliest final one. Two final diagnoses whose released dates
    // cannot be ordered leave it unknown from the files (not the case in the demo: one per patient).
    const finals = conditions.get(pseudonym!) ?? [];
    const earliest = finals.length === 0 ? null : Math.min(...finals.map((c) => c.date?.start ?? Infinity));
    const primaries = new Set(finals.filter((c) => (c.date?.start ?? Infinity) === earliest).map((c) => c.code));
    if (primaries.size > 1) diagnosesExact = false;
    const primary = primaries.size === 0 ? 'none' : [...primaries].sort()[0]!;
    let group = classes.get(key);
    if (group === undefined) classes.set(key, (group = { size: 0, diagnoses: new Set() }));
    group.size++;
    group.diagnoses.add(primary);
  }
  const sizes = [...classes.values()].map((c) => c.size).sort((a, b) => a - b);
  // The report's classes split by first and last event year at their own levels; the files date
  // every record at the coarser of the two (release-report.ts, recordDateLevel) under Safe Harbor.
  // When the two levels differ, the finer event year is not in the files: the classes recomputed
  // here are unions of the report's, so their smallest can only be larger.
  const yearsExact = report.profile === 'longitudinal' || level.firstYear === level.lastYear;
  const why = !yearsExact
    ? `the first and last event years are released at levels ${level.firstYear} and ${level.lastYear}, the records dated at level ${Math.max(level.firstYear!, level.lastYear!)} only`
    : !diagnosesExact
      ? 'two final diagnoses of a patient cannot be ordered from their released dates'
      : '';
  return {
    rows: rows.length,
    classes: classes.size,
    k: sizes[0] ?? 0,
    l: Math.min(...[...classes.values()].map((c) => c.diagnoses.size)),
    exact: yearsExact && diagnosesExact,
    why,
    sizes,
  };
}

// ——— The scenario ———

describe('a purchase across the demo network, from query to saved datasets', () => {
  const e2e = useBrowserWithOwnShells();

  it('the researcher buys from both demo clinics; the saved datasets hold no identifier of the source populations, and the achieved k and ℓ recomputed from the files are the reports’', { timeout: 300_000 }, async () => {
    const steps = new StepLog('demo network purchase');
    const printed: string[] = [];
    let demo: DemoNetwork | null = null;
    try {
      const generatedFrom = new Date();
      demo = await steps.run('the demo network starts (server, dev chain, three keepers, two clinics, a research institute)', async () =>
        startDemoNetwork({ root: await e2e.tempDir('hdms-e2e-demo-'), print: (line) => printed.push(line), logLevel: 'warn' }),
      );
      const generatedTo = new Date();
      const clinics = demo.nodes.filter((node) => node.role === 'clinic');
      const researchNode = demo.nodes.find((node) => node.role === 'research')!;
      expect(clinics.map((c) => c.name).sort()).toEqual(Object.keys(PRICES).sort());

      const open = async (node: RunningNode): Promise<{ node: RunningNode; page: Page; cspViolations: () => Promise<string[]> }> => {
        const view = await e2e.openPage();
        await view.page.goto(node.url);
        await unlockVault(view.page, DEMO_PASSPHRASE);
        return { node, page: view.page, cspViolations: view.cspViolations };
      };
      const [research, ...clinicPages] = await steps.run('each node opened from its URL and unlocked with the demo passphrase', async () => Promise.all([open(researchNode), ...clinics.map(open)]));
      const clinicPage = (name: string): Page => clinicPages.find((c) => c.node.name === name)!.page;

      await steps.run('each clinic: a research policy that answers automatically, at its price', async () => {
        await Promise.all(clinics.map((clinic) => setPolicy(clinicPage(clinic.name), 'automatic', PRICES[clinic.name]!)));
      });

      const purchases = research.page.getByRole('region', { name: 'Purchases' });
      const purchaseTable = purchases.getByRole('table', { name: 'Purchases' });
      await steps.run('the researcher’s account holds the demo’s PHD, no faucet needed', async () => {
        await goToArea(research.page, 'Marketplace');
        await purchases.getByText(`This node’s account holds ${FUNDED_PHD} PHD on the network’s chain.`).waitFor({ timeout: UI_TIMEOUT_MS });
        expect(await purchases.getByRole('button', { name: 'Get demo PHD' }).count()).toBe(0);
      });

      const answerOf = (name: string): Locator => research.page.getByRole('region', { name: 'Your queries' }).getByRole('article', { name });
      await steps.run('a query, answered by both clinics with an offer; then each clinic reviews purchases itself', async () => {
        const form = research.page.getByRole('form', { name: 'New query' });
        await form.getByLabel('Terms', { exact: true }).fill(TERM);
        await form.getByRole('button', { name: 'Send the query' }).click();
        await form.getByRole('status').filter({ hasText: 'The query was sent' }).waitFor({ timeout: KEY_TIMEOUT_MS });
        for (const clinic of clinics) {
          await expect.poll(() => answerOf(clinic.name).innerText().catch(() => ''), { timeout: 120_000, interval: 500 }).toContain(`${PRICES[clinic.name]} PHD per record`);
        }
        await Promise.all(clinics.map((clinic) => setPolicy(clinicPage(clinic.name), 'review', PRICES[clinic.name]!)));
      });

      await steps.run('both clinics’ rows in the basket; Request purchase sends two requests', async () => {
        for (const clinic of clinics) {
          await answerOf(clinic.name).getByRole('button', { name: /^Select all \d+$/ }).click();
          await answerOf(clinic.name).getByRole('button', { name: /^Add \d+ to the basket$/ }).click();
          await research.page.getByRole('region', { name: 'Basket' }).getByRole('rowheader', { name: clinic.name }).waitFor({ timeout: UI_TIMEOUT_MS });
        }
        const form = research.page.getByRole('form', { name: 'Request purchase of the basket' });
        await form.getByLabel('Purpose of the study').fill('HbA1c trajectories in type 2 diabetes, two clinics');
        await form.getByRole('button', { name: 'Request purchase' }).click();
        await form.getByRole('status').filter({ hasText: '2 requests were sent.' }).waitFor({ timeout: KEY_TIMEOUT_MS });
        for (const clinic of clinics) {
          await expect.poll(() => purchaseTable.getByRole('row').filter({ hasText: clinic.name }).innerText().catch(() => ''), { timeout: UI_TIMEOUT_MS }).toContain('Sent, waiting for the clinic');
        }
      });

      const requestsOf = (name: string): Locator => clinicPage(name).getByRole('table', { name: 'Purchase requests' });
      await steps.run('each clinic’s administrator accepts under Marketplace › Purchase requests; notarized', async () => {
        await Promise.all(
          clinics.map(async (clinic) => {
            const requests = requestsOf(clinic.name);
            await goToArea(clinicPage(clinic.name), 'Marketplace');
            await expect.poll(() => requests.innerText().catch(() => ''), { timeout: 60_000, interval: 500 }).toMatch(/Northfield Demo Research Institute[\s\S]*two clinics[\s\S]*PHD[\s\S]*Waiting/);
            await requests.getByRole('button', { name: 'Accept' }).click();
            await expect.poll(() => requests.innerText(), { timeout: 90_000, interval: 1000 }).toMatch(/Accepted and notarized \(notary leaf \d+\)/);
          }),
        );
      });

      const rowOf = (name: string): Locator => purchaseTable.getByRole('row').filter({ hasText: name });
      await steps.run('the researcher pays each accepted purchase into escrow; the balance goes down by both', async () => {
        let paid = 0;
        for (const clinic of clinics) {
          const row = rowOf(clinic.name);
          await expect.poll(() => row.innerText(), { timeout: 60_000, interval: 1000 }).toMatch(/Accepted \(notarized\) \(notary leaf \d+\)/);
          const pay = row.getByRole('button', { name: /^Pay [\d.]+ PHD into escrow$/ });
          const price = /^Pay ([\d.]+) PHD/.exec((await pay.textContent()) ?? '')![1]!;
          const records = Number((await row.getByRole('cell').first().innerText()).replace(/,/g, ''));
          expect(Number(price)).toBeCloseTo(records * Number(PRICES[clinic.name]), 6);
          await pay.click();
          await expect.poll(() => row.innerText(), { timeout: 90_000, interval: 1000 }).toContain(`Paid into escrow: ${price} PHD (confirmed)`);
          paid += Number(price);
        }
        await purchases.getByText(`This node’s account holds ${FUNDED_PHD - paid} PHD on the network’s chain.`).waitFor({ timeout: UI_TIMEOUT_MS });
      });

      await steps.run('each clinic’s administrator checks the release, then releases and delivers it', async () => {
        await Promise.all(
          clinics.map(async (clinic) => {
            const row = requestsOf(clinic.name).getByRole('row').filter({ hasText: 'Accepted and notarized' });
            await row.getByRole('button', { name: 'Check the release' }).click();
            await expect.poll(() => row.innerText(), { timeout: 60_000, interval: 500 }).toMatch(/Releasable: \d+ of \d+ records \(\d+ suppressed\), k = \d+ \(at least 5\), ℓ = \d+ \(at least 2\)/);
            await row.getByRole('button', { name: 'Release and deliver' }).click();
            await expect.poll(() => row.innerText(), { timeout: 120_000, interval: 1000 }).toMatch(/Delivered: \d+ records \(\d+ suppressed\), k = \d+, ℓ = \d+; \d+ KiB sealed, its key with 3 keepers \(2 needed\)/);
          }),
        );
      });

      await steps.run('the researcher sees both deliveries, notarized, under Purchases', async () => {
        for (const clinic of clinics) {
          await expect.poll(() => rowOf(clinic.name).innerText(), { timeout: 120_000, interval: 1000 }).toMatch(/Delivered: \d+ records, k = \d+, ℓ = \d+; \d+ KiB sealed, its key with 3 keepers \(2 needed\) \(notary leaf \d+\)/);
        }
      });

      const datasets = research.page.getByRole('region', { name: 'Datasets' });
      const datasetRows = datasets.getByRole('list', { name: 'Datasets' }).locator(':scope > li');
      const purchaseIds = await steps.run('Datasets: the researcher asks the keepers of both datasets until enough released their shares', async () => {
        await expect.poll(() => datasetRows.count(), { timeout: UI_TIMEOUT_MS }).toBe(2);
        const ids = await Promise.all([0, 1].map(async (i) => /from the purchase (\S+) \(k =/.exec(await datasetRows.nth(i).innerText())![1]!));
        // A keeper refuses while the checkpoint holding the delivery is not yet witnessed (the nodes
        // cosign at their next refresh): ask again, as a user would, until enough released.
        for (const id of ids) {
          const row = datasetRows.filter({ hasText: id });
          await expect
            .poll(
              async () => {
                const ask = row.getByRole('button', { name: /^Ask the keepers( again| for the key)$/ });
                if (await ask.isVisible().catch(() => false)) await ask.click();
                return row.innerText().catch(() => '');
              },
              { timeout: 180_000, interval: 3000 },
            )
            .toMatch(/Key: [23] shares released \(2 needed\)/)
            .catch(async (error: unknown) => {
              throw new Error(`${(error as Error).message}\nThe dataset row:\n${await row.innerText().catch(() => '(unreadable)')}`);
            });
          const keepers = new RegExp(`(${DEMO_KEEPERS.map((k) => k.name).join('|')}): released its share \\(notary leaf \\d+\\)`);
          expect(await row.getByRole('list', { name: 'Key keepers' }).innerText()).toMatch(keepers);
        }
        return ids;
      });

      await steps.run('Open each dataset: checked against its notarized delivery, and the delivery acknowledged', async () => {
        for (const id of purchaseIds) {
          const row = datasetRows.filter({ hasText: id });
          await row.getByRole('button', { name: 'Open the dataset' }).click();
          await expect.poll(() => row.innerText(), { timeout: 120_000, interval: 1000 }).toMatch(/Opened and checked: \d+ files[\s\S]*Delivery acknowledged: the escrow pays the clinic and the keepers\./);
          await expect.poll(() => row.getByText('Opening, checking and acknowledging the delivery…').count(), { timeout: 120_000, interval: 500 }).toBe(0);
          expect(await row.getByRole('alert').allInnerTexts()).toEqual([]);
        }
        // The Purchases panel reads the escrow when it is shown: back to the Marketplace, both deposits are paid out.
        await goToArea(research.page, 'Settings');
        await goToArea(research.page, 'Marketplace');
        for (const clinic of clinics) await expect.poll(() => rowOf(clinic.name).innerText().catch(() => ''), { timeout: 60_000, interval: 1000 }).toContain('Paid out to the clinic and keepers');
      });

      const saved = new Map<string, string>();
      const savedRoot = await e2e.tempDir('hdms-e2e-datasets-');
      await steps.run('each dataset page: provenance naming its clinic, a preview; saved to a folder', async () => {
        for (const id of purchaseIds) {
          const row = datasetRows.filter({ hasText: id });
          await row.getByRole('button', { name: 'Show the dataset' }).click();
          const provenance = row.getByRole('list', { name: 'Provenance' });
          await provenance.waitFor({ timeout: 60_000 });
          const text = await provenance.innerText();
          const clinic = clinics.find((c) => text.includes(`Acceptance by ${c.name}`));
          expect(clinic, text).toBeDefined();
          expect(text).toMatch(new RegExp(`Purchase request by this node[\\s\\S]*Acceptance by ${clinic!.name}[\\s\\S]*notary leaf \\d+[\\s\\S]*Deposit[\\s\\S]*Delivery by ${clinic!.name}[\\s\\S]*notary leaf \\d+[\\s\\S]*Key release by [\\s\\S]*notary leaf \\d+[\\s\\S]*Acknowledgement by this node`));
          await row.getByText('csv/Patient.csv').click();
          expect(await row.getByRole('table', { name: 'Preview of csv/Patient.csv' }).innerText()).toMatch(/pseudonym[\s\S]*gender[\s\S]*zip3/);
          const folder = path.join(savedRoot, clinic!.name.toLowerCase().replace(/\W+/g, '-'));
          const form = row.getByRole('form', { name: 'Save dataset to a folder' });
          await form.getByLabel('Folder', { exact: true }).fill(folder);
          await form.getByRole('button', { name: 'Save dataset to a folder' }).click();
          await form.getByRole('status').filter({ hasText: /^Saved \d+ files/ }).waitFor({ timeout: 60_000 });
          saved.set(clinic!.name, folder);
          await row.getByRole('button', { name: 'Hide the dataset' }).click();
        }
        expect([...saved.keys()].sort()).toEqual(clinics.map((c) => c.name).sort());
      });

      await steps.run('no CSP violation on any node’s page', async () => {
        for (const view of [research, ...clinicPages]) expect(await view.cspViolations(), view.node.name).toEqual([]);
      });

      const counts: string[] = [];
      await steps.run('no direct identifier of either clinic’s source population is in any delivered file', async () => {
        for (const clinic of clinics) {
          const folder = saved.get(clinic.name)!;
          const files = await filesOf(folder);
          expect(files).toEqual(expect.arrayContaining(['manifest.json', 'release-report.json', 'fhir/Patient.ndjson', 'fhir/Observation.ndjson', 'fhir/Condition.ndjson', 'csv/Patient.csv', 'csv/Observation.csv']));
          const scanned = await Promise.all(files.map((file) => scannedTextsOf(folder, file)));
          const { kinds, sourceTexts } = sourceIdentifiers(clinic.patients, clinic.seed, generatedFrom, generatedTo);
          // The scan itself is checked first: every identifier is found in the source messages (HL7
          // text and normalized JSON), and each form of each one where a text or a DICOM file would
          // hold it; finding none in the delivered files then means something.
          const source = scanFile('the source messages', sourceTexts.join('\n'));
          const missed: string[] = [];
          for (const { kind, values, forms } of kinds) {
            for (const value of values) {
              if (forms(value).length > 0 && !forms(value).some(({ needle, matcher }) => occursIn(source, needle, matcher))) missed.push(`${kind}: "${value}" not in the source`);
              for (const { needle, matcher } of forms(value)) {
                if (!occursIn(scanFile('probe.json', `{"value":"${needle}"}`), needle, matcher)) missed.push(`${kind}: "${needle}" not in a JSON field`);
                const dicom = scanFile('probe.dcm', Buffer.concat([Buffer.from([0x10, 0x00, 0x10, 0x00, 0x50, 0x4e, 0x20, 0x00]), Buffer.from(`${needle} `, 'utf8')]).toString('latin1'));
                if (!occursIn(dicom, dicomNeedle(needle), matcher)) missed.push(`${kind}: "${needle}" not in a DICOM element`);
              }
            }
          }
          expect(missed, clinic.name).toEqual([]);
          const found: string[] = [];
          for (const { kind, values, forms } of kinds) {
            for (const value of values) {
              for (const { needle, matcher } of forms(value)) {
                for (const file of scanned) {
                  const dicom = file.name.endsWith('.dcm');
                  const needles = dicom ? [needle, dicomNeedle(needle), dicomNeedle(needle.toUpperCase())] : [needle];
                  if (needles.some((n) => occursIn(file, n, matcher))) found.push(`${kind}: "${value}" (as "${needle}") in ${file.name}`);
                }
              }
            }
          }
          expect(found, clinic.name).toEqual([]);
          // The released postal codes, field by field: three digits at most (generalized: "12*"), never a full code.
          const patients = await ndjsonOf(folder, 'fhir/Patient.ndjson');
          for (const patient of patients) for (const address of (patient.address as { postalCode?: string }[] | undefined) ?? []) expect(address.postalCode ?? '').toMatch(/^(\d{3}|\d{0,2}\*+)?$/);
          const zipColumn = parseCsv(await readFile(path.join(folder, 'csv/Patient.csv'), 'utf8')).slice(1).filter((row) => row.length > 1).map((row) => row[4] ?? '');
          for (const zip of zipColumn) expect(zip).toMatch(/^(\d{3}|\d{0,2}\*+)?$/);
          const dicomFiles = files.filter((file) => file.endsWith('.dcm')).length;
          const unscanned = kinds.flatMap(({ values, forms }) => [...values].filter((value) => forms(value).length === 0)).length;
          counts.push(`${clinic.name} (${files.length} files, ${dicomFiles} DICOM): ${kinds.map(({ kind, values }) => `${values.size} ${kind}`).join(', ')}; ${unscanned} year-like ZIP code(s) checked field by field only`);
        }
      });

      const kLines: string[] = [];
      await steps.run('k and ℓ recomputed from each dataset’s delivered files over all the release’s quasi-identifiers', async () => {
        for (const clinic of clinics) {
          const folder = saved.get(clinic.name)!;
          const report = JSON.parse(await readFile(path.join(folder, 'release-report.json'), 'utf8')) as ReleaseReportFile;
          const { newYearCrossing } = sourceIdentifiers(clinic.patients, clinic.seed, generatedFrom, generatedTo);
          expect(report.profile).toBe('safe-harbor');
          const recomputed = await recomputeClasses(folder, report);
          expect(recomputed.rows).toBe(report.rows.out);
          expect(recomputed.k).toBeGreaterThanOrEqual(Math.max(5, report.required.k));
          expect(recomputed.l).toBeGreaterThanOrEqual(report.required.l);
          // Visits are not exported (no Encounter resource): their years are seen through their
          // results', which is exact unless a visit and its results straddle New Year's Eve.
          const exact = recomputed.exact && !newYearCrossing;
          if (exact) {
            expect({ k: recomputed.k, l: recomputed.l, classes: recomputed.classes }).toEqual({ k: report.achieved.k, l: report.achieved.l, classes: report.achieved.classes });
          } else {
            expect(recomputed.k).toBeGreaterThanOrEqual(report.achieved.k);
            expect(recomputed.classes).toBeLessThanOrEqual(report.achieved.classes);
          }
          const qis = report.quasiIdentifiers.map((qi) => `${qi.name} ${qi.meaning}`).join(', ');
          kLines.push(
            `${clinic.name}: ${report.rows.out} of ${report.rows.in} rows (${report.rows.suppressed} suppressed); QIs ${qis}; recomputed ${recomputed.classes} classes of sizes [${recomputed.sizes.join(', ')}], k = ${recomputed.k}, ℓ = ${recomputed.l}; report k = ${report.achieved.k}, ℓ = ${report.achieved.l}, ${report.achieved.classes} classes` +
              (exact ? ' (equal)' : ` (at least: ${recomputed.why || 'a visit and its results may straddle New Year'})`),
          );
        }
      });
      console.log([steps.summary(), ...counts, ...kLines].join('\n'));
    } finally {
      await demo?.stop();
    }
  });
});
