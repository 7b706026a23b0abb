// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CopyChoice } from '../../../../../renderer/features/imaging/viewer/study-viewer';
import type { ViewerInstance } from '../../../../../renderer/vault/imaging/study-instances';

afterEach(cleanup);

const instance: ViewerInstance = {
  sopInstanceUid: '1.2.3.9.1',
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
  transferSyntaxUid: '1.2.840.10008.1.2.2',
  number: 3,
  rows: 64,
  columns: 64,
  frames: null,
  source: 'network',
  callingAeTitle: 'CT_QA',
  instanceId: 'inst',
  objectId: 'o3',
  copy: 3,
  earlierCopies: [
    { copy: 1, instanceId: 'inst.copy1', objectId: 'o1' },
    { copy: 2, instanceId: 'inst.copy2', objectId: 'o2' },
  ],
};

// QA explore-12 D4: the viewer showed the newer copy of a resent instance with no hint that another existed.
describe('CopyChoice (viewer, an image received again with other bytes)', () => {
  it('says which copy is shown and opens each other copy', () => {
    const onChoose = vi.fn();
    const { rerender } = render(<CopyChoice instance={instance} shownId="inst" onChoose={onChoose} />);
    const note = screen.getByRole('note');
    expect(note.textContent).toContain('This image was received 3 times with different bytes under the same SOP Instance UID. Shown: copy 3 of 3, the latest.');
    expect(screen.getAllByRole('button').map((button) => button.textContent)).toEqual(['Show copy 1 of 3, received earlier', 'Show copy 2 of 3, received earlier']);
    fireEvent.click(screen.getByRole('button', { name: 'Show copy 1 of 3, received earlier' }));
    expect(onChoose).toHaveBeenCalledWith('inst.copy1');

    rerender(<CopyChoice instance={instance} shownId="inst.copy1" onChoose={onChoose} />);
    expect(screen.getByRole('note').textContent).toContain('Shown: copy 1 of 3, received earlier.');
    fireEvent.click(screen.getByRole('button', { name: 'Show copy 3 of 3, the latest' }));
    expect(onChoose).toHaveBeenLastCalledWith('inst');
  });

  it('says "twice" for two copies', () => {
    render(<CopyChoice instance={{ ...instance, copy: 2, earlierCopies: [instance.earlierCopies[0]!] }} shownId="inst" onChoose={() => undefined} />);
    expect(screen.getByRole('note').textContent).toContain('This image was received twice with different bytes');
  });
});
