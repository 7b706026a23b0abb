import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { FAMILY_NAMES } from '../../electron/intake/demo/demo-catalog';
import { startNetworkServer } from '../../server/server-process';
import { startIntegrationNode } from '../support/integration-node';
import { RELAY_MESSAGE_KIND } from '../../shared/journal/journal-kinds';
import { RELAY_ROUTES, sealMessage } from '../../shared/network/relay';
import { encodePayload } from '../../shared/network/relay-payload';
import { postJson, signedFetch, signedJoin } from '../server/support/member-client';
import { newRelayNode } from '../server/relay/support/relay-fixtures';
import { useCleanups } from '../support/cleanups';
import { useTempDirs } from '../support/temp-dir';

/**
 * The network's data search end to end in Node (issue 14 items 2–5), through the real server:
 * two clinics with different demo populations answer automatically within their policy; the
 * research institute's query reaches both through the relay, and their answers come back sealed to
 * it: the larger clinic's count rounded up with a KEY list and an offer, the smaller one's "fewer
 * than 11" and nothing else. Each clinic's answer is a QUERY_ANSWERED entry of its ledger. The same
 * query again is answered from the first answer (same count, same keys). The basket keeps the
 * selected keys. No patient name of either clinic is anywhere in the research node's data folder.
 */

const PASSPHRASE = 'violet tractor amber seventeen';
const cleanup = useCleanups();

describe('data search across the network', () => {
  const tempDir = useTempDirs();

  async function startNode(dataDir: string) {
    const node = await startIntegrationNode(dataDir, cleanup);
    await node.vault.create({ operatorName: 'Ada Admin', passphrase: PASSPHRASE });
    return { ...node, dataDir };
  }

  it('broadcasts a query to two clinics and gets both answers: a count with a KEY list and an offer, and "fewer than 11"', { timeout: 300_000 }, async () => {
    const server = await startNetworkServer({ dataDir: await tempDir(), database: null, host: '127.0.0.1', port: 0, tls: null, autoApprove: true, parameters: {}, logLevel: 'silent' });
    cleanup(() => server.close());
    const { preview } = await (await startNode(await tempDir())).api.network.inspect({ url: server.url });

    async function clinic(name: string, patients: number, seed: number, releaseProfile?: 'longitudinal') {
      const node = await startNode(await tempDir());
      await node.api.demo.import({ patients, seed });
      await node.vault.sync();
      await node.vault.research.setPolicy({ mode: 'opt-out', purposes: { 'research-sale': true, 'research-no-sale': true }, minCellSize: 11, answering: 'automatic', pricePerRecord: '2.5', ...(releaseProfile === undefined ? {} : { releaseProfile, maxShiftDays: 90 }) });
      await node.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: name, country: 'CH', roles: ['clinic'] });
      return node;
    }
    // The large clinic releases under the longitudinal profile: its offer says so.
    const large = await clinic('Large Example Clinic', 60, 11, 'longitudinal');
    const small = await clinic('Small Example Clinic', 6, 22);
    const research = await startNode(await tempDir());
    await research.vault.network.join({ url: server.url, fingerprint: preview.fingerprint, legalName: 'Example Research Institute', country: 'DE', roles: ['research'] });
    await research.api.network.refresh({});

    // HbA1c (LOINC 4548-4): every demo patient with that lab; open for 30 days (longer than the relay keeps a message).
    const query = { terms: ['4548-4'], filters: {}, purpose: 'research-sale' as const, days: 30 };
    const queryId = await research.vault.dataSearch.queries.post(query);
    const answered = async () => {
      await research.vault.sync();
      const results = await research.vault.dataSearch.queries.results(queryId);
      expect(results.clinics.map((c) => c.state)).toEqual(['answered', 'answered']);
      return results;
    };
    const results = await vi.waitFor(answered, { timeout: 120_000, interval: 500 });
    const byName = new Map(results.clinics.map((c) => [c.institution, c]));
    const fromLarge = byName.get('Large Example Clinic')!.answer!;
    const fromSmall = byName.get('Small Example Clinic')!.answer!;

    // The large clinic: its own count of matching patients, rounded up to the next 10, a KEY list of that many, an offer.
    const matched = (await large.vault.research.evaluate({ terms: query.terms, filters: {}, purpose: 'research-sale' })).matched;
    expect(matched).toBeGreaterThanOrEqual(11);
    expect(fromLarge.bucket).toEqual({ kind: 'count', roundedUp: Math.ceil(matched / 10) * 10 });
    expect(fromLarge.keyList).toHaveLength(matched);
    expect(fromLarge.offer).toMatchObject({ currency: 'PHD', pricePerRecord: '2.5', records: matched, profile: 'hipaa-longitudinal-k' });
    for (const entry of fromLarge.keyList) expect(Object.keys(entry).sort()).toEqual(['ageBand', 'dataTypes', 'key', 'sex', 'years']);
    // The small clinic: fewer than the minimum, no list, no offer.
    expect(fromSmall.bucket).toEqual({ kind: 'fewer', than: 11 });
    expect(fromSmall.keyList).toEqual([]);
    expect(fromSmall.offer).toBeNull();

    // Each clinic lists the query as answered, and signed a QUERY_ANSWERED entry naming the count bucket.
    for (const node of [large, small]) {
      // The clinic sends its answer, then journals it: the researcher may read the answer before the clinic's views hold the outcome.
      await vi.waitFor(
        async () => {
          await node.vault.sync();
          const incoming = await node.vault.dataSearch.inbox.incoming();
          expect(incoming.map((q) => [q.queryId, q.state, q.institution])).toEqual([[queryId, 'answered', 'Example Research Institute']]);
        },
        { timeout: 30_000, interval: 250 },
      );
      await node.vault.sync();
      const entries = await node.vault.ledger.entries({ kinds: ['QUERY_ANSWERED'] }, { limit: 10 });
      expect(entries.map((e) => e.kind)).toEqual(['QUERY_ANSWERED']);
    }

    // Any member can write to the researcher: an "answer" from a member that is not a clinic (here
    // another research institute, with a count of its own making) is not shown as one.
    const rogue = await newRelayNode();
    const pinned = { address: preview.address, chainId: preview.chainId };
    expect([200, 202]).toContain((await postJson(`${server.url}/v1/join`, await signedJoin(rogue, pinned, { roles: ['research'], legalName: 'Rogue Institute' }))).status);
    const me = (await large.api.network.refresh({})).state!.map!.members.find((member) => member.legalName === 'Example Research Institute')!;
    const relayed = async () => (await research.api.journal.read({ after: 0, limit: 1000 })).records.filter((record) => record.kind === RELAY_MESSAGE_KIND).length;
    const before = await relayed();
    const forged = await sealMessage({ signer: rogue.signer, recipient: me.address, recipientMessageKey: me.messageKey!, payload: encodePayload({ ...fromLarge, bucket: { kind: 'count', roundedUp: 990 }, keyList: [] }), ttlMs: 3600_000 });
    expect((await signedFetch(server.url, rogue, pinned, RELAY_ROUTES.messages, { method: 'POST', body: JSON.stringify({ envelopes: [forged] }) })).status).toBe(201);
    await vi.waitFor(async () => expect(await relayed()).toBe(before + 1), { timeout: 30_000, interval: 200 });
    await research.vault.sync();
    const afterForgery = await research.vault.dataSearch.queries.results(queryId);
    expect(afterForgery.clinics.map((c) => c.institution).sort()).toEqual(['Large Example Clinic', 'Small Example Clinic']);
    expect(afterForgery.summary.answered).toBe(2);

    // The same query again: served from the first answer, the same count and the same keys.
    const again = await research.vault.dataSearch.queries.post(query);
    const repeated = await vi.waitFor(
      async () => {
        await research.vault.sync();
        const r = await research.vault.dataSearch.queries.results(again);
        const answer = r.clinics.find((c) => c.institution === 'Large Example Clinic')?.answer;
        expect(answer).toBeTruthy();
        return answer!;
      },
      { timeout: 60_000, interval: 500 },
    );
    expect(repeated.repeat).toBe(true);
    expect(repeated.bucket).toEqual(fromLarge.bucket);
    expect(repeated.keyList.map((e) => e.key)).toEqual(fromLarge.keyList.map((e) => e.key));

    // The basket keeps the selection the purchase will consume.
    const item = { queryId, clinic: byName.get('Large Example Clinic')!.clinic, offer: fromLarge.offer!, keys: fromLarge.keyList.slice(0, 3).map((e) => e.key) };
    await research.vault.dataSearch.queries.setBasket([item]);
    expect(await research.vault.dataSearch.queries.basket()).toEqual([item]);

    // No patient name of either clinic anywhere in the research node's data folder.
    const names = FAMILY_NAMES.filter((name) => /[^ -~]/.test(name) && name.length >= 5);
    const leaks: string[] = [];
    for (const entry of await readdir(research.dataDir, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile()) continue;
      const text = (await readFile(path.join(entry.parentPath, entry.name))).toString('utf8');
      for (const name of names) if (text.includes(name)) leaks.push(`${entry.name}: ${name}`);
    }
    expect(names.length).toBeGreaterThan(10);
    expect(leaks).toEqual([]);
  });
});
