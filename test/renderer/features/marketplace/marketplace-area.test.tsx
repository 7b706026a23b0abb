// @vitest-environment happy-dom
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { NetworkState } from '../../../../shared/ipc/network-contract';
import type { KeywordQuery } from '../../../../shared/research/keyword-query';
import type { QueryAnswerPayload } from '../../../../shared/research/query-answer';
import type { BasketItem } from '../../../../shared/research/research-meta';
import type { DataSearch } from '../../../../renderer/app/research-context';
import type { IncomingQuery } from '../../../../renderer/research/query-inbox';
import type { QueryInput } from '../../../../renderer/research/research-queries';
import type { OperatorRole } from '../../../../renderer/vault/vault-service';
import { totalPrice } from '../../../../renderer/features/marketplace/basket-section';
import { createFakeNode } from '../../support/fake-transport';
import { ADMIN_PASSPHRASE, createFakeVault } from '../../support/fake-vault-service';
import { renderApp } from '../../support/render-app';

/**
 * Marketplace (issue 14 items 2, 3 and 5) against a fake mind: a research institute sends a query
 * from the form (what the mind is asked to sign), reads each clinic's answer with its KEY list and
 * distributions, selects rows into the basket; a clinic reviews incoming queries and answers or
 * declines them; a researcher's session is told why it cannot.
 */

const ME = '0x1111111111111111111111111111111111111111';
const CLINIC_A = '0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa';
const CLINIC_B = '0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB';
const RESEARCHER = '0x3333333333333333333333333333333333333333';

function network(roles: NetworkState['roles']): NetworkState {
  return {
    url: 'https://hdms.example.org',
    network: { name: 'Example Network', address: '0x2222222222222222222222222222222222222222', chainId: 31337, fingerprint: 'AAAA' },
    node: ME,
    roles,
    status: 'approved',
    certificate: null,
    map: {
      epoch: 2,
      members: [
        { address: CLINIC_A, legalName: 'Lakeside Clinic', country: 'CH', roles: ['clinic'] },
        { address: CLINIC_B, legalName: 'Hillside Clinic', country: 'CH', roles: ['clinic'] },
        { address: RESEARCHER, legalName: 'North Research Institute', country: 'DE', roles: ['research'] },
      ],
      witnessQuorum: 0,
      minAppVersion: '0.1.0',
      logKey: '',
    },
    joinedAt: '2026-12-04T10:00:00.000Z',
    lastContactAt: '2026-12-04T10:00:00.000Z',
    problem: null,
    sync: null,
  };
}

const QUERY: KeywordQuery = {
  queryId: `0x${'ab'.repeat(32)}`,
  terms: ['E11', '4548-4'],
  filters: { ageFrom: 40, ageTo: 65 },
  purpose: 'research-sale',
  researcher: RESEARCHER,
  answerKey: `0x04${'cd'.repeat(64)}`,
  expiresAt: '2099-01-01T00:00:00.000Z',
};

const key = (i: number) => `${i.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
const ANSWER: QueryAnswerPayload = {
  type: 'query-answer',
  queryId: QUERY.queryId,
  bucket: { kind: 'count', roundedUp: 20 },
  keyList: Array.from({ length: 12 }, (_, i) => ({ key: key(i + 1), ageBand: i < 7 ? '40–49' : '50–59', sex: i % 2 === 0 ? 'F' : 'M', dataTypes: ['labs'], years: null })),
  keyListTruncated: false,
  offer: { offerId: `0x${'ef'.repeat(32)}`, currency: 'PHD', pricePerRecord: '2.5', profile: 'hipaa-safe-harbor-k', k: 5, records: 12, validUntil: '2099-01-01T00:00:00.000Z' },
  repeat: false,
  answeredAt: '2026-12-04T10:05:00.000Z',
};

function fakeSearch(incoming: IncomingQuery[] = []) {
  const posted: QueryInput[] = [];
  const handled: [string, string][] = [];
  let basket: readonly BasketItem[] = [];
  const search: DataSearch = {
    inbox: {
      incoming: async () => incoming,
      answer: async (id) => void handled.push(['answer', id]),
      decline: async (id) => void handled.push(['decline', id]),
    },
    queries: {
      post: async (input) => {
        posted.push(input);
        return QUERY.queryId;
      },
      list: async () => (posted.length === 0 ? [] : [{ queryId: QUERY.queryId, query: QUERY, postedAt: '2026-12-04T10:00:00.000Z', clinicsAsked: 2, answered: 1, declined: 0, expired: false }]),
      results: async () => ({
        summary: { queryId: QUERY.queryId, query: QUERY, postedAt: '2026-12-04T10:00:00.000Z', clinicsAsked: 2, answered: 1, declined: 0, expired: false },
        clinics: [
          { clinic: CLINIC_A, institution: 'Lakeside Clinic', state: 'answered', answer: ANSWER, declined: null, receivedAt: 1 },
          { clinic: CLINIC_B, institution: 'Hillside Clinic', state: 'waiting', answer: null, declined: null, receivedAt: null },
        ],
      }),
      basket: async () => basket,
      setBasket: async (items) => {
        basket = items;
      },
    },
  };
  return { search, posted, handled, basket: () => basket };
}

function open(role: OperatorRole, roles: NetworkState['roles'], search: DataSearch) {
  const node = createFakeNode({ vault: { state: 'unlocked' } });
  node.state.network = network(roles);
  const vault = createFakeVault({ phase: 'unlocked', operators: [{ name: 'Someone', role, passphrase: ADMIN_PASSPHRASE }] });
  renderApp(node, '#/marketplace', vault, undefined, undefined, undefined, search);
}

describe('Marketplace', () => {
  it('a research institute sends a query from the form: terms split at commas, filters and purpose as chosen', async () => {
    const { search, posted } = fakeSearch();
    open('admin', ['research'], search);
    const form = await screen.findByRole('form', { name: 'New query' });
    const send = within(form).getByRole('button', { name: 'Send the query' });
    // Nothing typed: the button says why it waits.
    expect(send.hasAttribute('disabled')).toBe(true);
    expect(form.textContent).toContain('Terms: at least one code or word.');
    fireEvent.change(within(form).getByLabelText('Terms'), { target: { value: 'E11, 4548-4 ,' } });
    fireEvent.change(within(form).getByLabelText('Age from'), { target: { value: '65' } });
    fireEvent.change(within(form).getByLabelText('Age to'), { target: { value: '40' } });
    expect(form.textContent).toContain('Age to: not below “Age from”.');
    fireEvent.change(within(form).getByLabelText('Age from'), { target: { value: '40' } });
    fireEvent.change(within(form).getByLabelText('Age to'), { target: { value: '65' } });
    fireEvent.click(within(form).getByLabelText('labs'));
    fireEvent.click(within(form).getByRole('button', { name: 'Send the query' }));
    await within(form).findByText(/The query was sent to the network’s clinics/);
    expect(posted).toEqual([{ terms: ['E11', '4548-4'], filters: { ageFrom: 40, ageTo: 65, dataTypes: ['labs'] }, purpose: 'research-sale', days: 7 }]);
  });

  it('shows each clinic’s answer as it arrived (count, offer, KEY list and its distributions), who has not answered, and puts selected rows in the basket', async () => {
    const { search, posted, basket } = fakeSearch();
    posted.push({ terms: ['x'], filters: {}, purpose: 'research-sale', days: 1 });
    open('clinician', ['research'], search);
    const mine = await screen.findByRole('region', { name: 'Your queries' });
    fireEvent.click(await within(mine).findByRole('button', { name: 'Show results' }));
    const lakeside = await within(mine).findByRole('article', { name: 'Lakeside Clinic' });
    expect(lakeside.textContent).toContain('About 20 (rounded up)');
    expect(lakeside.textContent).toContain('2.5 PHD per record');
    const age = within(lakeside).getByRole('list', { name: 'Age band' });
    expect(within(age).getAllByRole('listitem').map((li) => li.textContent)).toEqual(['40–497', '50–595']);
    expect(within(mine).getByRole('article', { name: 'Hillside Clinic' }).textContent).toContain('Not answered yet.');
    expect(mine.textContent).toContain('1 of 2 clinics have answered');
    const table = within(lakeside).getByRole('table', { name: 'KEY list of Lakeside Clinic' });
    expect(within(table).getAllByRole('row')).toHaveLength(13);
    fireEvent.click(within(table).getByLabelText(`Select key ${key(1).slice(0, 8)}`));
    fireEvent.click(within(table).getByLabelText(`Select key ${key(12).slice(0, 8)}`));
    fireEvent.click(within(lakeside).getByRole('button', { name: 'Add 2 to the basket' }));
    await waitFor(() => expect(basket()).toHaveLength(1));
    expect(basket()[0]).toEqual({ queryId: QUERY.queryId, clinic: CLINIC_A, offer: ANSWER.offer, keys: [key(1), key(12)] });
    const basketSection = await screen.findByRole('region', { name: 'Basket' });
    await within(basketSection).findByText('Lakeside Clinic');
    expect(basketSection.textContent).toContain('5 PHD');
  });

  it('a clinic under review lists incoming queries with the researcher’s institution, and an administrator answers or declines', async () => {
    const waiting: IncomingQuery = { queryId: QUERY.queryId, query: QUERY, institution: 'North Research Institute', receivedAt: Date.parse('2026-12-04T10:00:00.000Z'), via: 'relay', state: 'waiting', answered: null, declined: null };
    const locked: IncomingQuery = { ...waiting, queryId: `0x${'01'.repeat(32)}`, state: 'declined', declined: { reason: 'too many queries: locked out for a while', lockedUntil: '2026-12-11T10:00:00.000Z' } };
    const { search, handled } = fakeSearch([waiting, locked]);
    open('admin', ['clinic'], search);
    const region = await screen.findByRole('region', { name: 'Incoming queries' });
    const table = await within(region).findByRole('table', { name: 'Incoming queries' });
    const [, first, second] = within(table).getAllByRole('row');
    expect(first!.textContent).toMatch(/North Research Institute.*E11 · 4548-4.*ages 40–65.*Waiting/);
    expect(second!.textContent).toMatch(/Declined.*locked out for a while until/);
    fireEvent.click(within(first!).getByRole('button', { name: 'Answer' }));
    await waitFor(() => expect(handled).toEqual([['answer', QUERY.queryId]]));
    fireEvent.click(within(first!).getByRole('button', { name: 'Decline' }));
    await waitFor(() => expect(handled).toEqual([['answer', QUERY.queryId], ['decline', QUERY.queryId]]));
  });

  it('a clinician sees incoming queries but does not answer them', async () => {
    const waiting: IncomingQuery = { queryId: QUERY.queryId, query: QUERY, institution: null, receivedAt: 0, via: 'search-service', state: 'waiting', answered: null, declined: null };
    open('clinician', ['clinic'], fakeSearch([waiting]).search);
    const table = await screen.findByRole('table', { name: 'Incoming queries' });
    expect(table.textContent).toContain('(not a current member)');
    expect(within(table).queryByRole('button', { name: 'Answer' })).toBeNull();
    expect(table.textContent).toContain('An administrator answers it.');
  });

  it('tells a researcher’s session that queries need the identity key, and shows no form', async () => {
    open('researcher', ['research'], fakeSearch().search);
    await screen.findByText(/only an administrator’s or a clinician’s session holds/);
    expect(screen.queryByRole('form', { name: 'New query' })).toBeNull();
  });

  it('adds up prices exactly in micro-PHD', () => {
    expect(totalPrice('2.5', 2)).toBe('5');
    expect(totalPrice('0.000001', 3)).toBe('0.000003');
    expect(totalPrice('12.345678', 1000)).toBe('12345.678');
  });
});
