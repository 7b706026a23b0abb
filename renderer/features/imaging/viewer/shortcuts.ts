/**
 * The viewer's keys (QA-12 D7): they work wherever the focus is inside the viewer (the image, a
 * toolbar button just clicked, the series strip), not on the canvas only. A text box, a number box
 * (Frames/s), a list or an editable element keeps its keys. On a button, a radio, a link or a
 * checkbox, Space and Enter press it as they always do (so Space starts the cine only from
 * elsewhere: the image, the stage); every other shortcut works there too.
 */
export type ViewerShortcut =
  | { readonly kind: 'step'; readonly by: number }
  | { readonly kind: 'first' }
  | { readonly kind: 'last' }
  | { readonly kind: 'invert' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'cine' }
  | { readonly kind: 'delete-length' }
  | { readonly kind: 'preset'; readonly key: string };

const KEYS: Readonly<Record<string, ViewerShortcut>> = {
  ArrowDown: { kind: 'step', by: 1 },
  ArrowRight: { kind: 'step', by: 1 },
  ArrowUp: { kind: 'step', by: -1 },
  ArrowLeft: { kind: 'step', by: -1 },
  PageDown: { kind: 'step', by: 10 },
  PageUp: { kind: 'step', by: -10 },
  Home: { kind: 'first' },
  End: { kind: 'last' },
  i: { kind: 'invert' },
  r: { kind: 'reset' },
  ' ': { kind: 'cine' },
  Delete: { kind: 'delete-length' },
  Backspace: { kind: 'delete-length' },
  // The image's presets on 1–4 (viewport-state.ts windowPresets: which ones depends on the image).
  ...Object.fromEntries(['1', '2', '3', '4'].map((key) => [key, { kind: 'preset', key } as const])),
};

/** The keys as aria-keyshortcuts names them. */
export const VIEWER_KEYSHORTCUTS = `ArrowUp ArrowDown ArrowLeft ArrowRight PageUp PageDown Home End I R Space Delete Backspace 1 2 3 4`;

/** Input types that are pressed, not typed into. */
const PRESSED_INPUTS = new Set(['button', 'submit', 'reset', 'checkbox', 'radio', 'image', 'file', 'color']);
const PRESSED_ROLES = new Set(['button', 'radio', 'checkbox', 'switch', 'link', 'tab', 'menuitem', 'menuitemradio', 'menuitemcheckbox', 'option']);

function typedInto(target: Element): boolean {
  const tag = target.tagName.toLowerCase();
  if (tag === 'textarea' || tag === 'select') return true;
  if (tag === 'input') return !PRESSED_INPUTS.has(((target as HTMLInputElement).type || 'text').toLowerCase());
  return target instanceof HTMLElement && target.isContentEditable;
}

function pressed(target: Element): boolean {
  const tag = target.tagName.toLowerCase();
  if (tag === 'button' || tag === 'summary' || (tag === 'a' && target.hasAttribute('href')) || tag === 'input') return true;
  const role = target.getAttribute('role');
  return role !== null && PRESSED_ROLES.has(role);
}

/** The shortcut a key pressed on `target` (inside the viewer) stands for, or null: the key is the target's own. */
export function viewerShortcut(event: { readonly key: string; readonly target: EventTarget | null; readonly altKey: boolean; readonly ctrlKey: boolean; readonly metaKey: boolean }): ViewerShortcut | null {
  if (event.altKey || event.ctrlKey || event.metaKey) return null;
  const target = event.target instanceof Element ? event.target : null;
  if (target !== null && (typedInto(target) || target.closest('[contenteditable=""], [contenteditable="true"]') !== null)) return null;
  if (target !== null && (event.key === ' ' || event.key === 'Enter') && pressed(target)) return null;
  return KEYS[event.key.length === 1 ? event.key.toLowerCase() : event.key] ?? null;
}
