import { useEffect, useRef, type RefObject } from 'react';

/**
 * Opens the `<dialog>` behind the returned ref as a modal while the component is mounted: the rest
 * of the page is inert and Escape cancels it; on unmount it closes and focus returns to whatever
 * opened it. Where `showModal` is missing (older test DOMs) the dialog is just marked open.
 */
export function useModalDialog(options: { readonly focusFirstInput?: boolean } = {}): RefObject<HTMLDialogElement | null> {
  const dialog = useRef<HTMLDialogElement>(null);
  const focusFirstInput = options.focusFirstInput === true;
  useEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (typeof element.showModal === 'function' && !element.open) element.showModal();
    else element.setAttribute('open', '');
    if (focusFirstInput) element.querySelector('input')?.focus();
    return () => {
      if (element.open && typeof element.close === 'function') element.close();
      opener?.focus();
    };
  }, [focusFirstInput]);
  return dialog;
}
