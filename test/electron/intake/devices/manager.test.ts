import { describe, expect, it } from 'vitest';
import { encodeApdu, encodeConfigReport, encodeScanReport } from '../../../../electron/intake/devices/apdu';
import { MANAGER_STATE_TABLE, transition, type ManagerEvent, type ManagerState } from '../../../../electron/intake/devices/manager-state-table';
import { MderWriter } from '../../../../electron/intake/devices/mder';
import { ATTR, DATA, MDC, NOTI } from '../../../../electron/intake/devices/nomenclature';
import { aarq, abrt, bpReport, concat, configReportApdu, extendedBpReport, fromHex, prst, rlre, rlrq, scanApdu, sf, sfloatBytes, floatBytes, SYSTEM_ID, timeBytes, toHex } from './agent-apdus';
import { aareResult, configRsp, describeApdu, harness, MemoryConfigurationStore } from './manager-harness';

const BP = { sys: sf(120), dia: sf(80), map: sf(93), pulse: sf(70) };

/** A manager in `state` (reached the way an agent would get it there). */
async function inState(state: ManagerState) {
  const h = harness();
  if (state === 'waiting-for-config') await h.manager.receive(aarq(0x4001));
  if (state === 'operating' || state === 'disassociating') await h.manager.receive(aarq(0x02bc));
  if (state === 'disassociating') await h.manager.release();
  h.take();
  h.rows.length = 0;
  expect(h.manager.state).toBe(state);
  return h;
}

describe('20601 manager: association', () => {
  it('2.9: a known standard configuration (0x02BC) is accepted, the MDS attributes are asked for, a confirmed report is answered with the same invoke id after it was handed over', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = harness({ reportGate: () => gate });
    await h.manager.receive(aarq(0x02bc));
    const [aare, get] = h.take();
    expect(aareResult(aare)).toBe(0);
    expect(aare?.type === 'aare' && aare.selectedDataProto.id).toBe(20601);
    expect(get?.type === 'prst' && get.data.message.choice).toBe(DATA.ROIV_CMIP_GET);
    expect(h.manager.state).toBe('operating');
    expect(h.associations).toEqual([{ systemId: toHex(SYSTEM_ID), devConfigId: 0x02bc, configuration: 'standard' }]);

    const handled = h.manager.receive(bpReport(0x0042, BP));
    await Promise.resolve();
    expect(h.sent).toEqual([]); // not acknowledged before the report is durable
    release();
    await handled;
    const [rors] = h.take();
    expect(rors?.type === 'prst' && rors.data.invokeId).toBe(0x0042);
    expect(rors?.type === 'prst' && rors.data.message.choice).toBe(DATA.RORS_CMIP_CONFIRMED_EVENT_REPORT);
    const values = h.reports[0]!.observations.map((o) => [o.code, o.value.kind === 'number' ? o.value.value : o.value.special, o.deviceTime?.valid && o.deviceTime.local]);
    expect(values).toEqual([
      [MDC.PRESS_BLD_NONINV_SYS, 120, '2026-11-21T08:52:35.50'],
      [MDC.PRESS_BLD_NONINV_DIA, 80, '2026-11-21T08:52:35.50'],
      [MDC.PRESS_BLD_NONINV_MEAN, 93, '2026-11-21T08:52:35.50'],
      [MDC.PULS_RATE_NON_INV, 70, '2026-11-21T08:52:35.50'],
    ]);
  });

  it('2.10 / 6.24 / 7.32: an extended configuration is reported, accepted, persisted per system id + config id, and skipped next time', async () => {
    const store = new MemoryConfigurationStore();
    const h = harness({ store });
    await h.manager.receive(aarq(0x4001));
    expect(aareResult(h.take()[0])).toBe(3);
    expect(h.manager.state).toBe('waiting-for-config');
    await h.manager.receive(configReportApdu(7, extendedBpReport()));
    const [rsp, get] = h.take();
    expect(configRsp(rsp)).toEqual({ invokeId: 7, configReportId: 0x4001, configResult: 0 });
    expect(get?.type === 'prst' && get.data.message.choice).toBe(DATA.ROIV_CMIP_GET);
    expect(h.manager.state).toBe('operating');
    expect(h.rows.map((r) => r.row)).toEqual(['1.1', '2.10', '6.24', '7.32']);
    expect([...store.map.keys()]).toEqual([`${toHex(SYSTEM_ID)}/${0x4001}`]);
    await h.manager.receive(bpReport(1, BP));
    expect(h.reports).toHaveLength(1);
    h.take();
    await h.manager.receive(rlrq());
    expect(h.take().map(describeApdu)).toEqual(['rlre 0']);
    expect(h.manager.state).toBe('unassociated');

    // Next association of the same device: known, no configuration exchange.
    const again = harness({ store });
    await again.manager.receive(aarq(0x4001));
    expect(aareResult(again.take()[0])).toBe(0);
    expect(again.associations[0]?.configuration).toBe('stored');
    // Another device with the same config id is not assumed to have the same objects.
    const other = harness({ store });
    await other.manager.receive(aarq(0x4001, { systemId: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8) }));
    expect(aareResult(other.take()[0])).toBe(3);
  });

  it.each([
    ['assoc-version 0x40000000', 8, aarq(0x02bc, { assocVersion: 0x40000000 })],
    ['data-proto-id 20600', 4, aarq(0x02bc, { protoId: 20600 })],
    ['protocol version bit 1 clear', 5, aarq(0x02bc, { protocolVersion: 0x40000000 })],
    ['MDER not offered', 5, aarq(0x02bc, { encodingRules: 0x4000 })],
    ['a 4-octet system id', 1, aarq(0x02bc, { systemId: Uint8Array.of(1, 2, 3, 4) })],
  ] as const)('2.11: an AARQ with %s is rejected with result %i and the manager stays unassociated', async (_what, result, bytes) => {
    const h = harness();
    await h.manager.receive(bytes);
    expect(aareResult(h.take()[0])).toBe(result);
    expect(h.manager.state).toBe('unassociated');
    expect(h.errors[0]?.answer).toBe('aare-rejected');
    // …and keeps serving: a good AARQ next is accepted.
    await h.manager.receive(aarq(0x02bc));
    expect(aareResult(h.take()[0])).toBe(0);
  });

  it('7.31: a standard-range config id the manager does not know with no objects gets standard-config-unknown (2) and the manager keeps waiting', async () => {
    const h = harness();
    await h.manager.receive(aarq(0x0321));
    expect(aareResult(h.take()[0])).toBe(3);
    await h.manager.receive(configReportApdu(0, { configReportId: 0x0321, objects: [] }));
    expect(configRsp(h.take()[0])).toEqual({ invokeId: 0, configReportId: 0x0321, configResult: 2 });
    expect(h.manager.state).toBe('waiting-for-config');
    // The agent then sends an extended configuration: accepted.
    await h.manager.receive(configReportApdu(1, extendedBpReport(0x4002)));
    expect(configRsp(h.take()[0])).toMatchObject({ configReportId: 0x4002, configResult: 0 });
    expect(h.manager.state).toBe('operating');
  });

  it('7.31: a configuration whose value map gives a FLOAT 2 bytes is unsupported-config (1), decided at configuration time', async () => {
    const h = harness();
    await h.manager.receive(aarq(0x4003));
    h.take();
    const map = new MderWriter().sequenceOf([[ATTR.NU_VAL_OBS_SIMP, 2], [ATTR.TIME_STAMP_ABS, 8]] as const, (x, [id, l]) => x.u16(id).u16(l)).finish();
    await h.manager.receive(configReportApdu(3, { configReportId: 0x4003, objects: [{ objClass: 6, objHandle: 1, attributes: [{ id: ATTR.ID_TYPE, value: Uint8Array.of(0, 2, 0x4b, 0x5c) }, { id: ATTR.ATTRIBUTE_VAL_MAP, value: map }] }] }));
    expect(configRsp(h.take()[0])).toEqual({ invokeId: 3, configReportId: 0x4003, configResult: 1 });
    expect(h.manager.state).toBe('waiting-for-config');
    expect(h.errors[0]?.answer).toBe('config-rejected');
  });

  it('a configuration report that does not parse is unsupported-config, not a crash', async () => {
    const h = harness();
    await h.manager.receive(aarq(0x4004));
    h.take();
    const broken = prst(9, { choice: DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT, objHandle: 0, eventTime: 0, eventType: NOTI.CONFIG, eventInfo: fromHex('4004 0001 0010 0006 0001 0001 0004') });
    await h.manager.receive(broken);
    expect(configRsp(h.take()[0])).toMatchObject({ invokeId: 9, configResult: 1 });
  });
});

describe('20601 manager: event reports', () => {
  it('special SFLOAT values reach the report as names; the report is acknowledged', async () => {
    const h = await inState('operating');
    await h.manager.receive(bpReport(5, { sys: { kind: 'special', special: 'NaN' }, dia: { kind: 'special', special: 'NRes' }, map: { kind: 'special', special: '+INF' }, pulse: { kind: 'special', special: '-INF' } }));
    expect(h.reports[0]!.observations.map((o) => o.value)).toEqual([
      { kind: 'special', special: 'NaN' },
      { kind: 'special', special: 'NRes' },
      { kind: 'special', special: '+INF' },
      { kind: 'special', special: '-INF' },
    ]);
    expect(h.take().map(describeApdu)).toEqual(['prst 0x0201 #5']);
  });

  it('FLOAT NaN and NRes from a scale are names, and a handle not in the configuration is ignored with a note', async () => {
    const h = harness();
    await h.manager.receive(aarq(0x05dc));
    h.take();
    const obs = (value: Uint8Array) => concat(value, timeBytes());
    const report = scanApdu(2, 'fixed', {
      dataReqId: 0xf000,
      scanReportNo: 1,
      persons: [{ personId: undefined, fixed: [{ objHandle: 1, obsValData: obs(floatBytes({ kind: 'special', special: 'NaN' })) }, { objHandle: 3, obsValData: obs(floatBytes(sf(222, -1))) }, { objHandle: 1, obsValData: obs(floatBytes({ kind: 'special', special: 'NRes' })) }] }],
    });
    await h.manager.receive(report);
    expect(h.reports[0]!.observations.map((o) => o.value)).toEqual([
      { kind: 'special', special: 'NaN' },
      { kind: 'special', special: 'NRes' },
    ]);
    expect(h.reports[0]!.notes.join()).toMatch(/handle 3 is not in configuration 0x5dc/);
    expect(h.take().map(describeApdu)).toEqual(['prst 0x0201 #2']);
  });

  it('an invalid BCD time keeps the values, marks the device time invalid, and is acknowledged', async () => {
    const h = await inState('operating');
    await h.manager.receive(bpReport(6, BP, { time: fromHex('20261321256199ff') }));
    const o = h.reports[0]!.observations[0]!;
    expect(o.value).toMatchObject({ value: 120 });
    expect(o.deviceTime).toEqual({ valid: false, reason: 'octet 7 is not BCD' });
    expect(h.take().map(describeApdu)).toEqual(['prst 0x0201 #6']);
  });

  it('an observation whose bytes disagree with the value map is dropped (never guessed); the rest is kept', async () => {
    const h = await inState('operating');
    const report = scanApdu(8, 'fixed', {
      dataReqId: 0xf000,
      scanReportNo: 2,
      persons: [{ personId: undefined, fixed: [{ objHandle: 2, obsValData: concat(sfloatBytes(sf(70)), timeBytes(), Uint8Array.of(0, 0)) }, { objHandle: 2, obsValData: concat(sfloatBytes(sf(71)), timeBytes()) }] }],
    });
    await h.manager.receive(report);
    expect(h.reports[0]!.observations.map((o) => o.value.kind === 'number' && o.value.value)).toEqual([71]);
    expect(h.reports[0]!.notes.join()).toMatch(/12 bytes where the value map declares 10/);
  });

  it('event-info slack after a self-consistent report is tolerated with a note', async () => {
    const h = await inState('operating');
    const info = concat(encodeScanReport('fixed', { dataReqId: 1, scanReportNo: 3, persons: [{ personId: undefined, fixed: [{ objHandle: 2, obsValData: concat(sfloatBytes(sf(66)), timeBytes()) }] }] }), Uint8Array.of(0, 0));
    await h.manager.receive(prst(4, { choice: DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT, objHandle: 0, eventTime: 0, eventType: NOTI.SCAN_REPORT_FIXED, eventInfo: info }));
    expect(h.reports[0]!.observations).toHaveLength(1);
    expect(h.reports[0]!.notes.join()).toMatch(/2 byte\(s\) of slack/);
    expect(h.take().map(describeApdu)).toEqual(['prst 0x0201 #4']);
  });

  it('a scan report whose inner lengths overrun their container gets RORJ badly-structured-apdu with its invoke id; nothing stored; still operating', async () => {
    const h = await inState('operating');
    // obs-scan-fixed count 1, length 0x40 but only 6 bytes follow.
    await h.manager.receive(prst(0x54, { choice: DATA.ROIV_CMIP_CONFIRMED_EVENT_REPORT, objHandle: 0, eventTime: 0, eventType: NOTI.SCAN_REPORT_FIXED, eventInfo: fromHex('f000 0000 0001 0040 0002 0002 0046') }));
    const [rorj] = h.take();
    expect(rorj?.type === 'prst' && rorj.data).toEqual({ invokeId: 0x54, message: { choice: DATA.RORJ, problem: 2 } });
    expect(h.reports).toEqual([]);
    expect(h.manager.state).toBe('operating');
    await h.manager.receive(bpReport(0x55, BP));
    expect(h.reports).toHaveLength(1);
  });

  it('MP reports carry the person id; variable reports are read by attribute id', async () => {
    const h = await inState('operating');
    const mp = scanApdu(10, 'mp-fixed', { dataReqId: 1, scanReportNo: 4, persons: [{ personId: 66, fixed: [{ objHandle: 2, obsValData: concat(sfloatBytes(sf(72)), timeBytes()) }] }] });
    await h.manager.receive(mp);
    expect(h.reports[0]!.observations[0]).toMatchObject({ personId: 66, code: MDC.PULS_RATE_NON_INV });
    const variable = scanApdu(11, 'var', { dataReqId: 1, scanReportNo: 5, persons: [{ personId: undefined, variable: [{ objHandle: 2, attributes: [{ id: ATTR.NU_VAL_OBS_BASIC, value: sfloatBytes(sf(73)) }, { id: ATTR.TIME_STAMP_ABS, value: timeBytes() }] }] }] });
    await h.manager.receive(variable);
    expect(h.reports[1]!.observations[0]).toMatchObject({ personId: undefined, value: { value: 73 } });
    const unconfirmed = bpReport(12, BP, { confirmed: false });
    await h.manager.receive(unconfirmed);
    expect(h.reports).toHaveLength(3);
    expect(h.take().map(describeApdu)).toEqual(['prst 0x0201 #10', 'prst 0x0201 #11']);
  });

  it('an unknown DATA-apdu choice gets RORJ unrecognized-operation with the same invoke id; the association stays', async () => {
    const h = await inState('operating');
    await h.manager.receive(fromHex('e7000008 0006 0033 0102 0000'));
    expect(h.take().map(describeApdu)).toEqual(['prst 0x0400 #51']);
    expect(h.manager.state).toBe('operating');
    expect(h.errors).toHaveLength(1);
  });

  it('a report the handler cannot make durable is never acknowledged: the association is aborted', async () => {
    const h = harness({ reportGate: () => Promise.reject(new Error('disk full')) });
    await h.manager.receive(aarq(0x02bc));
    h.take();
    await h.manager.receive(bpReport(3, BP));
    expect(h.take().map(describeApdu)).toEqual(['abrt 0']);
    expect(h.manager.state).toBe('unassociated');
  });

  it('the GET response fills in model, manufacturer, serial number and the device clock', async () => {
    const h = harness();
    await h.manager.receive(aarq(0x02bc));
    const get = h.take()[1]!;
    const invokeId = get.type === 'prst' ? get.data.invokeId : -1;
    const model = new MderWriter().octetString(new TextEncoder().encode('Acme')).octetString(new TextEncoder().encode('BP-100')).finish();
    const spec = new MderWriter().sequenceOf([{ t: 1, v: 'SN123' }], (w, e) => w.u16(e.t).u16(0).octetString(new TextEncoder().encode(e.v))).finish();
    await h.manager.receive(prst(invokeId, { choice: DATA.RORS_CMIP_GET, objHandle: 0, attributes: [{ id: ATTR.ID_MODEL, value: model }, { id: ATTR.ID_PROD_SPECN, value: spec }, { id: ATTR.SYS_ID, value: new MderWriter().octetString(SYSTEM_ID).finish() }, { id: ATTR.TIME_ABS, value: timeBytes() }] }));
    expect(h.attributes[0]).toMatchObject({ manufacturer: 'Acme', model: 'BP-100', serialNumber: 'SN123', systemId: toHex(SYSTEM_ID), deviceTime: { valid: true } });
    expect(h.timers.pending.size).toBe(0);
  });
});

describe('20601 manager: timeouts, release, abort', () => {
  it('6.4: no configuration within TO_config: ABRT configuration-timeout, unassociated, no readings', async () => {
    const h = harness();
    await h.manager.receive(aarq(0x4001));
    // A configuration report cut short never completes (the framer holds it); the timer fires.
    h.take();
    expect(h.timers.fire(10_000)).toBe(1);
    await h.manager.release(); // let the queued timeout run
    expect(h.take().map(describeApdu)).toEqual(['abrt 3']);
    expect(h.manager.state).toBe('unassociated');
    expect(h.reports).toEqual([]);
  });

  it('8.4: no GET response within TO_get: ABRT response-timeout', async () => {
    const h = await inState('operating');
    expect(h.timers.fire(3_000)).toBe(1);
    await h.manager.abort(); // queued after the timeout: a no-op in unassociated (2.7)
    expect(h.take().map(describeApdu)).toEqual(['abrt 2']);
    expect(h.rows.map((r) => r.row)).toEqual(['8.4', '2.7']);
  });

  it('8.6 / 9.17: a release the manager asks for completes on RLRE; 9.4 aborts when none comes', async () => {
    const h = await inState('operating');
    await h.manager.release();
    expect(h.take().map(describeApdu)).toEqual(['rlrq 0']);
    await h.manager.receive(rlre());
    expect(h.manager.state).toBe('unassociated');
    const g = await inState('disassociating');
    g.timers.fire(3_000);
    await g.manager.abort();
    expect(g.take().map(describeApdu)).toEqual(['abrt 2']);
  });

  it('x.18: an ABRT from the agent drops the association silently', async () => {
    const h = await inState('operating');
    await h.manager.receive(abrt(2));
    expect(h.sent).toEqual([]);
    expect(h.manager.state).toBe('unassociated');
  });

  it('8.2: a transport that disappears drops the association and its timers', async () => {
    const h = await inState('operating');
    h.manager.disconnected();
    expect(h.manager.state).toBe('disconnected');
    expect(h.timers.pending.size).toBe(0);
  });

  it('floods beyond the queue bound abort with buffer-overflow instead of growing', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = harness({ reportGate: () => gate, maxQueued: 4 });
    await h.manager.receive(aarq(0x02bc));
    h.take();
    const all = [];
    for (let i = 0; i < 6; i++) all.push(h.manager.receive(bpReport(i, BP)).catch(() => undefined));
    release();
    await Promise.all(all);
    expect(h.sent.map(describeApdu)).toContain('abrt 1');
  });
});

describe('20601 manager state table', () => {
  it('has one row per (state, event), every row numbered state.event as the standard does', () => {
    const keys = MANAGER_STATE_TABLE.map((r) => `${r.state}|${r.event}`);
    expect(new Set(keys).size).toBe(keys.length);
    const stateRow: Record<ManagerState, string> = { disconnected: '1', unassociated: '2', 'waiting-for-config': '6', 'checking-config': '7', operating: '8', disassociating: '9' };
    for (const row of MANAGER_STATE_TABLE) expect(row.row.split('.')[0]).toBe(stateRow[row.state]);
  });

  const rxEvents: [ManagerEvent, () => Uint8Array][] = [
    ['rx-aare', () => encodeApdu({ type: 'aare', result: 0, selectedDataProto: { id: 20601, info: new Uint8Array() } })],
    ['rx-rlrq', () => rlrq()],
    ['rx-rlre', () => rlre()],
    ['rx-abrt', () => abrt()],
    ['rx-roiv-confirmed-event-report', () => bpReport(0x77, BP)],
    ['rx-roiv-event-report', () => bpReport(0x78, BP, { confirmed: false })],
    ['rx-roiv-other', () => prst(0x79, { choice: DATA.ROIV_CMIP_GET, objHandle: 0, attributeIds: [] })],
    ['rx-rors', () => prst(0x7a, { choice: DATA.RORS_CMIP_GET, objHandle: 0, attributes: [] })],
    ['rx-roer', () => prst(0x7b, { choice: DATA.ROER, errorValue: 1, parameter: new Uint8Array() })],
    ['rx-rorj', () => prst(0x7c, { choice: DATA.RORJ, problem: 0 })],
    ['rx-aarq-acceptable-known-config', () => aarq(0x02bc)],
  ];
  const states: ManagerState[] = ['unassociated', 'waiting-for-config', 'operating', 'disassociating'];
  const expectedAnswer: Record<string, string> = {
    'tx-abrt': 'abrt 0',
    'tx-rlre': 'rlre 0',
    'tx-aare-accepted': 'aare 0',
    none: '',
    'rx-response': '',
    'event-report': 'prst 0x0201 #119',
    'tx-roer': 'prst 0x0300',
    'check-config': 'prst 0x0300',
  };

  for (const state of states) {
    for (const [event, bytes] of rxEvents) {
      const effective: ManagerEvent = state === 'unassociated' && (event.startsWith('rx-ro') || event === 'rx-roiv-other') ? 'rx-prst' : event;
      const row = transition(state, effective);
      it(`row ${row?.row ?? '?'}: ${state} + ${effective} → ${row?.next ?? '?'} (${row?.action ?? '?'})`, async () => {
        expect(row).toBeDefined();
        const h = await inState(state);
        await h.manager.receive(bytes());
        expect(h.rows[0]?.row).toBe(row!.row);
        // check-config on a report that is not a configuration goes on through 7.31 back to waiting.
        expect(h.manager.state).toBe(row!.action === 'check-config' ? 'waiting-for-config' : row!.next);
        const answers = h.take().map(describeApdu);
        const expected = effective === 'rx-roiv-event-report' ? '' : expectedAnswer[row!.action];
        if (expected === undefined) throw new Error(`no expectation for ${row!.action}`);
        if (expected === '') expect(answers.filter((a) => !a.startsWith('prst 0x0103'))).toEqual([]);
        else expect(answers[0]?.startsWith(expected)).toBe(true);
      });
    }
  }

  it('rows 7.x (checking config) exist for every event of the other associated states', () => {
    for (const row of MANAGER_STATE_TABLE.filter((r) => r.state === 'operating')) expect(transition('checking-config', row.event), row.event).toBeDefined();
  });

  it('2.19: a PRST before any association is aborted and nothing is stored', async () => {
    const h = harness();
    await h.manager.receive(bpReport(1, BP));
    expect(h.take().map(describeApdu)).toEqual(['abrt 0']);
    expect(h.reports).toEqual([]);
  });

  it('an APDU choice that does not exist: aborted when associated, ignored (quarantined) when not', async () => {
    const h = harness();
    await h.manager.receive(fromHex('e8000002 0000'));
    expect(h.take()).toEqual([]);
    expect(h.errors).toHaveLength(1);
    const g = await inState('operating');
    await g.manager.receive(fromHex('e8000002 0000'));
    expect(g.take().map(describeApdu)).toEqual(['abrt 0']);
    expect(g.manager.state).toBe('unassociated');
  });

  it('an APDU whose PRST length overruns (a swallowed neighbour) is aborted, then the manager serves a new association', async () => {
    const h = await inState('operating');
    const good = bpReport(1, BP);
    const swollen = concat(good.subarray(0, 2), Uint8Array.of(0, good[3]! + 6), good.subarray(4), rlrq());
    await h.manager.receive(swollen);
    expect(h.take().map(describeApdu)).toEqual(['abrt 0']);
    expect(h.reports).toEqual([]);
    await h.manager.receive(aarq(0x02bc));
    expect(aareResult(h.take()[0])).toBe(0);
  });

  it('the config report id and objects can be re-encoded identically (what is persisted)', () => {
    expect(toHex(encodeConfigReport(extendedBpReport()))).toMatch(/^4001/);
  });
});
