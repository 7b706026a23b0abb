import { useEffect, useState, type FormEvent } from 'react';
import { useAction, type Action } from '../use-action';

export type LoadedSettings<A> = { readonly phase: 'loading' } | { readonly phase: 'failed'; readonly error: unknown } | { readonly phase: 'ready'; readonly answer: A };

/**
 * A settings form over the body (the HL7 listener, the DICOM receiver): loads the settings once,
 * keeps an editable draft of them, saves the draft when the form is sent and its problem is null,
 * and takes the body's answer as the new saved state. `draftOf`, `problemOf` and `changeOf` are the
 * form's own: how settings become fields, what stops a save, and what a draft sends.
 */
export function useSettingsDraft<A extends { readonly settings: S }, S, D, C>(options: {
  readonly load: () => Promise<A>;
  readonly store: (change: C) => Promise<A>;
  readonly draftOf: (settings: S) => D;
  readonly changeOf: (draft: D) => C;
  readonly problemOf: (draft: D) => string | null;
}): {
  readonly loaded: LoadedSettings<A>;
  readonly draft: D | null;
  readonly saved: boolean;
  /**
   * The person tried to send the draft while it had a problem: only then is the problem shown next
   * to the button, which it disables (the README's forms rule, QA2-11 Q4); cleared by a save.
   */
  readonly attempted: boolean;
  readonly save: Action<[D], void>;
  readonly change: (patch: Partial<D>) => void;
  readonly submit: (event: FormEvent) => void;
} {
  const { load, store, draftOf, changeOf, problemOf } = options;
  const [loaded, setLoaded] = useState<LoadedSettings<A>>({ phase: 'loading' });
  const [draft, setDraft] = useState<D | null>(null);
  const [saved, setSaved] = useState(false);
  const [attempted, setAttempted] = useState(false);

  // Once per mount: the callers pass functions of the api, which does not change.
  useEffect(() => {
    let current = true;
    load().then(
      (answer) => {
        if (!current) return;
        setLoaded({ phase: 'ready', answer });
        setDraft(draftOf(answer.settings));
      },
      (error: unknown) => {
        if (current) setLoaded({ phase: 'failed', error });
      },
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const save = useAction(async (next: D) => {
    setSaved(false);
    const answer = await store(changeOf(next));
    setLoaded({ phase: 'ready', answer });
    setDraft(draftOf(answer.settings));
    setSaved(true);
    setAttempted(false);
  });
  const change = (patch: Partial<D>): void => {
    setDraft((previous) => (previous === null ? previous : { ...previous, ...patch }));
    setSaved(false);
    save.clearError();
  };
  const submit = (event: FormEvent): void => {
    event.preventDefault();
    if (draft === null || save.busy) return;
    if (problemOf(draft) !== null) setAttempted(true);
    else void save.run(draft);
  };
  return { loaded, draft, saved, attempted, save, change, submit };
}
