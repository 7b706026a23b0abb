// @vitest-environment happy-dom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ReportView } from '../../../../../renderer/features/imaging/viewer/report-view';

afterEach(cleanup);

/** QA explore-12 D7: an SR TEXT item's line breaks were collapsed into one run-on line. */
describe('ReportView', () => {
  it('keeps the line breaks of a text value (CR LF, LF or CR), blank lines included', () => {
    render(
      <ReportView
        lines={[
          { depth: 0, relationship: '', concept: 'Radiology report', value: '' },
          { depth: 1, relationship: 'CONTAINS', concept: 'Comment', value: 'Line one\r\nLine two\n\nLine four\rLine five' },
          { depth: 1, relationship: 'CONTAINS', concept: 'Impression', value: 'No acute findings' },
        ]}
      />,
    );
    const [comment, impression] = screen.getAllByRole('listitem');
    expect(comment!.querySelectorAll('br')).toHaveLength(4);
    expect(comment!.textContent).toBe('Comment: Line oneLine twoLine fourLine five');
    expect(impression!.querySelectorAll('br')).toHaveLength(0);
    expect(impression!.textContent).toBe('Impression: No acute findings');
  });
});
