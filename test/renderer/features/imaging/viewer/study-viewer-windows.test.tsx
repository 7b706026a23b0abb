// @vitest-environment happy-dom
import { cleanup, fireEvent, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InstanceDecoder } from '../../../../../renderer/features/imaging/viewer/decode/instance-decoder';
import { nodeCodecs } from './node-codecs';
import { openStudy, sliceStudy } from './study-viewer-setup';

vi.mock('../../../../../renderer/features/imaging/viewer/decode-client', () => import('./worker-decode-client'));

async function open(modality: string) {
  // The slice names one window of its own: centre 40, width 400, "ABDOMEN".
  const { study, instanceBytes } = sliceStudy({ uidRoot: '2.25.7720', slices: 1, modality, studyId: `study-${modality}`, description: `${modality} STUDY`, seriesDescription: 'ONE', callingAeTitle: 'QA' });
  const viewer = await openStudy(study, instanceBytes, new InstanceDecoder(nodeCodecs(), 8));
  await waitFor(() => expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 400 / L 40'));
  const presets = within(viewer).getByRole('group', { name: 'Window presets' });
  return { viewer, presets, names: within(presets).getAllByRole('button').map((button) => button.textContent) };
}

// QA T1 F7: Brain/Lung/Bone/Abdomen were offered on CR, MR and secondary capture (a radiograph turned black under "Brain").
describe('the study viewer’s window presets', () => {
  afterEach(cleanup);

  it('on a CR: only the image’s own window and Default, and key 1 is the image’s window', async () => {
    const { viewer, presets, names } = await open('CR');
    expect(names).toEqual(['ABDOMEN', 'Default']);
    expect(within(presets).getByRole('button', { name: 'ABDOMEN' }).getAttribute('title')).toBe('Window Center 40, Width 400 (key 1)');
    fireEvent.keyDown(viewer, { key: '2' });
    fireEvent.keyDown(viewer, { key: '1' });
    expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 400 / L 40');
  });

  it('on a CT: the CT presets, the image’s own window, and Default back to the image’s window', async () => {
    const { viewer, presets, names } = await open('CT');
    expect(names).toEqual(['Brain', 'Lung', 'Bone', 'Abdomen', 'ABDOMEN', 'Default']);
    fireEvent.keyDown(viewer, { key: '1' });
    await waitFor(() => expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 80 / L 40'));
    fireEvent.click(within(presets).getByRole('button', { name: 'Default' }));
    await waitFor(() => expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 400 / L 40'));
  });
});

// QA T1 F5: a single length could not be removed; Reset also threw away the window and the zoom.
describe('the study viewer’s lengths', () => {
  afterEach(() => {
    cleanup();
    vi.restoreAllMocks();
    vi.unstubAllGlobals();
  });

  it('deletes the chosen length with Delete or the button, and keeps the window', async () => {
    // A laid-out canvas (happy-dom lays nothing out): 200 × 200 CSS pixels, told to its observer at once.
    vi.spyOn(HTMLElement.prototype, 'clientWidth', 'get').mockReturnValue(200);
    vi.spyOn(HTMLElement.prototype, 'clientHeight', 'get').mockReturnValue(200);
    vi.stubGlobal(
      'ResizeObserver',
      class {
        constructor(private readonly callback: () => void) {}
        observe() {
          this.callback();
        }
        disconnect() {}
        unobserve() {}
      },
    );
    const { viewer } = await open('CT');
    fireEvent.keyDown(viewer, { key: '2' });
    await waitFor(() => expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 1500 / L -600'));
    fireEvent.click(within(viewer).getByRole('radio', { name: 'Length' }));
    const canvas = viewer.querySelector<HTMLCanvasElement>('canvas.viewer-canvas')!;
    canvas.setPointerCapture = () => undefined;
    canvas.getBoundingClientRect = () => ({ left: 0, top: 0, right: 200, bottom: 200, width: 200, height: 200, x: 0, y: 0, toJSON: () => ({}) });
    for (const x of [10, 20, 30]) {
      fireEvent.pointerDown(canvas, { pointerId: 1, button: 0, clientX: x, clientY: 10 });
      fireEvent.pointerMove(canvas, { pointerId: 1, clientX: x + 5, clientY: 20 });
      fireEvent.pointerUp(canvas, { pointerId: 1 });
    }
    await waitFor(() => expect(within(viewer).getAllByTestId('viewer-length')).toHaveLength(3));
    // The newest is chosen; choose the first and delete it with the button.
    const chosen = within(viewer).getByRole('combobox', { name: 'Chosen length' }) as HTMLSelectElement;
    expect(chosen.value).toBe('2');
    fireEvent.change(chosen, { target: { value: '0' } });
    fireEvent.click(within(viewer).getByRole('button', { name: 'Delete length' }));
    await waitFor(() => expect(within(viewer).getAllByTestId('viewer-length')).toHaveLength(2));
    // The key deletes the newest (chosen again), the window stays.
    fireEvent.keyDown(viewer, { key: 'Delete' });
    await waitFor(() => expect(within(viewer).getAllByTestId('viewer-length')).toHaveLength(1));
    fireEvent.keyDown(viewer, { key: 'Backspace' });
    await waitFor(() => expect(within(viewer).queryAllByTestId('viewer-length')).toHaveLength(0));
    expect(within(viewer).getByTestId('viewer-window').textContent).toBe('W 1500 / L -600');
    expect(within(viewer).queryByRole('button', { name: 'Delete length' })).toBeNull();
  });
});
