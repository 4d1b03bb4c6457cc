/**
 * Italy's 21 regions and autonomous provinces, with the codes of the national open data
 * (`area` in platea.csv), which the registry's `region` column uses.
 */
export const REGIONS = {
  ABR: 'Abruzzo',
  BAS: 'Basilicata',
  CAL: 'Calabria',
  CAM: 'Campania',
  EMR: 'Emilia-Romagna',
  FVG: 'Friuli-Venezia Giulia',
  LAZ: 'Lazio',
  LIG: 'Liguria',
  LOM: 'Lombardia',
  MAR: 'Marche',
  MOL: 'Molise',
  PAB: 'Provincia autonoma di Bolzano',
  PAT: 'Provincia autonoma di Trento',
  PIE: 'Piemonte',
  PUG: 'Puglia',
  SAR: 'Sardegna',
  SIC: 'Sicilia',
  TOS: 'Toscana',
  UMB: 'Umbria',
  VDA: "Valle d'Aosta",
  VEN: 'Veneto',
} as const;

export type RegionCode = keyof typeof REGIONS;
export const isRegionCode = (s: string): s is RegionCode => Object.hasOwn(REGIONS, s);
