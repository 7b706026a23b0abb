import { decodeApdu } from '../../electron/intake/devices/apdu';
import { decodeObservations, standardConfiguration } from '../../electron/intake/devices/configuration';
import { bpReport, sf } from '../electron/intake/devices/agent-apdus';
import { median, type BenchModule } from './bench-report';

/**
 * IEEE 11073-20601 APDU decode rate (issue 13): a blood-pressure fixed scan report (4
 * observations with their times) decoded by the manager's codec (bounded readers, the APDU and
 * the observations under configuration 0x02BC, values as SFLOAT with specials). Baseline, same
 * run, same bytes: a bare `Buffer` walk reading every 16-bit word of the APDU, no checks: the
 * floor of touching the bytes at all.
 */
const RUNS = Number(process.env['HDMS_BENCH_RUNS'] ?? 5);
const RUN_MS = Number(process.env['HDMS_BENCH_RUN_MS'] ?? 1000);

function rate(work: () => void): number {
  let count = 0;
  const started = performance.now();
  const deadline = started + RUN_MS;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1000; i++) work();
    count += 1000;
  }
  return count / ((performance.now() - started) / 1000);
}

const bench: BenchModule = {
  title: '11073 APDU decode rate (codec + observations) vs a bare Buffer walk of the same bytes',
  async run(log) {
    const apdu = Buffer.from(bpReport(1, { sys: sf(120), dia: sf(80), map: sf(93), pulse: sf(70) }));
    const configuration = standardConfiguration(0x02bc)!;
    let sink = 0;
    const codec = () => {
      const decoded = decodeApdu(apdu);
      if (decoded.type !== 'prst' || decoded.data.message.choice !== 0x0101) throw new Error('not a confirmed event report');
      sink += decodeObservations(configuration, 'fixed', decoded.data.message.eventInfo).observations.length;
    };
    const walk = () => {
      let sum = 0;
      for (let at = 0; at + 1 < apdu.length; at += 2) sum += apdu.readUInt16BE(at);
      sink += sum & 1;
    };
    const codecRates: number[] = [];
    const walkRates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      codecRates.push(rate(codec));
      walkRates.push(rate(walk));
      log(`devices-apdu-decode run ${run + 1}/${RUNS}: codec ${codecRates.at(-1)!.toFixed(0)}/s, bare walk ${walkRates.at(-1)!.toFixed(0)}/s`);
    }
    if (sink === 0) throw new Error('nothing decoded');
    return [
      {
        figure: 'device_apdu_decodes_per_s',
        value: median(codecRates),
        runs: RUNS,
        target: {},
        baseline: { name: `bare Buffer walk (readUInt16BE over the same ${apdu.length}-byte APDU, no checks)`, value: median(walkRates) },
        unit: 'APDUs/s',
        samples: codecRates,
        baselineSamples: walkRates,
        notes: `One ${apdu.length}-byte blood-pressure scan report (4 observations) per decode, to readings with values and device times. No design target: a device sends a report every few seconds.`,
      },
    ];
  },
};

export default bench;
