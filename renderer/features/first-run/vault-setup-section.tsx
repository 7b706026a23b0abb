import { useId } from 'react';

/**
 * Where the vault gets created. Until the vault release lands this only says what will happen here;
 * that release puts its "Create vault" flow in this section and nowhere else.
 */
export function VaultSetupSection() {
  const headingId = useId();
  return (
    <section className="panel panel--lead first-run__section" aria-labelledby={headingId}>
      <h2 id={headingId}>Vault</h2>
      <p>
        This node has no vault yet, so it stores nothing. Setting up the vault (choosing a passphrase and saving a
        one-time recovery key) arrives with the next release of HDMS Node.
      </p>
    </section>
  );
}
