import { useId, useState } from 'react';
import type { ThemeChoice } from '../../../shared/domain/theme';
import type { Prefs } from '../../../shared/ipc/prefs-contract';
import { ErrorNote } from '../../app/error-note';
import { usePrefs } from '../../app/prefs-context';
import { ChoiceGroup, type Choice } from './choice-group';

const THEME_OPTIONS: readonly Choice<ThemeChoice>[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

const DENSITY_OPTIONS: readonly Choice<Prefs['density']>[] = [
  { value: 'compact', label: 'Compact' },
  { value: 'comfortable', label: 'Comfortable' },
];

/** Theme and row density: applied at once, saved for this workstation, followed by its other windows. */
export function AppearanceSection() {
  const { prefs, updatePrefs } = usePrefs();
  const [saveError, setSaveError] = useState<unknown>(null);
  const headingId = useId();

  const save = (change: Partial<Prefs>): void => {
    setSaveError(null);
    updatePrefs(change).catch((error: unknown) => setSaveError(error));
  };

  return (
    <section className="panel" aria-labelledby={headingId}>
      <h2 id={headingId}>Appearance</h2>
      <div className="settings-grid">
        <ChoiceGroup
          legend="Theme"
          name="theme"
          choices={THEME_OPTIONS}
          value={prefs.theme}
          description="System follows the light or dark setting of this computer."
          onChange={(theme) => save({ theme })}
        />
        <ChoiceGroup
          legend="Row density"
          name="density"
          choices={DENSITY_OPTIONS}
          value={prefs.density}
          description="Compact fits more rows on screen; comfortable suits touch screens."
          onChange={(density) => save({ density })}
        />
      </div>
      {saveError !== null && <ErrorNote error={saveError} what="Your choice could not be saved" />}
    </section>
  );
}
