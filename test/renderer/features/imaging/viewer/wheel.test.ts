import { describe, expect, it } from 'vitest';
import { NOTCH_PX, WHEEL_PAUSE_MS, WheelStepper, wheelPixels, wheelZoomFactor } from '../../../../../renderer/features/imaging/viewer/wheel';

// QA-12 D3: the wheel's deltas add up to images; a notch is one image, a trackpad's small deltas add up.
describe('viewer wheel', () => {
  it('reads pixels, lines and pages: three lines and one page are a notch', () => {
    expect(wheelPixels(120, 0)).toBe(120);
    expect(wheelPixels(3, 1)).toBeCloseTo(NOTCH_PX, 9);
    expect(wheelPixels(-1, 2)).toBe(-NOTCH_PX);
    expect(wheelPixels(Number.NaN, 0)).toBe(0);
  });

  it('adds small deltas up to one image per notch-sized amount and keeps the remainder', () => {
    const wheel = new WheelStepper();
    const steps = Array.from({ length: 100 }, (_, i) => wheel.step(4, i * 16));
    // 400 px in 4 px events: four images, one at each 100 px.
    expect(steps.reduce((a, b) => a + b, 0)).toBe(4);
    expect(steps.findIndex((step) => step === 1)).toBe(24);
  });

  it('moves exactly one image per mouse notch of 100 or 120 px, and whole notches of a coalesced event', () => {
    const wheel = new WheelStepper();
    expect(Array.from({ length: 10 }, (_, i) => wheel.step(120, i * 30))).toEqual(Array(10).fill(1));
    expect(Array.from({ length: 10 }, (_, i) => wheel.step(-100, 1000 + i * 30))).toEqual(Array(10).fill(-1));
    expect(wheel.step(240, 2000)).toBe(2);
  });

  it('forgets the remainder when the direction changes or after a pause', () => {
    const wheel = new WheelStepper();
    expect(wheel.step(90, 0)).toBe(0);
    expect(wheel.step(-20, 10)).toBe(0);
    // A fresh start on the way back (not 90 − 20 − 70 = 0): 90 px back is still no image, 105 px one.
    expect(wheel.step(-70, 20)).toBe(0);
    expect(wheel.step(-15, 30)).toBe(-1);
    expect(wheel.step(90, 40)).toBe(0);
    expect(wheel.step(20, 40 + WHEEL_PAUSE_MS + 1)).toBe(0);
    expect(wheel.step(75, 40 + WHEEL_PAUSE_MS + 20)).toBe(0);
    expect(wheel.step(5, 40 + WHEEL_PAUSE_MS + 30)).toBe(1);
  });

  it('zooms in proportion to the delta: a notch 1.1×, two half notches the same, back and forth returns', () => {
    expect(wheelZoomFactor(-100)).toBeCloseTo(1.1, 12);
    expect(wheelZoomFactor(-50) * wheelZoomFactor(-50)).toBeCloseTo(1.1, 12);
    expect(wheelZoomFactor(120) * wheelZoomFactor(-120)).toBeCloseTo(1, 12);
    expect(wheelZoomFactor(-2) ** 20).toBeLessThan(1.05);
  });
});
