import { describe, expect, it } from 'vitest';
import { canvasToImage, CT_PRESETS, dragWindow, drawLength, imageToCanvas, INITIAL_VIEW, lengthMm, MAX_LENGTHS_PER_IMAGE, placement, removeLength, screenZoomPercent, stepIndex, windowPresets, zoomAbout, type Measurement } from '../../../../../renderer/features/imaging/viewer/viewport-state';

describe('viewport geometry', () => {
  it('fits the image into the canvas, centred, with its physical aspect', () => {
    expect(placement(1000, 500, 512, 512, [0.5, 0.5], INITIAL_VIEW)).toEqual({ scaleX: 500 / 512, scaleY: 500 / 512, left: 250, top: 0 });
    // Rows twice as far apart as columns: the image is drawn twice as tall per row.
    const tall = placement(1000, 1000, 100, 100, [2, 1], INITIAL_VIEW);
    expect([tall.scaleX, tall.scaleY]).toEqual([5, 10]);
    const zoomed = placement(1000, 500, 512, 512, null, { ...INITIAL_VIEW, zoom: 2, panX: 10, panY: -20 });
    expect(zoomed.scaleX).toBeCloseTo(1000 / 512, 10);
    expect(zoomed.left).toBeCloseTo(500 + 10 - 500, 10);
    expect(zoomed.top).toBeCloseTo(250 - 20 - 500, 10);
  });

  it('maps canvas and image coordinates both ways', () => {
    const place = placement(800, 600, 256, 128, [0.7, 0.7], { ...INITIAL_VIEW, zoom: 1.5, panX: 33 });
    const point = imageToCanvas(place, 100, 50);
    const back = canvasToImage(place, point.x, point.y);
    expect(back.x).toBeCloseTo(100, 10);
    expect(back.y).toBeCloseTo(50, 10);
  });

  it('zooms about the pointer: the image point under it stays under it', () => {
    const view = { ...INITIAL_VIEW, zoom: 1, panX: 0, panY: 0 };
    const before = placement(800, 600, 512, 512, null, view);
    const under = canvasToImage(before, 600, 200);
    const after = placement(800, 600, 512, 512, null, zoomAbout(view, 2, 600, 200, 800, 600));
    const moved = imageToCanvas(after, under.x, under.y);
    expect(moved.x).toBeCloseTo(600, 8);
    expect(moved.y).toBeCloseTo(200, 8);
    expect(zoomAbout(view, 1000, 0, 0, 800, 600).zoom).toBe(32);
    expect(zoomAbout(view, 0.0001, 0, 0, 800, 600).zoom).toBe(0.125);
  });

  it('window/level by dragging: right widens, down raises the level, never narrower than 1', () => {
    const start = { center: 40, width: 400 };
    const dragged = dragWindow(start, 100, 50, 4096);
    expect(dragged.width).toBeGreaterThan(400);
    expect(dragged.center).toBeGreaterThan(40);
    expect(dragWindow(start, -100_000, 0, 4096).width).toBe(1);
    expect(dragWindow(start, 0, 0, 4096)).toEqual(start);
  });

  // QA T1 F8: ~9 HU a screen pixel in any window (the CT's whole range −1524…3000 set the speed): a brain window W 80 needed 1 px moves.
  it('window/level by dragging moves in proportion to the window’s width, whatever the image’s range', () => {
    const brain = dragWindow({ center: 40, width: 80 }, 5, 5, 4524);
    expect(brain.width).toBeCloseTo(80 + (5 * 80) / 128, 8);
    expect(brain.center).toBeCloseTo(40 + (5 * 80) / 128, 8);
    // Ten times the width, ten times the speed.
    expect(dragWindow({ center: -600, width: 800 }, 5, 0, 4524).width).toBeCloseTo(800 + (5 * 800) / 128, 8);
    // A window narrowed to 1 in a wide range still widens at a useful speed (a floor from the range).
    expect(dragWindow({ center: 0, width: 1 }, 10, 0, 4096).width).toBeCloseTo(1 + (10 * 4096) / 16384, 8);
  });

  it('measures in mm from row and column spacing, or not at all without spacing', () => {
    expect(lengthMm({ x: 0, y: 0 }, { x: 3, y: 4 }, [1, 1])).toBe(5);
    // 10 columns of 0.5 mm and 10 rows of 2 mm.
    expect(lengthMm({ x: 0, y: 0 }, { x: 10, y: 10 }, [2, 0.5])).toBeCloseTo(Math.hypot(5, 20), 10);
    expect(lengthMm({ x: 0, y: 0 }, { x: 1, y: 1 }, null)).toBeNull();
    expect(lengthMm({ x: 0, y: 0 }, { x: 1, y: 1 }, [0, 1])).toBeNull();
  });

  it('steps within the stack and offers the four CT presets', () => {
    expect([stepIndex(0, -1, 300), stepIndex(298, 10, 300), stepIndex(5, 1, 300), stepIndex(0, 1, 0)]).toEqual([0, 299, 6, 0]);
    expect(CT_PRESETS.map((preset) => [preset.name, preset.center, preset.width])).toEqual([
      ['Brain', 40, 80],
      ['Lung', -600, 1500],
      ['Bone', 400, 1800],
      ['Abdomen', 40, 400],
    ]);
  });
});

// QA T1 F7: Brain/Lung/Bone/Abdomen (Hounsfield windows) were offered on CR, MR and secondary capture.
describe('windowPresets: the CT presets for CT only, else the image’s own windows', () => {
  const own = [
    { center: 2000, width: 4000, label: 'NORMAL' },
    { center: 1800, width: 2500, label: 'Window 2' },
  ];
  it('a CT gets the four CT presets on keys 1–4, then its own windows without a key', () => {
    expect(windowPresets('CT', [own[0]!]).map((preset) => [preset.name, preset.key, preset.center, preset.width])).toEqual([
      ['Brain', '1', 40, 80],
      ['Lung', '2', -600, 1500],
      ['Bone', '3', 400, 1800],
      ['Abdomen', '4', 40, 400],
      ['NORMAL', null, 2000, 4000],
    ]);
  });

  it('any other modality gets only the windows its data set names (Window Center/Width and explanation), on keys 1–4', () => {
    for (const modality of ['CR', 'MR', 'OT', 'DX', '']) {
      expect(windowPresets(modality, own).map((preset) => [preset.name, preset.key, preset.center, preset.width])).toEqual([
        ['NORMAL', '1', 2000, 4000],
        ['Window 2', '2', 1800, 2500],
      ]);
      expect(windowPresets(modality, [])).toEqual([]);
    }
    const five = Array.from({ length: 5 }, (_, i) => ({ center: i, width: 10, label: `W${i}` }));
    expect(windowPresets('MR', five).map((preset) => preset.key)).toEqual(['1', '2', '3', '4', null]);
  });
});

// QA D4: "Zoom 100%" meant fitted to the window (a 512×512 CT drawn 751 px tall said 100%).
describe('screenZoomPercent: image pixels to screen (CSS) pixels, 100% = 1:1', () => {
  it('a 512×512 CT fitted into a stage 751 px tall is drawn at 147%, and 100% once each image pixel is one screen pixel', () => {
    expect(screenZoomPercent(1100, 751, 512, 512, null, 1)).toBe(147);
    expect(screenZoomPercent(1100, 751, 512, 512, null, 512 / 751)).toBe(100);
    expect(screenZoomPercent(1100, 751, 512, 512, null, 2)).toBe(293);
  });

  it('counts the image’s columns (non-square pixels: the rows are stretched to scale, not counted)', () => {
    // Rows twice as far apart: fitted by height, 100 rows × 2 into 400 px: 2 screen px per column.
    expect(screenZoomPercent(1000, 400, 100, 100, [2, 1], 1)).toBe(200);
  });

  it('a canvas not yet laid out has no zoom to show', () => {
    expect(screenZoomPercent(0, 0, 512, 512, null, 1)).toBeNull();
  });
});

describe('drawLength: several lengths per image', () => {
  const at = (x: number, y: number) => ({ x, y });
  const first = { a: at(0, 0), b: at(10, 0) };

  it('a press adds a length, a drag moves only the newest one’s end, a release keeps it', () => {
    let lengths = drawLength([], { kind: 'start', measurement: first });
    lengths = drawLength(lengths, { kind: 'end', measurement: first });
    lengths = drawLength(lengths, { kind: 'start', measurement: { a: at(5, 5), b: at(5, 5) } });
    lengths = drawLength(lengths, { kind: 'move', measurement: { a: at(5, 5), b: at(5, 9) } });
    lengths = drawLength(lengths, { kind: 'end', measurement: { a: at(5, 5), b: at(5, 12) } });
    expect(lengths).toEqual([first, { a: at(5, 5), b: at(5, 12) }]);
  });

  it('a click without a drag leaves no zero length behind, and a move with none started changes nothing', () => {
    const clicked = drawLength(drawLength([first], { kind: 'start', measurement: { a: at(3, 3), b: at(3, 3) } }), { kind: 'end', measurement: { a: at(3, 3), b: at(3, 3) } });
    expect(clicked).toEqual([first]);
    expect(drawLength([], { kind: 'move', measurement: first })).toEqual([]);
  });

  it(`keeps at most ${MAX_LENGTHS_PER_IMAGE}, dropping the oldest`, () => {
    let lengths: readonly Measurement[] = [];
    for (let i = 0; i < MAX_LENGTHS_PER_IMAGE + 3; i++) lengths = drawLength(lengths, { kind: 'start', measurement: { a: at(i, 0), b: at(i, 1) } });
    expect(lengths).toHaveLength(MAX_LENGTHS_PER_IMAGE);
    expect(lengths[0]!.a.x).toBe(3);
  });
});

// QA T1 F5: one length could not be deleted; only Reset, which also dropped the window and the zoom.
describe('removeLength', () => {
  const at = (x: number): Measurement => ({ a: { x, y: 0 }, b: { x: x + 1, y: 0 } });
  it('drops the one length chosen and keeps the others in order', () => {
    expect(removeLength([at(1), at(2), at(3)], 1)).toEqual([at(1), at(3)]);
    expect(removeLength([at(1)], 0)).toEqual([]);
    const lengths = [at(1)];
    expect(removeLength(lengths, 5)).toBe(lengths);
  });
});
