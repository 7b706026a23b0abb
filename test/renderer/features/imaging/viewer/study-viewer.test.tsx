// @vitest-environment happy-dom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CopyChoice, StudyNotices } from '../../../../../renderer/features/imaging/viewer/study-viewer';
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
  // QA2-12 Q6: a button per copy (6 in 3 rows at 1,000 px) pushed the image below the window's edge.
  it('says which copy is shown and opens each other copy from one list, in one control whatever the number of copies', () => {
    const onChoose = vi.fn();
    const { rerender } = render(<CopyChoice instance={instance} shownId="inst" onChoose={onChoose} />);
    const note = screen.getByRole('note');
    expect(note.textContent).toContain('Received 3 times with different bytes under this SOP Instance UID.');
    expect(screen.queryAllByRole('button')).toEqual([]);
    const list = screen.getByRole('combobox', { name: 'Shown:' });
    expect([...list.querySelectorAll('option')].map((option) => option.textContent)).toEqual(['copy 1 of 3, received earlier', 'copy 2 of 3, received earlier', 'copy 3 of 3, the latest']);
    expect((list as HTMLSelectElement).value).toBe('inst');
    fireEvent.change(list, { target: { value: 'inst.copy1' } });
    expect(onChoose).toHaveBeenCalledWith('inst.copy1');

    rerender(<CopyChoice instance={instance} shownId="inst.copy1" onChoose={onChoose} />);
    expect((screen.getByRole('combobox', { name: 'Shown:' }) as HTMLSelectElement).value).toBe('inst.copy1');
    fireEvent.change(screen.getByRole('combobox', { name: 'Shown:' }), { target: { value: 'inst' } });
    expect(onChoose).toHaveBeenLastCalledWith('inst');
  });

  it('with seven copies still one list', () => {
    const earlierCopies = [1, 2, 3, 4, 5, 6].map((copy) => ({ copy, instanceId: `inst.copy${copy}`, objectId: `o${copy}` }));
    render(<CopyChoice instance={{ ...instance, copy: 7, earlierCopies }} shownId="inst" onChoose={() => undefined} />);
    expect(screen.queryAllByRole('button')).toEqual([]);
    expect(screen.getByRole('combobox', { name: 'Shown:' }).querySelectorAll('option')).toHaveLength(7);
  });

  it('with two copies, one button opens the other', () => {
    const onChoose = vi.fn();
    render(<CopyChoice instance={{ ...instance, copy: 2, earlierCopies: [instance.earlierCopies[0]!] }} shownId="inst" onChoose={onChoose} />);
    expect(screen.getAllByRole('button').map((button) => button.textContent)).toEqual(['Show copy 1 of 2, received earlier']);
    expect(screen.queryByRole('combobox')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Show copy 1 of 2, received earlier' }));
    expect(onChoose).toHaveBeenCalledWith('inst.copy1');
  });

  // QA s33 D3: copies in other transfer syntaxes (the same image re-encoded) said only "different bytes".
  it('says when the copies are in different transfer syntaxes', () => {
    const recoded = { ...instance, transferSyntaxUid: '1.2.840.10008.1.2.1.99', copy: 2, earlierCopies: [{ ...instance.earlierCopies[0]!, transferSyntaxUid: '1.2.840.10008.1.2.1' }] };
    render(<CopyChoice instance={recoded} shownId="inst" onChoose={() => undefined} />);
    expect(screen.getByRole('note').textContent).toContain('This image was received twice under the same SOP Instance UID, in two transfer syntaxes. Shown: copy 2 of 2, the latest.');
    expect(screen.getAllByRole('button').map((button) => button.textContent)).toEqual(['Show copy 1 of 2, received earlier']);
    cleanup();
    const three = { ...instance, transferSyntaxUid: '1.2.840.10008.1.2.1', earlierCopies: [{ ...instance.earlierCopies[0]!, transferSyntaxUid: '1.2.840.10008.1.2.2' }, { ...instance.earlierCopies[1]!, transferSyntaxUid: '1.2.840.10008.1.2.1' }] };
    render(<CopyChoice instance={three} shownId="inst" onChoose={() => undefined} />);
    expect(screen.getByRole('note').textContent).toContain('Received 3 times under this SOP Instance UID, in 2 transfer syntaxes.');
    cleanup();
    // One copy's syntax not known (views before version 28): nothing is said of syntaxes.
    render(<CopyChoice instance={{ ...three, earlierCopies: [three.earlierCopies[0]!, instance.earlierCopies[1]!] }} shownId="inst" onChoose={() => undefined} />);
    expect(screen.getByRole('note').textContent).toContain('Received 3 times with different bytes under this SOP Instance UID.');
  });

  it('says "twice" for two copies, and which is shown', () => {
    render(<CopyChoice instance={{ ...instance, copy: 2, earlierCopies: [instance.earlierCopies[0]!] }} shownId="inst" onChoose={() => undefined} />);
    expect(screen.getByRole('note').textContent).toContain('This image was received twice with different bytes under the same SOP Instance UID. Shown: copy 2 of 2, the latest.');
  });
});

// QA-12 layout: two notices of two lines each pushed the image 130 px down a 700 px window.
describe('StudyNotices (viewer header)', () => {
  it('nothing without notices; else one note, one line that opens to every notice in full', () => {
    const { container, rerender } = render(<StudyNotices notes={[]} />);
    expect(container.innerHTML).toBe('');
    rerender(<StudyNotices notes={['Images with this study’s UID were also received for another patient.', '1 image was received again with other bytes.']} />);
    expect(screen.getAllByRole('note')).toHaveLength(1);
    const details = screen.getByRole('note').querySelector('details')!;
    const summary = details.querySelector('summary')!;
    expect(details.open).toBe(false);
    expect(summary.textContent).toContain('also received for another patient.');
    expect(summary.textContent).toContain('1 image was received again with other bytes.');
    expect(summary.getAttribute('title')).toBe('Images with this study’s UID were also received for another patient.\n1 image was received again with other bytes.');
  });
});
