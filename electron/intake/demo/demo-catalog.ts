/**
 * Word lists for the synthetic population: names from several European and other locales, many
 * with diacritics, so search is exercised the way a real clinic's patient list would exercise it.
 * All combinations are random; any likeness to a real person is chance.
 */
export const FAMILY_NAMES = [
  'Müller', 'Schäfer', 'Größmann', 'Köhler', 'Weiß', 'Dvořák', 'Novák', 'Svobodová', 'Nowak', 'Wiśniewski',
  'Łukasiewicz', 'Kowalczyk', 'García', 'Martínez', 'Núñez', 'Peña', 'Ibáñez', 'Lefèvre', 'Girard', 'Bérubé',
  'Gauthier', 'Benoît', 'Øvergaard', 'Åkesson', 'Sørensen', 'Ólafsdóttir', 'Þórsson', 'Yılmaz', 'Öztürk', 'Çelik',
  'Nguyễn', 'Trần', 'Phạm', 'Kovács', 'Szabó', 'Tóth', 'Horváth', 'Rossi', 'Bianchi', 'Esposito', 'Conti',
  'Smith', 'Johnson', 'Brown', 'Wilson', 'Taylor', 'Okafor', 'Adeyemi', 'Mensah', 'Haddad', 'Khoury', 'Sato',
  'Tanaka', 'Kim', 'Park', 'Santos', 'Gonçalves', 'Araújo', 'Popescu', 'Ionescu', 'Petrović', 'Jovanović',
] as const;

export const GIVEN_NAMES_F = [
  'Anna', 'Zoë', 'Chloé', 'Léa', 'Inès', 'Noémie', 'Renée', 'Sofía', 'María', 'Lucía', 'Márta', 'Zsófia',
  'Agnieszka', 'Małgorzata', 'Kateřina', 'Jana', 'Åsa', 'Ingrid', 'Björk', 'Elif', 'Ayşe', 'Thị Hương', 'Mai',
  'Giulia', 'Francesca', 'Emily', 'Grace', 'Amara', 'Chiamaka', 'Layla', 'Yuki', 'Ji-woo', 'Beatriz', 'Ioana',
] as const;

export const GIVEN_NAMES_M = [
  'Jürgen', 'Lukas', 'Jörg', 'Björn', 'Søren', 'Håkon', 'José', 'Andrés', 'Tomáš', 'Jiří', 'Paweł', 'Łukasz',
  'François', 'Jérôme', 'Gaël', 'Zoltán', 'Ádám', 'Mehmet', 'Emre', 'Văn Minh', 'Đức', 'Marco', 'Luca', 'James',
  'Oliver', 'Chukwuemeka', 'Kwame', 'Karim', 'Hiroshi', 'Min-jun', 'João', 'Andrei', 'Nikola', 'Ólafur',
] as const;

export const CITIES = [
  ['Zürich', 'CH'], ['München', 'DE'], ['Köln', 'DE'], ['Brno', 'CZ'], ['Łódź', 'PL'], ['Kraków', 'PL'],
  ['Málaga', 'ES'], ['A Coruña', 'ES'], ['Besançon', 'FR'], ['Orléans', 'FR'], ['Tromsø', 'NO'], ['Malmö', 'SE'],
  ['Reykjavík', 'IS'], ['İzmir', 'TR'], ['Pécs', 'HU'], ['Genève', 'CH'], ['São Paulo', 'BR'], ['Iași', 'RO'],
] as const;

export const STREETS = ['Hauptstraße', 'Rue de la Paix', 'Calle Mayor', 'Ulica Długa', 'Storgata', 'Via Roma', 'Main Street', 'Náměstí Míru'] as const;

export const DOCTORS = ['Dr. Ana Petrović', 'Dr. Jonas Weiß', 'Dr. Léa Girard', 'Dr. Kwame Mensah', 'Dr. Yuki Tanaka', 'Dr. Tomás Núñez'] as const;

export const LOCATIONS = ['Cardiology 2B', 'Internal Medicine 3A', 'Emergency', 'Outpatient Clinic', 'Endocrinology', 'Nephrology 4C'] as const;

export const VISIT_REASONS = [
  'Chest pain', 'Shortness of breath', 'Routine check-up', 'Diabetes follow-up', 'Hypertension control',
  'Fever and cough', 'Abdominal pain', 'Renal function review', 'Pre-operative assessment', 'Dizziness',
] as const;

/** LOINC-coded laboratory tests with a plausible mean, spread, unit and reference range. */
/**
 * ICD-10 diagnoses of the demo's admissions (DG1, final), one per patient, chosen by the patient's
 * number rather than the random stream, so every other generated value stays as it was.
 */
export const DIAGNOSES = [
  { code: 'E11.9', display: 'Type 2 diabetes mellitus without complications' },
  { code: 'I10', display: 'Essential (primary) hypertension' },
  { code: 'J45.909', display: 'Unspecified asthma, uncomplicated' },
  { code: 'E78.5', display: 'Hyperlipidemia, unspecified' },
  { code: 'N18.30', display: 'Chronic kidney disease, stage 3 unspecified' },
  { code: 'K21.9', display: 'Gastro-esophageal reflux disease without esophagitis' },
  { code: 'F32.9', display: 'Major depressive disorder, single episode, unspecified' },
] as const;

export const LAB_TESTS = [
  { code: '2345-7', display: 'Glucose [Mass/volume] in Serum or Plasma', mean: 100, sd: 25, unit: 'mg/dL', low: 70, high: 99, decimals: 0 },
  { code: '718-7', display: 'Hemoglobin [Mass/volume] in Blood', mean: 13.8, sd: 1.6, unit: 'g/dL', low: 12, high: 17.5, decimals: 1 },
  { code: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma', mean: 1.0, sd: 0.35, unit: 'mg/dL', low: 0.6, high: 1.3, decimals: 2 },
  { code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma', mean: 4.3, sd: 0.5, unit: 'mmol/L', low: 3.5, high: 5.1, decimals: 1 },
  { code: '2951-2', display: 'Sodium [Moles/volume] in Serum or Plasma', mean: 140, sd: 3.5, unit: 'mmol/L', low: 136, high: 145, decimals: 0 },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', mean: 6.0, sd: 1.1, unit: '%', low: 4, high: 5.6, decimals: 1 },
  { code: '6690-2', display: 'Leukocytes [#/volume] in Blood by Automated count', mean: 7.5, sd: 2.5, unit: '10*3/uL', low: 4.5, high: 11, decimals: 1 },
  { code: '777-3', display: 'Platelets [#/volume] in Blood by Automated count', mean: 250, sd: 60, unit: '10*3/uL', low: 150, high: 400, decimals: 0 },
  { code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma', mean: 195, sd: 38, unit: 'mg/dL', low: 0, high: 200, decimals: 0 },
  { code: '1988-5', display: 'C reactive protein [Mass/volume] in Serum or Plasma', mean: 6, sd: 9, unit: 'mg/L', low: 0, high: 10, decimals: 1 },
] as const;

/** LOINC-coded vital signs. */
export const VITAL_SIGNS = [
  { code: '8867-4', display: 'Heart rate', mean: 76, sd: 12, unit: '/min', low: 60, high: 100, decimals: 0 },
  { code: '8480-6', display: 'Systolic blood pressure', mean: 128, sd: 17, unit: 'mm[Hg]', low: 90, high: 139, decimals: 0 },
  { code: '8462-4', display: 'Diastolic blood pressure', mean: 80, sd: 10, unit: 'mm[Hg]', low: 60, high: 89, decimals: 0 },
  { code: '8310-5', display: 'Body temperature', mean: 36.9, sd: 0.6, unit: 'Cel', low: 36.1, high: 37.5, decimals: 1 },
  { code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry', mean: 96.5, sd: 2, unit: '%', low: 95, high: 100, decimals: 0 },
  { code: '9279-1', display: 'Respiratory rate', mean: 16, sd: 3, unit: '/min', low: 12, high: 20, decimals: 0 },
  { code: '29463-7', display: 'Body weight', mean: 76, sd: 16, unit: 'kg', low: 0, high: 1000, decimals: 1 },
] as const;
