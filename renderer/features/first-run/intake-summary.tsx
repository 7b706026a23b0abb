import { useId } from 'react';
import { errorMessage } from '../../app/error-note';
import { channelName, listenerStateName } from '../intake/channel-names';
import { useIntakeStatus } from '../intake/use-intake-status';

const listFormat = new Intl.ListFormat('en', { style: 'long', type: 'conjunction' });

/** The intake channels in a sentence or a short list: before a vault exists they are all closed, for one reason. */
export function IntakeSummary() {
  const intake = useIntakeStatus();
  const headingId = useId();

  let body;
  if (intake.phase === 'loading') {
    body = <p role="status">Checking the intake channels…</p>;
  } else if (intake.phase === 'failed') {
    body = <p role="alert">The intake status could not be loaded: {errorMessage(intake.error)}</p>;
  } else {
    const { listeners } = intake.status;
    const [first] = listeners;
    const allAlike =
      first !== undefined && listeners.every((l) => l.state === first.state && l.reason === first.reason);
    body =
      allAlike && first.state === 'closed' ? (
        <>
          <p>
            <span className="state state--closed">All channels closed:</span>{' '}
            {listFormat.format(listeners.map((l) => channelName(l.channel)))}.
          </p>
          {first.reason !== undefined && <p>{first.reason}</p>}
        </>
      ) : (
        <ul className="plain-list">
          {listeners.map((l) => (
            <li key={l.channel}>
              <strong>{channelName(l.channel)}</strong>: {listenerStateName(l.state)}
              {l.reason !== undefined && `. ${l.reason}`}
            </li>
          ))}
        </ul>
      );
  }

  return (
    <section className="panel first-run__section" aria-labelledby={headingId}>
      <h2 id={headingId}>Intake</h2>
      {body}
    </section>
  );
}
