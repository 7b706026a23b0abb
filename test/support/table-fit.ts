import type { Locator } from 'playwright-core';
import { expect } from 'vitest';

/**
 * How a table sits in its wrap (QA11 5, 6; QA4-12 D8a): the wrap's scroll and client widths, the
 * column heads and the buttons or links that end past the wrap's inner edge (off-screen or cut),
 * the cells whose content spills out of them, the words laid out on more than one line (broken
 * inside) and the values cut with an ellipsis that no title holds whole.
 */
export async function fitOf(table: Locator) {
  return table.evaluate((element) => {
    const wrap = element.parentElement!;
    const edge = wrap.getBoundingClientRect().left + wrap.clientLeft + wrap.clientWidth;
    const text = (node: Element) => (node.textContent ?? '').replace(/\s+/g, ' ').trim();
    const offside = [...element.querySelectorAll('thead th')].filter((head) => head.getBoundingClientRect().right > edge + 0.5).map(text);
    const cut: string[] = [];
    for (const control of element.querySelectorAll<HTMLElement>('tbody button, tbody a.button')) {
      const box = control.getBoundingClientRect();
      const cell = control.closest('td, th')!.getBoundingClientRect();
      if (box.right > edge + 0.5 || box.right > cell.right + 0.5 || control.scrollWidth > control.clientWidth + 1) cut.push(text(control));
    }
    const spilled: string[] = [];
    const broken: string[] = [];
    const untitled: string[] = [];
    for (const cell of element.querySelectorAll<HTMLElement>('thead th, tbody td, tbody th')) {
      for (const node of [cell, ...cell.querySelectorAll<HTMLElement>('*')]) {
        if (node.scrollWidth <= node.clientWidth + 1 || node.clientWidth === 0) continue;
        const style = getComputedStyle(node);
        if (style.overflowX === 'visible') {
          if (node === cell) spilled.push(text(cell));
        } else if (style.textOverflow === 'ellipsis') {
          const title = node.closest('[title]')?.getAttribute('title') ?? '';
          if (!title.includes(text(node).replace(/ ?\|$/, ''))) untitled.push(text(node));
        }
      }
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
        for (const word of (node.textContent ?? '').matchAll(/\S+/g)) {
          const range = document.createRange();
          range.setStart(node, word.index);
          range.setEnd(node, word.index + word[0].length);
          const lines = new Set([...range.getClientRects()].filter((rect) => rect.width > 0).map((rect) => Math.round(rect.top)));
          if (lines.size > 1) broken.push(word[0]);
        }
      }
    }
    return { table: Math.round(element.getBoundingClientRect().width), scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth, offside, cut, spilled, broken, untitled };
  });
}

/** Every column of the table inside its panel: no sideways scroll, nothing cut, spilled or broken inside a word. */
export async function expectFits(name: string, table: Locator): Promise<void> {
  const fit = await fitOf(table);
  console.log(`${name} at 1,000 px: table ${fit.table} px, wrap scrollWidth ${fit.scrollWidth} / clientWidth ${fit.clientWidth}`);
  const { offside, cut, spilled, broken, untitled } = fit;
  expect({ name, offside, cut, spilled, broken, untitled }).toEqual({ name, offside: [], cut: [], spilled: [], broken: [], untitled: [] });
  expect(fit.scrollWidth, `${name}: the table scrolls sideways`).toBeLessThanOrEqual(fit.clientWidth);
}
