import { ComingLaterPanel } from '../../app/layout/coming-later-panel';

export function ImagingArea() {
  return (
    <ComingLaterPanel>
      <p>
        Imaging will list the DICOM studies that modalities and PACS send to this node, grouped by patient and study.
      </p>
      <p>
        Each study is sealed into the encrypted vault as it arrives, even while the vault is locked, and an image
        received twice is recognized by its SOP Instance UID and stored only once.
      </p>
    </ComingLaterPanel>
  );
}
