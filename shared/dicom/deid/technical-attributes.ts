/**
 * The public attributes Table E.1-1 does not list that a de-identified instance keeps.
 *
 * PS3.15 E.1.1 lets a de-identifier keep what the table does not name, but a data set can carry
 * any attribute of PS3.6, and a free-text one the table misses (a new one, a retired one, one
 * misused by a modality) would leak. So this implementation keeps an attribute the table does not
 * list only if it is named here: the technical description of the image (SOP Common's class and
 * character set, the General/Image Plane/Image Pixel/VOI LUT modules, CT and MR acquisition
 * parameters, the Code Sequence Macro's coded values) and nothing free-text. Everything else the
 * table does not list is removed, and the count is reported.
 *
 * Each entry carries its PS3.6 VR so that an implicit VR data set is read correctly.
 */
export const TECHNICAL_ATTRIBUTES: ReadonlyMap<number, { readonly name: string; readonly vr: string }> = new Map(
  (
    [
      // SOP Common, General Image/Series (PS3.3 C.12.1, C.7.3.1, C.7.6.1)
      [0x00080005, 'Specific Character Set', 'CS'],
      [0x00080008, 'Image Type', 'CS'],
      [0x00080016, 'SOP Class UID', 'UI'],
      [0x00080060, 'Modality', 'CS'],
      [0x00080064, 'Conversion Type', 'CS'],
      [0x00080068, 'Presentation Intent Type', 'CS'],
      [0x00080070, 'Manufacturer', 'LO'],
      [0x00081090, "Manufacturer's Model Name", 'LO'],
      [0x00081150, 'Referenced SOP Class UID', 'UI'],
      [0x00082218, 'Anatomic Region Sequence', 'SQ'],
      [0x00180015, 'Body Part Examined', 'CS'],
      [0x00185100, 'Patient Position', 'CS'],
      [0x00200011, 'Series Number', 'IS'],
      [0x00200012, 'Acquisition Number', 'IS'],
      [0x00200013, 'Instance Number', 'IS'],
      [0x00200020, 'Patient Orientation', 'CS'],
      [0x00200060, 'Laterality', 'CS'],
      [0x00200062, 'Image Laterality', 'CS'],
      [0x00209057, 'In-Stack Position Number', 'UL'],
      // Code Sequence Macro (PS3.3 Table 8.8-1): coded values, no free text
      [0x00080100, 'Code Value', 'SH'],
      [0x00080102, 'Coding Scheme Designator', 'SH'],
      [0x00080103, 'Coding Scheme Version', 'SH'],
      [0x00080104, 'Code Meaning', 'LO'],
      [0x00080119, 'Long Code Value', 'UC'],
      [0x00080120, 'URN Code Value', 'UR'],
      // Image Plane (PS3.3 C.7.6.2)
      [0x00180050, 'Slice Thickness', 'DS'],
      [0x00180088, 'Spacing Between Slices', 'DS'],
      [0x00200032, 'Image Position (Patient)', 'DS'],
      [0x00200037, 'Image Orientation (Patient)', 'DS'],
      [0x00201041, 'Slice Location', 'DS'],
      [0x00280030, 'Pixel Spacing', 'DS'],
      // Image Pixel, Multi-frame, Modality and VOI LUT (PS3.3 C.7.6.3, C.7.6.6, C.11.1, C.11.2)
      [0x00280002, 'Samples per Pixel', 'US'],
      [0x00280004, 'Photometric Interpretation', 'CS'],
      [0x00280006, 'Planar Configuration', 'US'],
      [0x00280008, 'Number of Frames', 'IS'],
      [0x00280009, 'Frame Increment Pointer', 'AT'],
      [0x00280010, 'Rows', 'US'],
      [0x00280011, 'Columns', 'US'],
      [0x00280034, 'Pixel Aspect Ratio', 'IS'],
      [0x00280100, 'Bits Allocated', 'US'],
      [0x00280101, 'Bits Stored', 'US'],
      [0x00280102, 'High Bit', 'US'],
      [0x00280103, 'Pixel Representation', 'US'],
      [0x00280106, 'Smallest Image Pixel Value', 'US'],
      [0x00280107, 'Largest Image Pixel Value', 'US'],
      [0x00280301, 'Burned In Annotation', 'CS'],
      [0x00280302, 'Recognizable Visual Features', 'CS'],
      [0x00281040, 'Pixel Intensity Relationship', 'CS'],
      [0x00281041, 'Pixel Intensity Relationship Sign', 'SS'],
      [0x00281050, 'Window Center', 'DS'],
      [0x00281051, 'Window Width', 'DS'],
      [0x00281052, 'Rescale Intercept', 'DS'],
      [0x00281053, 'Rescale Slope', 'DS'],
      [0x00281054, 'Rescale Type', 'LO'],
      [0x00281101, 'Red Palette Color Lookup Table Descriptor', 'US'],
      [0x00281102, 'Green Palette Color Lookup Table Descriptor', 'US'],
      [0x00281103, 'Blue Palette Color Lookup Table Descriptor', 'US'],
      [0x00281201, 'Red Palette Color Lookup Table Data', 'OW'],
      [0x00281202, 'Green Palette Color Lookup Table Data', 'OW'],
      [0x00281203, 'Blue Palette Color Lookup Table Data', 'OW'],
      [0x00282110, 'Lossy Image Compression', 'CS'],
      [0x00282112, 'Lossy Image Compression Ratio', 'DS'],
      [0x00282114, 'Lossy Image Compression Method', 'CS'],
      [0x00283000, 'Modality LUT Sequence', 'SQ'],
      [0x00283002, 'LUT Descriptor', 'US'],
      [0x00283004, 'Modality LUT Type', 'LO'],
      [0x00283006, 'LUT Data', 'US'],
      [0x00283010, 'VOI LUT Sequence', 'SQ'],
      [0x7fe00008, 'Float Pixel Data', 'OF'],
      [0x7fe00009, 'Double Float Pixel Data', 'OD'],
      [0x7fe00010, 'Pixel Data', 'OW'],
      // CT Image (PS3.3 C.8.2.1)
      [0x00180022, 'Scan Options', 'CS'],
      [0x00180060, 'KVP', 'DS'],
      [0x00180090, 'Data Collection Diameter', 'DS'],
      [0x00181100, 'Reconstruction Diameter', 'DS'],
      [0x00181120, 'Gantry/Detector Tilt', 'DS'],
      [0x00181130, 'Table Height', 'DS'],
      [0x00181140, 'Rotation Direction', 'CS'],
      [0x00181150, 'Exposure Time', 'IS'],
      [0x00181151, 'X-Ray Tube Current', 'IS'],
      [0x00181152, 'Exposure', 'IS'],
      [0x00181160, 'Filter Type', 'SH'],
      [0x00181210, 'Convolution Kernel', 'SH'],
      // MR Image (PS3.3 C.8.3.1)
      [0x00180020, 'Scanning Sequence', 'CS'],
      [0x00180021, 'Sequence Variant', 'CS'],
      [0x00180023, 'MR Acquisition Type', 'CS'],
      [0x00180080, 'Repetition Time', 'DS'],
      [0x00180081, 'Echo Time', 'DS'],
      [0x00180082, 'Inversion Time', 'DS'],
      [0x00180083, 'Number of Averages', 'DS'],
      [0x00180084, 'Imaging Frequency', 'DS'],
      [0x00180085, 'Imaged Nucleus', 'SH'],
      [0x00180086, 'Echo Numbers(s)', 'IS'],
      [0x00180087, 'Magnetic Field Strength', 'DS'],
      [0x00180091, 'Echo Train Length', 'IS'],
      [0x00180095, 'Pixel Bandwidth', 'DS'],
      [0x00181314, 'Flip Angle', 'DS'],
      // General Acquisition timing that carries no date (PS3.3 C.7.6.1)
      [0x00181060, 'Trigger Time', 'DS'],
    ] as const
  ).map(([tag, name, vr]) => [tag, { name, vr }]),
);
