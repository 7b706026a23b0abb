// @vitest-environment happy-dom
import { cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImageInfo } from '../../../../../renderer/features/imaging/viewer/decode/dicom-image';
import { ViewerCanvas } from '../../../../../renderer/features/imaging/viewer/viewer-canvas';
import { INITIAL_VIEW, type ViewState } from '../../../../../renderer/features/imaging/viewer/viewport-state';

afterEach(cleanup);

const image = { pixelSpacing: null } as unknown as ImageInfo;

function canvasWith(onStep: (step: number) => void, onView: (view: ViewState) => void = () => undefined): HTMLCanvasElement {
  const { container } = render(<ViewerCanvas image={image} frame={null} view={INITIAL_VIEW} onView={onView} tool="window" measurements={[]} onMeasure={() => undefined} onStep={onStep} position={0} label="Image 1 of 300" />);
  return container.querySelector('canvas')!;
}

/** A Ctrl+wheel event (happy-dom's WheelEvent does not take ctrlKey from its init). */
function ctrlWheel(target: Element, deltaY: number): void {
  const event = new WheelEvent('wheel', { deltaY, deltaMode: 0, bubbles: true, cancelable: true });
  Object.defineProperty(event, 'ctrlKey', { value: true });
  fireEvent(target, event);
}

const moved = (onStep: ReturnType<typeof vi.fn>) => onStep.mock.calls.reduce((sum, [step]) => sum + (step as number), 0);

// QA-12 D3: every wheel event moved one image and every Ctrl+wheel event zoomed 1.1×, whatever its size.
describe('ViewerCanvas wheel (trackpads, smooth-scrolling mice)', () => {
  it('a short two-finger swipe (30 events of 3 px) moves by its size, not one image an event', () => {
    const onStep = vi.fn();
    const canvas = canvasWith(onStep);
    for (let i = 0; i < 30; i++) fireEvent.wheel(canvas, { deltaY: 3, deltaMode: 0 });
    expect(moved(onStep)).toBe(0);
    for (let i = 0; i < 4; i++) fireEvent.wheel(canvas, { deltaY: 3, deltaMode: 0 });
    // 102 px: about one notch, one image.
    expect(moved(onStep)).toBe(1);
  });

  it('a mouse notch still moves exactly one image, in pixels (100, 120) or lines (3), both ways', () => {
    const onStep = vi.fn();
    const canvas = canvasWith(onStep);
    for (const [deltaY, deltaMode] of [
      [100, 0],
      [120, 0],
      [120, 0],
      [120, 0],
      [120, 0],
      [120, 0],
      [3, 1],
    ] as const) {
      onStep.mockClear();
      fireEvent.wheel(canvas, { deltaY, deltaMode });
      expect(moved(onStep)).toBe(1);
    }
    onStep.mockClear();
    fireEvent.wheel(canvas, { deltaY: -120, deltaMode: 0 });
    expect(moved(onStep)).toBe(-1);
  });

  it('a small pinch (20 Ctrl+wheel events of −2 px) zooms by a few percent, a notch by about 1.1×', () => {
    let view = INITIAL_VIEW;
    const { container, rerender } = render(<ViewerCanvas image={image} frame={null} view={view} onView={(next) => (view = next)} tool="window" measurements={[]} onMeasure={() => undefined} onStep={() => undefined} position={0} label="Image 1 of 300" />);
    const canvas = container.querySelector('canvas')!;
    for (let i = 0; i < 20; i++) {
      ctrlWheel(canvas, -2);
      rerender(<ViewerCanvas image={image} frame={null} view={view} onView={(next) => (view = next)} tool="window" measurements={[]} onMeasure={() => undefined} onStep={() => undefined} position={0} label="Image 1 of 300" />);
    }
    expect(view.zoom).toBeGreaterThan(1.02);
    expect(view.zoom).toBeLessThan(1.06);
    const before = view.zoom;
    ctrlWheel(canvas, -100);
    expect(view.zoom / before).toBeCloseTo(1.1, 3);
  });
});
