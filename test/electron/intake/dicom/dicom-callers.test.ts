import { describe, expect, it } from 'vitest';
import { DicomCallers } from '../../../../electron/intake/dicom/dicom-callers';

describe('DicomCallers: the receiver counts per calling AE title and address, bounded (QA12 D5)', () => {
  it('counts associations, C-STOREs and rejections with their reason per AE title and address', () => {
    const callers = new DicomCallers();
    callers.associated('CT_1', '10.0.0.5');
    callers.row('CT_1', '10.0.0.5').stored += 1;
    callers.rejected('CT_1', '10.0.0.5', 'too-many');
    callers.rejected('WHOAMI', '10.0.0.9', 'called-ae-title', 'WRONGAE');
    callers.rejected('WHOAMI', '10.0.0.9', 'called-ae-title', 'OTHERAE');
    callers.rejected('', '10.0.0.7', 'too-many');
    expect(callers.list()).toEqual([
      { aeTitle: 'CT_1', address: '10.0.0.5', associations: 1, received: 0, stored: 1, held: 0, duplicates: 0, conflicts: 0, failed: 0, rejected: 1, rejections: { 'too-many': 1 } },
      { aeTitle: 'WHOAMI', address: '10.0.0.9', associations: 0, received: 0, stored: 0, held: 0, duplicates: 0, conflicts: 0, failed: 0, rejected: 2, rejections: { 'called-ae-title': 2 }, calledAeTitles: [{ aeTitle: 'WRONGAE', count: 1 }, { aeTitle: 'OTHERAE', count: 1 }] },
      { aeTitle: '', address: '10.0.0.7', associations: 0, received: 0, stored: 0, held: 0, duplicates: 0, conflicts: 0, failed: 0, rejected: 1, rejections: { 'too-many': 1 } },
    ]);
  });

  it('counts each distinct called AE title a caller asked for, a few by name and the rest as a number of others (QA s32: only the last was named)', () => {
    const callers = new DicomCallers(500, 3, 5);
    for (const called of ['WRONG', 'hdms_ct', 'WRONG', 'A', 'B', 'C', 'B', 'D', 'E', 'F', 'G', 'H']) callers.rejected('WHOAMI', '10.0.0.9', 'called-ae-title', called);
    expect(callers.list()[0]).toMatchObject({
      rejected: 12,
      calledAeTitles: [
        { aeTitle: 'WRONG', count: 2 },
        { aeTitle: 'hdms_ct', count: 1 },
        { aeTitle: 'A', count: 1 },
      ],
      // B, C, D, E, F told apart; G and H past the bound are not, so "at least".
      otherCalledAeTitles: { titles: 5, more: true },
    });
    // A copy: the caller's list does not change under the reader.
    const copy = callers.list()[0]!;
    callers.rejected('WHOAMI', '10.0.0.9', 'called-ae-title', 'WRONG');
    expect(copy.calledAeTitles?.[0]).toEqual({ aeTitle: 'WRONG', count: 2 });
  });

  it('past its named rows, new callers are counted together in one row, so a flood of made-up AE titles stays bounded and known callers keep theirs', () => {
    const callers = new DicomCallers(3);
    callers.associated('CT_1', '10.0.0.5');
    for (let i = 0; i < 1000; i++) callers.rejected(`FLOOD${i}`, '10.6.6.6', 'not-allowed');
    callers.associated('CT_1', '10.0.0.5');
    callers.associated('LATE', '10.0.0.8');
    const list = callers.list();
    expect(list).toHaveLength(4);
    expect(list.slice(0, 3).map((row) => row.aeTitle)).toEqual(['CT_1', 'FLOOD0', 'FLOOD1']);
    expect(list[0]).toMatchObject({ associations: 2 });
    expect(list[3]).toMatchObject({ others: true, aeTitle: '', address: '', associations: 1, rejected: 998, rejections: { 'not-allowed': 998 } });
    // The row a C-STORE counts into is the caller's own, or the others' row.
    callers.row('LATE', '10.0.0.8').stored += 1;
    expect(callers.list()[3]).toMatchObject({ stored: 1 });
  });
});
