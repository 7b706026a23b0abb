import { ComingLaterPanel } from '../../app/layout/coming-later-panel';

export function DevicesArea() {
  return (
    <ComingLaterPanel>
      <p>
        Devices will show the medical devices connected to this workstation over serial lines (IEEE 11073) and the
        readings they send.
      </p>
      <p>
        Readings are sealed into the vault as they arrive, and a reading sent twice (same device, time and measurement
        code) is stored only once.
      </p>
    </ComingLaterPanel>
  );
}
