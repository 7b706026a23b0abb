import { useEffect, useId, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { ReadingKind } from '../../../shared/domain/device-readings';
import { ErrorNote } from '../../app/error-note';
import { useVault } from '../../vault/vault-context';
import type { DeviceReport } from '../../vault/views/device-reports';
import { unitLabel } from '../patients/ucum-units';

const CHART_HEIGHT = 220;

/** The charts, in the order clinicians read vitals: each a measurement family on one time axis. */
const PANELS: readonly { readonly title: string; readonly kinds: readonly ReadingKind[] }[] = [
  { title: 'Blood pressure', kinds: ['systolic', 'diastolic', 'mean-arterial'] },
  { title: 'Pulse', kinds: ['pulse'] },
  { title: 'SpO2', kinds: ['spo2'] },
  { title: 'Temperature', kinds: ['temperature'] },
  { title: 'Weight', kinds: ['weight'] },
  { title: 'Glucose', kinds: ['glucose'] },
];

const KIND_LABEL: Readonly<Partial<Record<ReadingKind, string>>> = { systolic: 'Systolic', diastolic: 'Diastolic', 'mean-arterial': 'Mean arterial', pulse: 'Pulse', spo2: 'SpO2', temperature: 'Temperature', weight: 'Weight', glucose: 'Glucose' };

export interface VitalPoint {
  /** Seconds since the epoch. */
  readonly at: number;
  readonly kind: ReadingKind;
  readonly value: number;
  readonly unit: string;
  readonly quality: number;
  readonly flags: readonly string[];
  readonly key: string;
}

/** The numeric readings of reports, per chart panel, oldest first (special values have no point: they are no number). */
export function vitalPoints(reports: readonly DeviceReport[]): Map<string, VitalPoint[]> {
  const out = new Map<string, VitalPoint[]>();
  for (const report of reports) {
    for (const [index, r] of report.readings.entries()) {
      if (r.status !== 'value' || r.normalizedValue === undefined || r.normalizedUnit === undefined) continue;
      const panel = PANELS.find((p) => p.kinds.includes(r.kind));
      if (panel === undefined) continue;
      const list = out.get(panel.title) ?? [];
      list.push({ at: Date.parse(r.time) / 1000, kind: r.kind, value: r.normalizedValue, unit: r.normalizedUnit, quality: r.quality, flags: r.flags, key: `${report.seq}:${index}` });
      out.set(panel.title, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.at - b.at);
  return out;
}

function canDraw(): boolean {
  try {
    return document.createElement('canvas').getContext('2d') !== null;
  } catch {
    return false;
  }
}

/** One panel: its series on one time axis (uPlot, as the results trend chart), and the values as a table. */
function VitalsPanel({ title, kinds, points }: { title: string; kinds: readonly ReadingKind[]; points: readonly VitalPoint[] }) {
  const host = useRef<HTMLDivElement>(null);
  const captionId = useId();
  const unit = unitLabel(points.at(-1)?.unit ?? '');
  const present = useMemo(() => kinds.filter((k) => points.some((p) => p.kind === k)), [kinds, points]);
  const latest = points.at(-1);
  const summary = `${title}: ${points.length === 1 ? '1 reading' : `${points.length} readings`}${latest === undefined ? '' : `; latest ${latest.value} ${unit}`}.`;

  useEffect(() => {
    const element = host.current;
    if (element === null || points.length === 0 || !canDraw()) return;
    const styles = getComputedStyle(element);
    const css = (name: string, fallback: string) => styles.getPropertyValue(name).trim() || fallback;
    const colours = [css('--color-accent', '#0b6481'), '#a23b72', '#6a4c93'];
    const times = [...new Set(points.map((p) => p.at))].sort((a, b) => a - b);
    const series = present.map((kind) => times.map((t) => points.find((p) => p.at === t && p.kind === kind)?.value ?? null));
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth || 640),
        height: CHART_HEIGHT,
        scales: { x: { time: true } },
        series: [{}, ...present.map((kind, i) => ({ label: KIND_LABEL[kind] ?? kind, stroke: colours[i % colours.length]!, width: 2, spanGaps: true, points: { show: true, size: 6 } }))],
        axes: [{}, { label: unit, size: 56 }],
      },
      [times, ...series],
      element,
    );
    return () => plot.destroy();
  }, [points, present, unit]);

  return (
    <figure className="trend" aria-labelledby={captionId}>
      <div ref={host} className="trend__plot" role="img" aria-label={summary} data-points={points.length} />
      <figcaption id={captionId} className="trend__caption">
        {summary}
      </figcaption>
      <table className="data-table" aria-label={`${title} readings`}>
        <thead>
          <tr>
            <th scope="col">Taken</th>
            <th scope="col">Measurement</th>
            <th scope="col">Value</th>
            <th scope="col">Quality</th>
          </tr>
        </thead>
        <tbody>
          {[...points].reverse().map((p) => (
            <tr key={p.key}>
              <td className="nowrap">{new Date(p.at * 1000).toLocaleString()}</td>
              <td>{KIND_LABEL[p.kind] ?? p.kind}</td>
              <td className="nowrap">
                {p.value} {unitLabel(p.unit)}
              </td>
              <td>
                {Math.round(p.quality * 100)}%{p.flags.length > 0 ? ` (${p.flags.join(', ')})` : ''}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** A patient's vitals from devices (sessions assigned to them, approved devices only), one chart per family, with their values. */
export function PatientDeviceVitals({ patientId }: { patientId: string }) {
  const vault = useVault();
  const headingId = useId();
  const [reports, setReports] = useState<readonly DeviceReport[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let current = true;
    const load = () =>
      vault.patientDeviceReports(patientId).then(
        (r) => current && setReports(r),
        (e: unknown) => current && setError(e),
      );
    void load();
    const unsubscribe = vault.subscribe(() => void load());
    return () => {
      current = false;
      unsubscribe();
    };
  }, [vault, patientId]);
  const panels = useMemo(() => vitalPoints(reports ?? []), [reports]);
  if (reports !== null && reports.length === 0 && error === null) return null;
  return (
    <section className="panel" aria-labelledby={headingId} aria-busy={reports === null}>
      <h2 id={headingId}>Vitals from devices</h2>
      {error !== null && <ErrorNote error={error} what="The device readings could not be read" />}
      {PANELS.filter((p) => panels.has(p.title)).map((p) => (
        <VitalsPanel key={p.title} title={p.title} kinds={p.kinds} points={panels.get(p.title)!} />
      ))}
    </section>
  );
}
