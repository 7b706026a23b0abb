// @vitest-environment happy-dom
import { cleanup, fireEvent, render } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImageInfo } from '../../../../../renderer/features/imaging/viewer/decode/dicom-image';
import type { DecodedFrame } from '../../../../../renderer/features/imaging/viewer/pixels/pixel-module';
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

// QA s33 D2: a drag moved the window by the frame's stored range (Rescale Slope 0.001: 5 px took W from 4 to 44).
describe('ViewerCanvas window/level drag', () => {
  const rescaled = (slope: number, intercept: number, center: number, width: number) =>
    ({ pixelSpacing: null, pixel: { rows: 2, columns: 2, photometric: 'MONOCHROME2' }, modality: { slope, intercept, lut: null }, voi: { windows: [{ center, width, label: '' }], func: 'LINEAR', luts: [] } }) as unknown as ImageInfo;
  const frame: DecodedFrame = { kind: 'gray', rows: 2, columns: 2, pixels: Uint16Array.from([0, 1000, 2000, 4095]), min: 0, max: 4095 };

  function drag(image: ImageInfo, dx: number, dy: number) {
    const onView = vi.fn();
    const { container } = render(<ViewerCanvas image={image} frame={frame} view={INITIAL_VIEW} onView={onView} tool="window" measurements={[]} onMeasure={() => undefined} onStep={() => undefined} position={0} label="Image 1 of 1" />);
    const canvas = container.querySelector('canvas')!;
    // One canvas pixel per CSS pixel.
    canvas.getBoundingClientRect = () => ({ left: 0, top: 0, right: canvas.width, bottom: canvas.height, width: canvas.width, height: canvas.height, x: 0, y: 0, toJSON: () => ({}) });
    canvas.setPointerCapture = () => undefined;
    fireEvent.pointerDown(canvas, { pointerId: 1, button: 0, clientX: 100, clientY: 100 });
    fireEvent.pointerMove(canvas, { pointerId: 1, clientX: 100 + dx, clientY: 100 + dy });
    return (onView.mock.lastCall![0] as ViewState).window!;
  }

  it('moves the window in rescaled units: slope 0.001 (values 0–4.1, W 4 / L 2), 5 px right and 1 px down', () => {
    const window = drag(rescaled(0.001, 0, 2, 4), 5, 1);
    expect(window.width).toBeCloseTo(4 + 5 * (4 / 128), 6);
    expect(window.center).toBeCloseTo(2 + 4 / 128, 6);
  });

  it('a CT with slope 0.5 moves half as fast as its stored range would, and a negative slope as fast as its positive', () => {
    // A window of 1: the floor is 1/16384 of the rescaled range 2047.5 (the stored range gave twice that).
    expect(drag(rescaled(0.5, -1024, 40, 1), 10, 0).width).toBeCloseTo(1 + (10 * 2047.5) / 16384, 6);
    expect(drag(rescaled(-0.5, 1024, 40, 1), 10, 0).width).toBeCloseTo(1 + (10 * 2047.5) / 16384, 6);
  });
});
