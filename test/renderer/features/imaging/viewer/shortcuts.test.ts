// @vitest-environment happy-dom
import { afterEach, describe, expect, it } from 'vitest';
import { viewerShortcut } from '../../../../../renderer/features/imaging/viewer/shortcuts';

afterEach(() => document.body.replaceChildren());

function element(html: string): Element {
  const holder = document.createElement('div');
  holder.innerHTML = html;
  document.body.append(holder);
  return holder.firstElementChild!;
}

const key = (value: string, target: Element, modifiers: { altKey?: boolean; ctrlKey?: boolean; metaKey?: boolean } = {}) => viewerShortcut({ key: value, target, altKey: false, ctrlKey: false, metaKey: false, ...modifiers });

// QA-12 D7: the keys were the canvas' only; after a toolbar button was clicked they did nothing.
describe('viewer shortcuts', () => {
  it('step, jump, invert, reset, cine and presets from the image', () => {
    const canvas = element('<canvas tabindex="0"></canvas>');
    expect(key('ArrowDown', canvas)).toEqual({ kind: 'step', by: 1 });
    expect(key('ArrowRight', canvas)).toEqual({ kind: 'step', by: 1 });
    expect(key('ArrowUp', canvas)).toEqual({ kind: 'step', by: -1 });
    expect(key('ArrowLeft', canvas)).toEqual({ kind: 'step', by: -1 });
    expect(key('PageDown', canvas)).toEqual({ kind: 'step', by: 10 });
    expect(key('PageUp', canvas)).toEqual({ kind: 'step', by: -10 });
    expect(key('Home', canvas)).toEqual({ kind: 'first' });
    expect(key('End', canvas)).toEqual({ kind: 'last' });
    expect(key('I', canvas)).toEqual({ kind: 'invert' });
    expect(key('r', canvas)).toEqual({ kind: 'reset' });
    expect(key(' ', canvas)).toEqual({ kind: 'cine' });
    expect(key('2', canvas)).toEqual({ kind: 'preset', key: '2' });
    // QA T1 F5: Delete and Backspace delete the chosen length.
    expect([key('Delete', canvas), key('Backspace', canvas)]).toEqual([{ kind: 'delete-length' }, { kind: 'delete-length' }]);
    expect(key('x', canvas)).toBeNull();
    expect(key('ArrowDown', canvas, { ctrlKey: true })).toBeNull();
    expect(key('r', canvas, { metaKey: true })).toBeNull();
  });

  it('the same keys while a toolbar button (or radio) has the focus, except Space and Enter, which press the button', () => {
    for (const html of ['<button type="button">Lung</button>', '<button type="button" role="radio" aria-checked="true">Length</button>', '<a href="#/patients/x">Patient</a>']) {
      const button = element(html);
      expect(key('ArrowDown', button)).toEqual({ kind: 'step', by: 1 });
      expect(key('End', button)).toEqual({ kind: 'last' });
      expect(key('1', button)).toEqual({ kind: 'preset', key: '1' });
      expect(key('i', button)).toEqual({ kind: 'invert' });
      expect(key(' ', button)).toBeNull();
      expect(key('Enter', button)).toBeNull();
    }
  });

  it('never takes keys from a text box, a number box, a list or an editable element', () => {
    for (const html of ['<input type="number" value="15">', '<input type="text">', '<input type="search">', '<textarea></textarea>', '<select><option>a</option></select>', '<div contenteditable="true">x</div>']) {
      const box = element(html);
      for (const value of ['ArrowDown', 'ArrowUp', 'Home', 'End', 'PageDown', '1', 'i', 'r', ' ']) expect(key(value, box)).toBeNull();
    }
    // A checkbox is no text box: the stack keys work, Space ticks it.
    const checkbox = element('<input type="checkbox">');
    expect(key('ArrowDown', checkbox)).toEqual({ kind: 'step', by: 1 });
    expect(key(' ', checkbox)).toBeNull();
  });
});
