import { Fragment, useCallback, useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { MEASUREMENTS, type ReadingFlag } from '../../../shared/domain/device-readings';
import { SERIAL_BAUD_RATES, type DevicesStatus } from '../../../shared/ipc/devices-contract';
import type { DeviceReading } from '../../../shared/journal/device-meta';
import { useApi, useBodyEvent } from '../../app/api-context';
import { ErrorNote } from '../../app/error-note';
import { useCurrentOperator, useVault, useVaultPhase } from '../../vault/vault-context';
import type { PatientHit } from '../../vault/vault-service';
import type { DeviceReport } from '../../vault/views/device-reports';
import { unitLabel } from '../patients/ucum-units';
import { devicePoint, panelsOf, pointValueParts, type VitalPoint } from './patient-device-vitals';
import { useDevicesStatus } from './use-devices-status';

const MANAGER_STATES: Readonly<Record<string, string>> = {
  disconnected: 'Disconnected',
  unassociated: 'Connected, not associated',
  'waiting-for-config': 'Sending its configuration',
  'checking-config': 'Checking its configuration',
  operating: 'Associated',
  disassociating: 'Releasing',
};

const FLAG_WORDS: Readonly<Record<ReadingFlag, string>> = {
  'no-value': 'no value sent',
  implausible: 'outside the plausible range',
  'unit-unknown': 'unit not known',
  'device-time-invalid': 'device clock invalid',
  'clock-skew': 'device clock far from this computer’s',
  duplicate: 'sent before',
  'unknown-measurement': 'measurement not known',
};

const SPECIAL_WORDS: Readonly<Record<string, string>> = { NaN: 'not a number', NRes: 'not at this resolution', '+INF': '+infinity', '-INF': '−infinity', reserved: 'reserved code' };

const when = (iso: string) => new Date(iso).toLocaleString();

function deviceName(d: { manufacturer?: string | undefined; model?: string | undefined }): string {
  const name = [d.manufacturer, d.model].filter((x) => x !== undefined && x !== '').join(' ');
  return name === '' ? 'Model not reported yet' : name;
}

/**
 * A reading's value as the patient page lists it (`point`: its point there, see inboxPoints): in the
 * unit the device reported, converted only where the patient page's chart converts it, saying what
 * was reported ("99 mg/dL (reported as 5.5 mmol/L)"). A reading the chart has no point for reads as
 * sent (a unit with no conversion, a measurement with no chart); a special value is never a number.
 */
export function readingValue(r: DeviceReading, point?: VitalPoint): string {
  if (r.status !== 'value') return `No value (${SPECIAL_WORDS[r.status] ?? r.status})`;
  if (point !== undefined) return pointValueParts(point).join(' ');
  if (r.value === undefined) return 'No value';
  return r.unit === undefined ? String(r.value) : `${r.value} ${unitLabel(r.unit)}`;
}

/**
 * The inbox's readings as the patient page would show them: those of one device session and person
 * (what is assigned to one patient) read together through the patient page's panels (panelsOf), so
 * each is in the unit most of its family's readings were reported in. By `${seq}:${index}`.
 */
export function inboxPoints(reports: readonly DeviceReport[]): Map<string, VitalPoint> {
  const groups = new Map<string, VitalPoint[]>();
  for (const report of reports) {
    for (const [index, reading] of report.readings.entries()) {
      const point = devicePoint(report, index);
      if (point === undefined) continue;
      const group = `${report.session}/${reading.personId ?? ''}`;
      // Pushed, not copied: a session of thousands of readings made this quadratic.
      const list = groups.get(group);
      if (list === undefined) groups.set(group, [point]);
      else list.push(point);
    }
  }
  const out = new Map<string, VitalPoint>();
  for (const points of groups.values()) for (const list of panelsOf(points).values()) for (const point of list) out.set(point.key, point);
  return out;
}

/**
 * Readings listed per device session (and person) in the inbox: a device's memory upload can hold
 * thousands, and a table of all of them re-rendered as each arrives kept the window busy for
 * seconds. The rest are counted; assigning the session assigns them all.
 */
export const READINGS_SHOWN_PER_SESSION = 50;

/** The line under a session's last row shown: how many more readings it holds. */
export function moreReadingsNote(more: number, assigned: boolean): string {
  const readings = `${more.toLocaleString('en')} more reading${more === 1 ? '' : 's'} of this device session`;
  return assigned ? `${readings}, assigned with it (the patient's Vitals list them).` : `${readings}, not listed here; assigning the session assigns them too.`;
}

export function readingName(r: DeviceReading): string {
  return MEASUREMENTS.get(r.code)?.label ?? `Measurement code ${r.code}`;
}

function PortsSection({ status, onStatus }: { status: DevicesStatus; onStatus: (s: DevicesStatus) => void }) {
  const api = useApi();
  const headingId = useId();
  const pathId = useId();
  const baudId = useId();
  const [path, setPath] = useState('');
  const [baud, setBaud] = useState<(typeof SERIAL_BAUD_RATES)[number]>(9600);
  const [error, setError] = useState<unknown>(null);
  const [listed, setListed] = useState<{ ports: readonly { path: string; manufacturer?: string | undefined }[]; error?: string | undefined } | null>(null);

  const open = async (portPath: string) => {
    setError(null);
    try {
      onStatus(await api.devices.openPort({ path: portPath, settings: { baudRate: baud } }));
      setPath('');
    } catch (e) {
      setError(e);
    }
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (path.trim() !== '') void open(path.trim());
  };
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Serial ports</h2>
      {status.ports.length === 0 ? (
        <p className="muted">No port is open. Add the port the device’s cable is on.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Port</th>
                <th scope="col">State</th>
                <th scope="col">Line</th>
                <th scope="col">Details</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {status.ports.map((p) => (
                <tr key={p.path}>
                  <th scope="row">{p.path}</th>
                  <td>{p.state === 'open' ? 'Open' : p.state === 'opening' ? 'Opening' : 'Closed'}</td>
                  <td>{p.settings === undefined ? '' : `${p.settings.baudRate} baud, ${p.settings.dataBits}${p.settings.parity[0]!.toUpperCase()}${p.settings.stopBits}`}</td>
                  <td>{p.reason ?? ''}</td>
                  <td>
                    <button type="button" onClick={() => void api.devices.closePort({ path: p.path }).then(onStatus, setError)}>
                      Close {p.path}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form onSubmit={submit} className="inline-form">
        <label htmlFor={pathId}>Port path</label>
        <input id={pathId} value={path} onChange={(e) => setPath(e.target.value)} placeholder="/dev/ttyUSB0 or COM3" />
        <label htmlFor={baudId}>Baud rate</label>
        <select id={baudId} value={baud} onChange={(e) => setBaud(Number(e.target.value) as (typeof SERIAL_BAUD_RATES)[number])}>
          {SERIAL_BAUD_RATES.map((b) => (
            <option key={b} value={b}>
              {b}
            </option>
          ))}
        </select>
        <button type="submit">Open port</button>
        <button type="button" onClick={() => void api.devices.listPorts({}).then(setListed, setError)}>
          Show the ports this computer lists
        </button>
      </form>
      {listed !== null && (
        <div>
          {listed.error !== undefined && <p className="note">{listed.error}</p>}
          {listed.ports.length === 0 && listed.error === undefined && <p className="muted">This computer lists no serial port.</p>}
          <ul>
            {listed.ports.map((p) => (
              <li key={p.path}>
                {p.path}
                {p.manufacturer === undefined ? '' : ` (${p.manufacturer})`}{' '}
                <button type="button" onClick={() => void open(p.path)}>
                  Open {p.path}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {error !== null && <ErrorNote error={error} what="The port could not be changed" />}
    </section>
  );
}

function ConnectionsSection({ status }: { status: DevicesStatus }) {
  const headingId = useId();
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Connected devices</h2>
      {status.tcp !== null && <p className="muted">Also listening for devices over TCP on {status.tcp.address}, port {status.tcp.port}.</p>}
      {status.connections.length === 0 ? (
        <p className="muted">No device is connected.</p>
      ) : (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Port</th>
                <th scope="col">Device</th>
                <th scope="col">System id</th>
                <th scope="col">State</th>
                <th scope="col">Approval</th>
                <th scope="col">Reports stored</th>
                <th scope="col">Last report</th>
              </tr>
            </thead>
            <tbody>
              {status.connections.map((c) => (
                <tr key={c.id}>
                  <th scope="row">{c.port}</th>
                  <td>{c.systemId === undefined ? '' : deviceName(c)}</td>
                  <td>
                    <code>{c.systemId ?? ''}</code>
                  </td>
                  <td>{MANAGER_STATES[c.state] ?? c.state}</td>
                  <td>{c.approval === undefined ? '' : c.approval === 'approved' ? 'Approved' : c.approval === 'rejected' ? 'Rejected' : 'Awaiting approval'}</td>
                  <td>{c.reports}</td>
                  <td>{c.lastReportAt === undefined ? '' : when(c.lastReportAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ApprovalSection({ status }: { status: DevicesStatus }) {
  const api = useApi();
  const vault = useVault();
  const phase = useVaultPhase();
  const operator = useCurrentOperator();
  const headingId = useId();
  const [error, setError] = useState<unknown>(null);
  if (status.awaitingApproval.length === 0) return null;
  const admin = operator?.role === 'admin';
  const decide = (systemId: string, decision: 'approved' | 'rejected', d: { manufacturer?: string | undefined; model?: string | undefined }) => {
    setError(null);
    const input = { systemIdPrefix: systemId, decision, ...(d.manufacturer === undefined ? {} : { manufacturer: d.manufacturer }), ...(d.model === undefined ? {} : { model: d.model }) };
    // The body's list takes effect; the journaled decision becomes a signed ledger entry (SETTINGS_CHANGE).
    api.devices
      .decide(input)
      .then(() => (phase === 'unlocked' ? vault.journalDeviceDecision(input) : undefined))
      .catch(setError);
  };
  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Devices awaiting approval</h2>
      <p className="muted">Readings from these devices are kept sealed and are not shown on any patient until an administrator approves the device.</p>
      <ul>
        {status.awaitingApproval.map((d) => (
          <li key={d.systemId}>
            {deviceName(d)}, system id <code>{d.systemId}</code>, first seen {when(d.firstSeenAt)}{' '}
            {admin ? (
              <>
                <button type="button" onClick={() => decide(d.systemId, 'approved', d)}>
                  Approve {d.systemId}
                </button>{' '}
                <button type="button" onClick={() => decide(d.systemId, 'rejected', d)}>
                  Reject {d.systemId}
                </button>
              </>
            ) : (
              <span className="muted">(an administrator approves devices)</span>
            )}
          </li>
        ))}
      </ul>
      {error !== null && <ErrorNote error={error} what="The decision was not saved" />}
    </section>
  );
}

/** Search and pick the patient a device session's readings belong to. */
function AssignPatient({ session, personId, onDone }: { session: string; personId: number | undefined; onDone: () => void }) {
  const vault = useVault();
  const inputId = useId();
  const [query, setQuery] = useState('');
  const [hits, setHits] = useState<readonly PatientHit[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    vault
      .search(query)
      .then((result) => vault.patientHits(result.patientIds.slice(0, 10)))
      .then(setHits, setError);
  };
  const assign = (patientId: string) => {
    vault.assignDeviceSession(session, patientId, personId).then(onDone, setError);
  };
  return (
    <div className="assign-patient">
      <form onSubmit={search} className="inline-form">
        <label htmlFor={inputId}>Find the patient</label>
        <input id={inputId} value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Name, MRN or birth date" />
        <button type="submit">Search</button>
      </form>
      {hits !== null && hits.length === 0 && <p className="muted">No patient matches.</p>}
      {hits !== null && hits.length > 0 && (
        <ul>
          {hits.map((hit) => (
            <li key={hit.patientId}>
              {hit.name} {hit.birthDate} {hit.identifier}{' '}
              <button type="button" onClick={() => assign(hit.patientId)}>
                Assign to {hit.name}
              </button>
            </li>
          ))}
        </ul>
      )}
      {error !== null && <ErrorNote error={error} what="The readings were not assigned" />}
    </div>
  );
}

function ReadingsSection() {
  const vault = useVault();
  const headingId = useId();
  const [reports, setReports] = useState<readonly DeviceReport[] | null>(null);
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const [assigning, setAssigning] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = useCallback(() => {
    vault
      .deviceReports({ limit: 20 })
      .then(async (r) => {
        const ids = [...new Set(r.flatMap((report) => report.readingPatients.flatMap((id) => (id === null ? [] : [id]))))];
        const hits = ids.length === 0 ? [] : await vault.patientHits(ids);
        setNames(new Map(hits.map((hit) => [hit.patientId, hit.name])));
        setReports(r);
        setError(null);
      })
      .catch((e: unknown) => setError(e));
  }, [vault]);
  useEffect(() => {
    load();
    // The views fill as the journal is replayed: read again whenever the vault says something changed.
    return vault.subscribe(load);
  }, [vault, load]);
  useBodyEvent('devices.changed', load);
  const points = useMemo(() => inboxPoints(reports ?? []), [reports]);
  // Rows shown per device session (and person); the rest are counted under the session's last row shown.
  const shownPerGroup = new Map<string, number>();
  const hidden = new Map<string, number>();
  const rows = (reports ?? []).flatMap((report) =>
    report.readings.flatMap((reading, i) => {
      // The assign control once per device session (and MP person: each is assigned apart), on its first row here.
      const group = `${report.session}/${reading.personId ?? ''}`;
      const shown = shownPerGroup.get(group) ?? 0;
      if (shown >= READINGS_SHOWN_PER_SESSION) {
        hidden.set(group, (hidden.get(group) ?? 0) + 1);
        return [];
      }
      shownPerGroup.set(group, shown + 1);
      return [{ report, reading, key: `${report.seq}:${i}`, first: shown === 0, group, patientId: report.readingPatients[i] ?? null }];
    }),
  );
  const lastShown = new Map(rows.map((row, index) => [row.group, index]));
  return (
    <section className="panel" aria-labelledby={headingId} aria-busy={reports === null}>
      <h2 id={headingId}>Latest readings</h2>
      {error !== null && <ErrorNote error={error} what="The readings could not be read" />}
      <p className="muted">Readings not yet assigned to a patient wait here (the Devices inbox) until someone at this workstation assigns their device session.</p>
      {reports !== null && rows.length === 0 && <p className="muted">No reading yet.</p>}
      {rows.length > 0 && (
        <div className="table-wrap">
          <table className="data-table" aria-labelledby={headingId}>
            <thead>
              <tr>
                <th scope="col">Taken</th>
                <th scope="col">Device</th>
                <th scope="col">Measurement</th>
                <th scope="col">Value</th>
                <th scope="col">Quality</th>
                <th scope="col">Status</th>
                <th scope="col">Patient</th>
              </tr>
            </thead>
            <tbody>
              {rows.map(({ report, reading, key, first, group, patientId }, index) => (
                <Fragment key={key}>
                <tr>
                  <td>{when(reading.time)}</td>
                  <td>
                    {deviceName(report.device)} <code>{report.device.systemId}</code>
                  </td>
                  <th scope="row">{readingName(reading)}</th>
                  <td>{readingValue(reading, points.get(key))}</td>
                  <td>
                    {Math.round(reading.quality * 100)}%{reading.flags.length > 0 ? ` (${reading.flags.map((f) => FLAG_WORDS[f]).join(', ')})` : ''}
                  </td>
                  <td>{report.approval === 'approved' ? 'Approved device' : report.approval === 'rejected' ? 'Rejected device: not used' : 'Held: device awaiting approval'}</td>
                  <td>
                    {patientId !== null ? (
                      (names.get(patientId) ?? 'Assigned')
                    ) : !first ? (
                      'In the inbox'
                    ) : assigning === group ? (
                      <AssignPatient
                        session={report.session}
                        personId={reading.personId}
                        onDone={() => {
                          setAssigning(null);
                          load();
                        }}
                      />
                    ) : (
                      <button type="button" onClick={() => setAssigning(group)}>
                        {reading.personId === undefined ? 'Assign to a patient' : `Assign person ${reading.personId} to a patient`}
                      </button>
                    )}
                  </td>
                </tr>
                {lastShown.get(group) === index && (hidden.get(group) ?? 0) > 0 && (
                  <tr>
                    <td colSpan={7} className="muted">
                      {moreReadingsNote(hidden.get(group)!, patientId !== null)}
                    </td>
                  </tr>
                )}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/**
 * Devices: the IEEE 11073 manager's serial ports (opened here by path, listed or not), the devices
 * connected with their model and system id, devices awaiting an administrator's approval, and the
 * latest readings with their quality.
 */
export function DevicesArea() {
  const phase = useVaultPhase();
  const { state, set } = useDevicesStatus();
  return (
    <>
      <p className="page-intro">
        Blood-pressure monitors, scales, thermometers, pulse oximeters and glucose meters connect to this workstation by a
        serial or USB-serial cable and speak IEEE 11073-20601. Each reading is sealed into the vault before the device is
        told it arrived; a reading sent twice is stored once.
      </p>
      {state.phase === 'loading' && <p role="status">Loading the device ports…</p>}
      {state.phase === 'failed' && <ErrorNote error={state.error} what="The device ports could not be loaded" />}
      {state.phase === 'ready' && (
        <>
          <PortsSection status={state.status} onStatus={set} />
          <ConnectionsSection status={state.status} />
          <ApprovalSection status={state.status} />
        </>
      )}
      {phase === 'unlocked' ? <ReadingsSection /> : <p className="panel muted">Unlock the vault to see the readings.</p>}
    </>
  );
}
