import { unknownCharsetNote } from '../../../../shared/dicom/dicom-charset';
import type { ViewerStudy } from '../../../vault/imaging/study-instances';

/**
 * The study's notices of Specific Character Sets this build does not know (H6 s38 finding 6): one per
 * value, saying how many of the study's instances it concerns when not all of them.
 */
export function studyCharsetNotes(study: ViewerStudy): string[] {
  const instances = study.series.flatMap((series) => series.instances);
  const count = new Map<string, number>();
  for (const instance of instances) if (instance.unknownCharset !== undefined) count.set(instance.unknownCharset, (count.get(instance.unknownCharset) ?? 0) + 1);
  return [...count].map(([value, n]) => (n === instances.length ? unknownCharsetNote(value) : `${unknownCharsetNote(value)} It concerns ${n} of ${instances.length} instances.`));
}
