import { useEffect, useId, useMemo, useState } from 'react';
import type { ListenerStatus } from '../../../shared/ipc/intake-contract';
import { CopyButton } from '../../app/copy-button';
import { ErrorNote } from '../../app/error-note';
import { hrefForPath, hrefForRoute } from '../../app/router/hash-route';
import { useCurrentOperator, useVault, useVaultIndexing } from '../../vault/vault-context';
import type { MessagePage } from '../../vault/vault-service';
import { ImportDemoControl } from '../demo-data/import-demo-control';
import { STATUS_WORDS } from './message-browser';
import { AckCodes } from './message-parts';
import { When, count } from './monitor-tables';
import { useIntakeStatus } from './use-intake-status';

/** HL7 timestamp (YYYYMMDDHHMMSS) of a date, in UTC. */
function hl7Time(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/**
 * A test message for the sending system's first try: an ADT^A04 (registration) of a made-up
 * outpatient "Feed Test" with a fresh control id, segments separated by CR as HL7 wants.
 */
export function testMessage(now: Date): string {
  const time = hl7Time(now);
  return [
    `MSH|^~\\&|TESTSENDER|TESTFACILITY|HDMS|NODE|${time}||ADT^A04^ADT_A01|HDMS-TEST-${time}|P|2.5.1`,
    `EVN|A04|${time}`,
    'PID|1||FEEDTEST-0001^^^TESTFACILITY^MR||Test^Feed||19700101|U',
    'PV1|1|O',
  ].join('\r');
}

/** The message framed for MLLP (start block 0x0B, end 0x1C 0x0D) as a printf format in single quotes. */
function printfFrame(message: string): string {
  return `printf '\\x0b${message.replace(/\\/g, '\\\\').replace(/\r/g, '\\r')}\\x1c\\r'`;
}

/**
 * A bash line that sends the message over MLLP and prints the ACK, with no tool beyond bash itself
 * (its /dev/tcp redirection and read with a timeout; nc is not installed on Debian by default).
 */
export function sendCommand(message: string, host: string, port: number): string {
  return `(exec 3<>/dev/tcp/${host}/${port} && ${printfFrame(message)} >&3 && read -r -t 5 -d $'\\x1c' ack <&3; printf '%s\\n' "\${ack//$'\\r'/$'\\n'}")`;
}

/** The same with netcat, where it is installed. */
export function sendCommandNc(message: string, host: string, port: number): string {
  return `${printfFrame(message)} | nc -q 2 ${host} ${port}`;
}

/** What to tell the sending system, from the HL7 listener's status. */
export function addressAdvice(listener: ListenerStatus | undefined): { host: string | null; others?: readonly string[]; port: number | null; note: string } {
  if (listener === undefined) return { host: null, port: null, note: 'This node has no HL7 listener.' };
  // Turned off on purpose (tester S35 #4): say so, and how to turn it on, rather than a bare reason.
  if (listener.off === 'command-line') {
    return {
      host: null,
      port: null,
      note: 'The HL7 listener is turned off for this run: the node was started with --mllp-port 0. To turn it on, start the node again with --mllp-port 2575 (or another free port), or without --mllp-port to use the port saved in Settings → HL7 listener.',
    };
  }
  if (listener.off === 'settings') {
    return { host: null, port: null, note: 'The HL7 listener is turned off: its port is 0 in Settings → HL7 listener. An administrator can set a port there (2575 is usual); the listener opens as soon as it is saved.' };
  }
  if (listener.state !== 'listening' || listener.port === undefined) {
    return { host: null, port: null, note: `The HL7 listener is not listening: ${listener.reason ?? 'no reason given'}` };
  }
  const address = listener.address ?? '0.0.0.0';
  if (address === '127.0.0.1' || address === '::1' || address === 'localhost') {
    return {
      host: address,
      port: listener.port,
      note: 'The listener takes connections from this computer only. For an interface engine on another machine, set a network address and the allowed peers in Settings → HL7 listener, and give that address.',
    };
  }
  if ((address === '0.0.0.0' || address === '::') && listener.addresses !== undefined && listener.addresses.length > 0) {
    // The node names this computer's addresses (others than loopback first): the first is the host to give (QA s32 #8).
    const [host, ...others] = listener.addresses as [string, ...string[]];
    return {
      host,
      others,
      port: listener.port,
      note: 'The listener takes connections on every network address of this computer (from the allowed peers): give the sending system the address on its network; the test commands below use the first.',
    };
  }
  if (address === '0.0.0.0' || address === '::') {
    return { host: null, port: listener.port, note: 'The listener takes connections on every network address of this computer (from the allowed peers): give the sending system this computer’s address on your network.' };
  }
  return { host: address, port: listener.port, note: 'Only the allowed peers in Settings → HL7 listener may connect.' };
}

type First = { readonly phase: 'loading' } | { readonly phase: 'failed'; readonly error: unknown } | { readonly phase: 'ready'; readonly page: MessagePage; readonly patients: number };

/**
 * `#/intake/first-feed`, where setup ends: "Connect your first feed". The host and port to give
 * the sending system, a test message to copy (and a command that sends it), and the first message
 * shown as soon as the views have it. On an empty vault an administrator may import demo data
 * instead.
 */
export function FirstFeedPage() {
  const vault = useVault();
  const operator = useCurrentOperator();
  const indexing = useVaultIndexing();
  const intake = useIntakeStatus();
  const headingId = useId();
  const addressId = useId();
  const testId = useId();
  const arrivedId = useId();
  const demoId = useId();
  const message = useMemo(() => testMessage(new Date()), []);
  const [first, setFirst] = useState<First>({ phase: 'loading' });
  // An import started here stays on screen (with its progress and result) once the vault is no longer empty.
  const [demoStarted, setDemoStarted] = useState(false);

  // Asked again whenever the views caught up with more of the journal.
  useEffect(() => {
    let current = true;
    // The patients are counted only while no message is there (a large vault's list is not read on every indexing step).
    vault
      .messages({ limit: 1 })
      .then(async (page) => ({ page, patients: page.total === 0 ? (await vault.search('')).patientIds.length : -1 }))
      .then(
        ({ page, patients }) => {
          if (current) setFirst({ phase: 'ready', page, patients });
        },
        (error: unknown) => {
          if (current) setFirst({ phase: 'failed', error });
        },
      );
    return () => {
      current = false;
    };
  }, [vault, indexing.applied, indexing.busy]);

  const listener = intake.phase === 'ready' ? intake.status.listeners.find((entry) => entry.channel === 'hl7-mllp') : undefined;
  const advice = addressAdvice(listener);
  const newest = first.phase === 'ready' ? (first.page.messages[0] ?? null) : null;
  const empty = first.phase === 'ready' && first.page.total === 0 && first.patients === 0;
  // No message comes over MLLP while the listener is closed: the page does not say it is waiting for one.
  const listening = intake.phase !== 'ready' || listener?.state === 'listening';
  const notListening =
    listener?.off !== undefined
      ? 'No message can arrive over MLLP while the HL7 listener is turned off (step 1 says how to turn it on). Files of HL7 messages can still be imported on the Intake page.'
      : 'No message can arrive over MLLP while the HL7 listener is not listening (step 1 says why). Files of HL7 messages can still be imported on the Intake page.';

  return (
    <>
      <section className="panel panel--lead" aria-labelledby={headingId}>
        <h2 id={headingId}>Connect your first feed</h2>
        <p>
          Point an HL7 v2 sender (a lab system, an interface engine such as Mirth Connect) at this node over MLLP. Each
          message is sealed into the vault and acknowledged only once it is safely written.
        </p>
        <p>
          <a href={hrefForRoute('patients')}>Skip for now: go to Patients</a>
        </p>
      </section>
      <section className="panel" aria-labelledby={addressId}>
        <h2 id={addressId}>1. Give the sending system this address</h2>
        {intake.phase === 'loading' && <p role="status">Loading the listener’s address…</p>}
        {intake.phase === 'failed' && <ErrorNote error={intake.error} what="The listener status could not be loaded" />}
        {intake.phase === 'ready' && (
          <>
            <dl className="facts">
              <dt>Host</dt>
              <dd>
                {advice.host !== null ? <CopyValue value={advice.host} name="host" /> : advice.port === null ? 'Not listening' : 'This computer’s network address'}
                {advice.others !== undefined && advice.others.length > 0 && <span className="muted"> Other addresses of this computer: {advice.others.join(', ')}</span>}
              </dd>
              <dt>Port</dt>
              <dd>{advice.port === null ? 'Not listening' : <CopyValue value={String(advice.port)} name="port" />}</dd>
              <dt>Protocol</dt>
              <dd>MLLP (HL7 v2, one message per frame), ACK after each message</dd>
            </dl>
            <p className="muted">{advice.note}</p>
          </>
        )}
      </section>
      <section className="panel" aria-labelledby={testId}>
        <h2 id={testId}>2. Send a test message</h2>
        <p>
          Paste this message into the sending system’s test tool, or send it from a terminal. It registers a made-up
          outpatient, “Feed Test”, which you can erase afterwards.
        </p>
        <pre className="ack-text" aria-label="Test message">
          {message.split('\r').join('\n')}
        </pre>
        <CopyButton value={message} label="Copy the test message" variant="path" />
        {advice.host !== null && advice.port !== null && (
          <>
            <p>From a bash terminal on a machine that may connect (Linux, macOS, Git Bash; nothing else to install), it prints the ACK:</p>
            <pre className="ack-text" aria-label="Command that sends the test message">
              {sendCommand(message, advice.host, advice.port)}
            </pre>
            <CopyButton value={sendCommand(message, advice.host, advice.port)} label="Copy the command" variant="path" />
            <p className="muted">With netcat installed (nc; not on Debian by default):</p>
            <pre className="ack-text" aria-label="Command that sends the test message with netcat">
              {sendCommandNc(message, advice.host, advice.port)}
            </pre>
          </>
        )}
      </section>
      <section className="panel" aria-labelledby={arrivedId} aria-live="polite">
        <h2 id={arrivedId}>3. The first message</h2>
        {first.phase === 'loading' && <p role="status">Looking for messages…</p>}
        {first.phase === 'failed' && <ErrorNote error={first.error} what="The messages could not be read" />}
        {first.phase === 'ready' && newest === null && (listening ? <p role="status">Waiting for the first message… It appears here as soon as it arrives.</p> : <p role="status">{notListening}</p>)}
        {newest !== null && (
          <div role="status" className="note note--ok">
            <p>
              {first.phase === 'ready' && first.page.total !== null && first.page.total > 1
                ? `${count(first.page.total)} messages received. The newest:`
                : 'The first message arrived:'}
            </p>
            <dl className="facts">
              <dt>Received</dt>
              <dd>
                <When iso={newest.receivedAt} />
              </dd>
              <dt>From</dt>
              <dd>{newest.sender === '' ? 'unknown' : newest.sender}</dd>
              <dt>Type and control id</dt>
              <dd>
                {newest.messageType} <code>{newest.controlId}</code>
              </dd>
              <dt>Acknowledged</dt>
              <dd>
                <AckCodes acks={newest.acks} /> {STATUS_WORDS[newest.status]}
              </dd>
            </dl>
            <p>
              <a href={hrefForPath('intake', 'messages', String(newest.seq))}>Open it in the message browser</a>
            </p>
          </div>
        )}
      </section>
      {((empty && operator?.role === 'admin') || demoStarted) && (
        <section className="panel" aria-labelledby={demoId}>
          <h2 id={demoId}>Or try the node with demo data</h2>
          <p className="muted">
            The vault is empty, so you may fill it with a synthetic population (no real people) instead of a feed. It goes
            through the same sealed intake path. Offered only while the vault is empty.
          </p>
          <ImportDemoControl onStarted={() => setDemoStarted(true)} />
        </section>
      )}
    </>
  );
}

function CopyValue({ value, name }: { value: string; name: string }) {
  return (
    <>
      <code>{value}</code> <CopyButton value={value} name={`Copy the ${name}`} />
    </>
  );
}
