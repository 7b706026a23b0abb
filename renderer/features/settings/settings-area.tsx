import { AboutSection } from './about-section';
import { AppearanceSection } from './appearance-section';

export function SettingsArea() {
  return (
    <>
      <AppearanceSection />
      <AboutSection />
    </>
  );
}
