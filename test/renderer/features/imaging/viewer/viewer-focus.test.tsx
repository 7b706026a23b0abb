// @vitest-environment happy-dom
import { cleanup, render, waitFor } from '@testing-library/react';
import { useEffect, useRef, useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { useFocusOnOpen } from '../../../../../renderer/features/imaging/viewer/viewer-focus';

afterEach(cleanup);

function Viewer() {
  const ref = useRef<HTMLElement>(null);
  useFocusOnOpen(ref);
  return (
    <section ref={ref} tabIndex={-1} aria-label="Image viewer">
      <canvas />
    </section>
  );
}

/** As the app frame does: after a navigation its effect (a parent's, so after the page's) focuses the page heading. */
function Frame({ open, field = false }: { open: boolean; field?: boolean }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <main>
      <h1 ref={heading} tabIndex={-1} className="content__title">
        Imaging
      </h1>
      {field && <input aria-label="Search" autoFocus />}
      {open && <Viewer />}
    </main>
  );
}

/** The study opens after the page: the heading has the focus first. */
function Later() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const timer = setTimeout(() => setOpen(true), 20);
    return () => clearTimeout(timer);
  }, []);
  return <Frame open={open} />;
}

// QA D2 (issues 11/12): after a study opened the focus stayed on the page heading, so ↓, End, 1–4 and I did nothing.
describe('useFocusOnOpen (the viewer takes the focus when a study opens)', () => {
  it('opened with the page (the frame then focuses its heading): the viewer ends up focused', async () => {
    const { getByLabelText } = render(<Frame open />);
    await waitFor(() => expect(document.activeElement).toBe(getByLabelText('Image viewer')));
  });

  it('opened after the page (the study loaded later): the viewer takes the focus from the heading', async () => {
    const { findByLabelText } = render(<Later />);
    const viewer = await findByLabelText('Image viewer');
    await waitFor(() => expect(document.activeElement).toBe(viewer));
  });

  it('does not take the focus from a text field the user is typing in', async () => {
    const { getByLabelText } = render(<Frame open field />);
    const field = getByLabelText('Search');
    field.focus();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(document.activeElement).toBe(field);
  });
});
