/**
 * Municipalities and local health authorities (ASL, ATS, ASP, ULSS… — here all
 * called ASL) for the 21 region codes of data/italy/platea.csv.
 *
 * A handful of real municipalities per region stand for the whole region: each is
 * tagged with the authority that really serves it (as of 2021) and weighted by the
 * people it stands for — roughly the population of that authority's territory split
 * among its listed municipalities — so that citizens spread over authorities about as
 * they really do, not only over the capitals. A municipality served by several
 * authorities (Roma: RM1, RM2, RM3) appears once per authority.
 *
 * ASL codes are unique across Italy (a centre's catchment names them without the
 * region) and match `[A-Z0-9-]+`. `areaCode` is the landline trunk prefix, so that
 * the few landline numbers look local.
 */

export interface Place {
  readonly municipality: string;
  readonly asl: string;
  /** Thousands of residents this entry stands for. */
  readonly weight: number;
  /** Landline area code, with its leading 0. */
  readonly areaCode: string;
}

const p = (municipality: string, asl: string, weight: number, areaCode: string): Place => ({
  municipality,
  asl,
  weight,
  areaCode,
});

export const GEO: Readonly<Record<string, readonly Place[]>> = {
  ABR: [
    p("L'Aquila", 'ASL1-AQ', 140, '0862'),
    p('Avezzano', 'ASL1-AQ', 110, '0863'),
    p('Sulmona', 'ASL1-AQ', 50, '0864'),
    p('Chieti', 'ASL2-CH', 180, '0871'),
    p('Lanciano', 'ASL2-CH', 110, '0872'),
    p('Vasto', 'ASL2-CH', 90, '0873'),
    p('Pescara', 'ASL3-PE', 315, '085'),
    p('Teramo', 'ASL4-TE', 200, '0861'),
    p('Giulianova', 'ASL4-TE', 100, '085'),
  ],
  BAS: [
    p('Potenza', 'ASP-PZ', 200, '0971'),
    p('Melfi', 'ASP-PZ', 80, '0972'),
    p('Lauria', 'ASP-PZ', 70, '0973'),
    p('Matera', 'ASM-MT', 120, '0835'),
    p('Policoro', 'ASM-MT', 75, '0835'),
  ],
  CAL: [
    p('Cosenza', 'ASP-CS', 400, '0984'),
    p('Corigliano-Rossano', 'ASP-CS', 300, '0983'),
    p('Catanzaro', 'ASP-CZ', 220, '0961'),
    p('Lamezia Terme', 'ASP-CZ', 130, '0968'),
    p('Reggio di Calabria', 'ASP-RC', 530, '0965'),
    p('Crotone', 'ASP-KR', 170, '0962'),
    p('Vibo Valentia', 'ASP-VV', 155, '0963'),
  ],
  CAM: [
    p('Napoli', 'ASL-NA1', 950, '081'),
    p('Giugliano in Campania', 'ASL-NA2', 550, '081'),
    p('Pozzuoli', 'ASL-NA2', 500, '081'),
    p('Torre del Greco', 'ASL-NA3', 550, '081'),
    p('Castellammare di Stabia', 'ASL-NA3', 520, '081'),
    p('Salerno', 'ASL-SA', 700, '089'),
    p('Battipaglia', 'ASL-SA', 400, '0828'),
    p('Caserta', 'ASL-CE', 920, '0823'),
    p('Avellino', 'ASL-AV', 410, '0825'),
    p('Benevento', 'ASL-BN', 275, '0824'),
  ],
  EMR: [
    p('Bologna', 'AUSL-BO', 880, '051'),
    p('Imola', 'AUSL-IMOLA', 133, '0542'),
    p('Modena', 'AUSL-MO', 700, '059'),
    p('Parma', 'AUSL-PR', 450, '0521'),
    p("Reggio nell'Emilia", 'AUSL-RE', 530, '0522'),
    p('Piacenza', 'AUSL-PC', 285, '0523'),
    p('Ferrara', 'AUSL-FE', 345, '0532'),
    p('Ravenna', 'AUSL-ROMAGNA', 390, '0544'),
    p('Forlì', 'AUSL-ROMAGNA', 390, '0543'),
    p('Rimini', 'AUSL-ROMAGNA', 340, '0541'),
  ],
  FVG: [
    p('Trieste', 'ASUGI', 230, '040'),
    p('Gorizia', 'ASUGI', 140, '0481'),
    p('Udine', 'ASUFC', 400, '0432'),
    p('Tolmezzo', 'ASUFC', 130, '0433'),
    p('Pordenone', 'ASFO', 310, '0434'),
  ],
  LAZ: [
    p('Roma', 'RM1', 1000, '06'),
    p('Roma', 'RM2', 1300, '06'),
    p('Roma', 'RM3', 600, '06'),
    p('Civitavecchia', 'RM4', 320, '0766'),
    p('Tivoli', 'RM5', 500, '0774'),
    p('Velletri', 'RM6', 550, '06'),
    p('Latina', 'LT', 570, '0773'),
    p('Frosinone', 'FR', 480, '0775'),
    p('Viterbo', 'VT', 310, '0761'),
    p('Rieti', 'RI', 150, '0746'),
  ],
  LIG: [
    p('Genova', 'ASL3-GE', 710, '010'),
    p('Imperia', 'ASL1-IM', 110, '0183'),
    p('Sanremo', 'ASL1-IM', 100, '0184'),
    p('Savona', 'ASL2-SV', 275, '019'),
    p('Chiavari', 'ASL4-CHI', 145, '0185'),
    p('La Spezia', 'ASL5-SP', 215, '0187'),
  ],
  LOM: [
    p('Milano', 'ATS-MI', 3480, '02'),
    p('Varese', 'ATS-INS', 880, '0332'),
    p('Como', 'ATS-INS', 600, '031'),
    p('Sondrio', 'ATS-MON', 330, '0342'),
    p('Monza', 'ATS-BRI', 1200, '039'),
    p('Bergamo', 'ATS-BG', 1100, '035'),
    p('Brescia', 'ATS-BS', 1160, '030'),
    p('Cremona', 'ATS-VAP', 360, '0372'),
    p('Mantova', 'ATS-VAP', 410, '0376'),
    p('Pavia', 'ATS-PV', 540, '0382'),
  ],
  MAR: [
    p('Pesaro', 'ASUR-AV1', 360, '0721'),
    p('Ancona', 'ASUR-AV2', 470, '071'),
    p('Macerata', 'ASUR-AV3', 310, '0733'),
    p('Fermo', 'ASUR-AV4', 170, '0734'),
    p('Ascoli Piceno', 'ASUR-AV5', 205, '0736'),
  ],
  MOL: [
    p('Campobasso', 'ASREM', 110, '0874'),
    p('Termoli', 'ASREM', 90, '0875'),
    p('Isernia', 'ASREM', 70, '0865'),
    p('Venafro', 'ASREM', 30, '0865'),
  ],
  PAB: [
    p('Bolzano/Bozen', 'ASDAA', 230, '0471'),
    p('Merano/Meran', 'ASDAA', 140, '0473'),
    p('Bressanone/Brixen', 'ASDAA', 75, '0472'),
    p('Brunico/Bruneck', 'ASDAA', 80, '0474'),
    p('Vipiteno/Sterzing', 'ASDAA', 25, '0472'),
  ],
  PAT: [
    p('Trento', 'APSS', 200, '0461'),
    p('Rovereto', 'APSS', 130, '0464'),
    p('Pergine Valsugana', 'APSS', 80, '0461'),
    p('Riva del Garda', 'APSS', 80, '0464'),
    p('Cles', 'APSS', 60, '0463'),
  ],
  PIE: [
    p('Torino', 'ASL-CITTA-TO', 870, '011'),
    p('Collegno', 'ASL-TO3', 580, '011'),
    p('Ivrea', 'ASL-TO4', 510, '0125'),
    p('Moncalieri', 'ASL-TO5', 310, '011'),
    p('Cuneo', 'ASL-CN1', 590, '0171'),
    p('Alessandria', 'ASL-AL', 420, '0131'),
    p('Novara', 'ASL-NO', 345, '0321'),
    p('Asti', 'ASL-AT', 210, '0141'),
    p('Biella', 'ASL-BI', 175, '015'),
    p('Vercelli', 'ASL-VC', 170, '0161'),
  ],
  PUG: [
    p('Bari', 'ASL-BA', 800, '080'),
    p('Altamura', 'ASL-BA', 450, '080'),
    p('Barletta', 'ASL-BT', 390, '0883'),
    p('Brindisi', 'ASL-BR', 390, '0831'),
    p('Foggia', 'ASL-FG', 620, '0881'),
    p('Lecce', 'ASL-LE', 790, '0832'),
    p('Taranto', 'ASL-TA', 570, '099'),
  ],
  SAR: [
    p('Cagliari', 'ASSL-CA', 550, '070'),
    p('Sassari', 'ASSL-SS', 330, '079'),
    p('Olbia', 'ASSL-OL', 160, '0789'),
    p('Nuoro', 'ASSL-NU', 150, '0784'),
    p('Oristano', 'ASSL-OR', 155, '0783'),
    p('Carbonia', 'ASSL-CI', 125, '0781'),
    p('Sanluri', 'ASSL-SAN', 95, '070'),
    p('Lanusei', 'ASSL-LA', 55, '0782'),
  ],
  SIC: [
    p('Palermo', 'ASP-PA', 1240, '091'),
    p('Catania', 'ASP-CT', 1100, '095'),
    p('Messina', 'ASP-ME', 620, '090'),
    p('Agrigento', 'ASP-AG', 430, '0922'),
    p('Trapani', 'ASP-TP', 425, '0923'),
    p('Siracusa', 'ASP-SR', 395, '0931'),
    p('Ragusa', 'ASP-RG', 320, '0932'),
    p('Caltanissetta', 'ASP-CL', 260, '0934'),
    p('Enna', 'ASP-EN', 165, '0935'),
  ],
  TOS: [
    p('Firenze', 'USL-TC', 1000, '055'),
    p('Prato', 'USL-TC', 260, '0574'),
    p('Pistoia', 'USL-TC', 290, '0573'),
    p('Pisa', 'USL-NO', 420, '050'),
    p('Livorno', 'USL-NO', 330, '0586'),
    p('Lucca', 'USL-NO', 390, '0583'),
    p('Massa', 'USL-NO', 195, '0585'),
    p('Siena', 'USL-SE', 265, '0577'),
    p('Arezzo', 'USL-SE', 340, '0575'),
    p('Grosseto', 'USL-SE', 220, '0564'),
  ],
  UMB: [
    p('Perugia', 'USL-UMBRIA1', 350, '075'),
    p('Città di Castello', 'USL-UMBRIA1', 150, '075'),
    p('Terni', 'USL-UMBRIA2', 220, '0744'),
    p('Foligno', 'USL-UMBRIA2', 150, '0742'),
  ],
  VDA: [
    p('Aosta', 'USL-VDA', 70, '0165'),
    p('Châtillon', 'USL-VDA', 25, '0166'),
    p('Morgex', 'USL-VDA', 15, '0165'),
    p('Pont-Saint-Martin', 'USL-VDA', 15, '0125'),
  ],
  VEN: [
    p('Belluno', 'ULSS1', 200, '0437'),
    p('Treviso', 'ULSS2', 880, '0422'),
    p('Venezia', 'ULSS3', 620, '041'),
    p('San Donà di Piave', 'ULSS4', 215, '0421'),
    p('Rovigo', 'ULSS5', 235, '0425'),
    p('Padova', 'ULSS6', 935, '049'),
    p('Bassano del Grappa', 'ULSS7', 365, '0424'),
    p('Vicenza', 'ULSS8', 495, '0444'),
    p('Verona', 'ULSS9', 925, '045'),
  ],
};

/** The places of a region; throws for a code geo.ts does not know. */
export function placesOf(region: string): readonly Place[] {
  const places = GEO[region];
  if (places === undefined) throw new RangeError(`no municipalities for region ${region}`);
  return places;
}

/** The distinct ASL codes of a region with the residents (thousands) each serves, largest first. */
export function aslsOf(region: string): { asl: string; weight: number }[] {
  const byAsl = new Map<string, number>();
  for (const pl of placesOf(region)) byAsl.set(pl.asl, (byAsl.get(pl.asl) ?? 0) + pl.weight);
  return [...byAsl]
    .map(([asl, weight]) => ({ asl, weight }))
    .sort((x, y) => y.weight - x.weight || (x.asl < y.asl ? -1 : 1));
}
