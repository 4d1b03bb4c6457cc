/**
 * Name lists for synthetic citizens: common Italian given names and surnames, German
 * ones for South Tyrol's German speakers, and a few English ones for foreign residents.
 *
 * The lists deliberately keep the forms that break careless code — apostrophes
 * (D'Angelo, Dell'Acqua, O'Brien), accents (Niccolò, Lucà, Zöggeler, Außerhofer),
 * compound given names (Maria Grazia, Gian Luca) and long surnames
 * (Tschurtschenthaler, Cannavacciuolo) — so that templates, SMS length checks and
 * CSV handling meet their worst cases in every test run. Uniform picks are enough:
 * frequency realism matters less here than variety.
 */

export const ITALIAN_MALE: readonly string[] = [
  'Giuseppe', 'Giovanni', 'Antonio', 'Mario', 'Luigi', 'Francesco', 'Angelo', 'Vincenzo', 'Pietro',
  'Salvatore', 'Carlo', 'Franco', 'Domenico', 'Bruno', 'Paolo', 'Michele', 'Giorgio', 'Aldo',
  'Sergio', 'Luciano', 'Roberto', 'Alessandro', 'Andrea', 'Marco', 'Luca', 'Matteo', 'Lorenzo',
  'Leonardo', 'Gabriele', 'Riccardo', 'Tommaso', 'Edoardo', 'Federico', 'Davide', 'Simone',
  'Stefano', 'Massimo', 'Fabio', 'Claudio', 'Maurizio', 'Daniele', 'Alberto', 'Enrico', 'Emanuele',
  'Nicola', 'Filippo', 'Giacomo', 'Mattia', 'Diego', 'Alessio', 'Christian', 'Manuel', 'Samuele',
  'Niccolò', 'Nicolò', 'Gianluca', 'Gian Luca', 'Pier Paolo', 'Gian Marco', 'Giancarlo', 'Gianni',
  'Raffaele', 'Gennaro', 'Ciro', 'Rocco', 'Carmine', 'Cosimo', 'Calogero', 'Gaetano', 'Biagio',
  'Pasquale', 'Saverio', 'Ignazio', 'Ottavio', 'Renato', 'Remo', 'Romano', 'Rosario', 'Sebastiano',
  'Silvio', 'Tiziano', 'Umberto', 'Valerio', 'Vittorio', 'Walter', 'Adriano', 'Alfredo', 'Arturo',
  'Attilio', 'Carmelo', 'Cesare', 'Corrado', 'Dario', 'Elia', 'Emilio', 'Enzo', 'Ettore', 'Fabrizio',
  'Fausto', 'Ferdinando', 'Flavio', 'Fernando', 'Gino', 'Giulio', 'Guido', 'Ivo', 'Lino', 'Livio',
  'Marcello', 'Mauro', 'Mirko', 'Nello', 'Oreste', 'Orazio', 'Osvaldo', 'Piero', 'Raimondo', 'Renzo',
  'Rino', 'Rodolfo', 'Ruggero', 'Sandro', 'Settimo', 'Severino', 'Tullio', 'Ugo', 'Vito', 'Agostino',
  'Amedeo', 'Antonino', 'Bartolomeo', 'Beniamino', 'Damiano', 'Donato', 'Elio', 'Ermanno', 'Ezio',
  'Felice', 'Gerardo', 'Giampiero', 'Girolamo', 'Italo', 'Jacopo', 'Lapo', 'Leone', 'Massimiliano',
  'Natale', 'Nazzareno', 'Nunzio', 'Oscar', 'Patrizio', 'Santo', 'Teodoro', 'Ilario', 'Noè',
];

export const ITALIAN_FEMALE: readonly string[] = [
  'Maria', 'Anna', 'Giuseppina', 'Rosa', 'Angela', 'Giovanna', 'Teresa', 'Lucia', 'Carmela',
  'Caterina', 'Francesca', 'Antonietta', 'Carla', 'Elena', 'Concetta', 'Rita', 'Margherita', 'Franca',
  'Paola', 'Laura', 'Giulia', 'Sofia', 'Aurora', 'Alice', 'Ginevra', 'Emma', 'Giorgia', 'Greta',
  'Beatrice', 'Chiara', 'Martina', 'Sara', 'Alessia', 'Federica', 'Valentina', 'Silvia', 'Elisa',
  'Claudia', 'Simona', 'Barbara', 'Monica', 'Roberta', 'Cristina', 'Daniela', 'Patrizia', 'Manuela',
  'Stefania', 'Sabrina', 'Raffaella', 'Antonella', 'Loredana', 'Tiziana', 'Donatella', 'Gabriella',
  'Graziella', 'Maria Grazia', 'Maria Teresa', 'Anna Maria', 'Maria Luisa', 'Rosaria', 'Assunta',
  'Immacolata', 'Filomena', 'Addolorata', 'Annunziata', 'Agata', 'Agnese', 'Ada', 'Adele', 'Alba',
  'Amalia', 'Arianna', 'Bianca', 'Benedetta', 'Camilla', 'Carolina', 'Cecilia', 'Clara', 'Costanza',
  'Debora', 'Diletta', 'Domenica', 'Elisabetta', 'Emilia', 'Enrica', 'Erica', 'Ester', 'Eugenia',
  'Fabiana', 'Fiorella', 'Flavia', 'Gemma', 'Gina', 'Gloria', 'Ida', 'Ilaria', 'Irene', 'Isabella',
  'Ivana', 'Lara', 'Letizia', 'Lidia', 'Liliana', 'Linda', 'Lisa', 'Livia', 'Luana', 'Luciana',
  'Luisa', 'Marta', 'Matilde', 'Melissa', 'Michela', 'Milena', 'Mirella', 'Nadia', 'Natalia',
  'Nicoletta', 'Noemi', 'Norma', 'Ornella', 'Paolina', 'Pietrina', 'Rachele', 'Rebecca', 'Renata',
  'Rossella', 'Sandra', 'Serena', 'Sonia', 'Susanna', 'Vanessa', 'Veronica', 'Vittoria', 'Viola',
  'Wanda', 'Zaira', 'Gavina', 'Tonina', 'Santina', 'Nunzia', 'Iolanda', 'Lorenza', 'Mariangela',
  'Zoè',
];

export const ITALIAN_SURNAMES: readonly string[] = [
  'Rossi', 'Russo', 'Ferrari', 'Esposito', 'Bianchi', 'Romano', 'Colombo', 'Ricci', 'Marino',
  'Greco', 'Bruno', 'Gallo', 'Conti', 'De Luca', 'Mancini', 'Costa', 'Giordano', 'Rizzo', 'Lombardi',
  'Moretti', 'Barbieri', 'Fontana', 'Santoro', 'Mariani', 'Rinaldi', 'Caruso', 'Ferrara', 'Galli',
  'Martini', 'Leone', 'Longo', 'Gentile', 'Martinelli', 'Vitale', 'Lombardo', 'Serra', 'Coppola',
  'De Santis', "D'Angelo", 'Marchetti', 'Parisi', 'Villa', 'Conte', 'Ferraro', 'Ferri', 'Fabbri',
  'Bianco', 'Marini', 'Grasso', 'Valentini', 'Messina', 'Sala', 'De Angelis', 'Gatti', 'Pellegrini',
  'Palumbo', 'Sanna', 'Farina', 'Rizzi', 'Monti', 'Cattaneo', 'Morelli', 'Amato', 'Silvestri', 'Mazza',
  'Testa', 'Grassi', 'Pellegrino', 'Carbone', 'Giuliani', 'Benedetti', 'Barone', 'Rossetti', 'Caputo',
  'Montanari', 'Guerra', 'Palmieri', 'Bernardi', 'Martino', 'Fiore', 'De Rosa', 'Ferretti', 'Bellini',
  'Basile', 'Riva', 'Donati', 'Piras', 'Vitali', 'Battaglia', 'Sartori', 'Neri', 'Costantini', 'Milani',
  'Pagano', 'Ruggiero', 'Sorrentino', "D'Amico", 'Orlando', 'Negri', 'Mantovani', 'Bassi',
  "Dell'Acqua", "Dell'Orto", "Dall'Ara", 'Lo Russo', 'La Rosa', 'Lo Presti', 'Di Stefano',
  'Di Giovanni', 'Di Pietro', 'De Simone', 'Del Vecchio', "D'Alessandro", "D'Onofrio", 'Lucà', 'Macrì',
  'Aricò', 'Zappalà', 'Nicolò', 'Mammì', 'Cannavacciuolo', 'Santangelo', 'Scognamiglio', 'Capozzi',
  'Iannone', 'Melis', 'Deiana', 'Pinna', 'Cossu', 'Mura', 'Fadda', 'Brambilla', 'Bonomi', 'Pozzi',
  'Zanetti', 'Zanella', 'Boscolo', 'Furlan', 'Sciortino', 'La Mantia', 'Licata', 'Bonanno', 'Tedesco',
  'Ventura', 'Longobardi', 'Di Maio', 'Perrone', 'Quaranta', 'Sabatini', 'Cirillo', 'Fumagalli',
  'Brunetti', 'Ricciardi', 'Ferrante', 'Marras', 'Calabrese', 'Mele', 'Zito', 'Bellomo',
  'Della Valle', "Sant'Elia",
];

export const GERMAN_MALE: readonly string[] = [
  'Thomas', 'Michael', 'Andreas', 'Stefan', 'Markus', 'Martin', 'Peter', 'Josef', 'Johann', 'Florian',
  'Lukas', 'Matthias', 'Manfred', 'Werner', 'Alois', 'Georg', 'Franz', 'Hubert', 'Christian', 'Daniel',
  'Simon', 'Hannes', 'Walter', 'Günther', 'Jakob', 'Anton', 'Alexander', 'Philipp', 'Tobias', 'Jonas',
  'Elias', 'Gabriel', 'Herbert', 'Helmut', 'Karl', 'Konrad', 'Leo', 'Maximilian', 'Paul', 'Sebastian',
  'Siegfried', 'Roland', 'Ulrich', 'Oswald', 'Hansjörg',
];

export const GERMAN_FEMALE: readonly string[] = [
  'Maria', 'Anna', 'Monika', 'Elisabeth', 'Barbara', 'Sabine', 'Christine', 'Martina', 'Petra',
  'Verena', 'Katharina', 'Theresia', 'Rosa', 'Johanna', 'Magdalena', 'Sophia', 'Lena', 'Julia',
  'Sarah', 'Andrea', 'Brigitte', 'Hildegard', 'Irmgard', 'Waltraud', 'Evi', 'Manuela', 'Hannah',
  'Laura', 'Lisa', 'Marlene', 'Notburga', 'Rosmarie', 'Sieglinde', 'Ulrike', 'Veronika', 'Gertraud',
  'Helga', 'Ingrid', 'Karin', 'Renate', 'Silvia', 'Stefanie', 'Annelies', 'Jasmin', 'Greta',
];

export const GERMAN_SURNAMES: readonly string[] = [
  'Gruber', 'Pichler', 'Hofer', 'Mair', 'Oberhofer', 'Kofler', 'Egger', 'Thaler', 'Unterhofer',
  'Plattner', 'Rainer', 'Ladurner', 'Gasser', 'Kaserer', 'Messner', 'Stuflesser', 'Pircher',
  'Schwienbacher', 'Innerhofer', 'Obkircher', 'Tschurtschenthaler', 'Niederkofler', 'Psenner',
  'Außerhofer', 'Mühlberger', 'Rieder', 'Steiner', 'Huber', 'Moser', 'Kerschbaumer', 'Prugger',
  'Tappeiner', 'Weger', 'Zöggeler', 'Wieser', 'Lanz', 'Mayr', 'Holzer', 'Brugger', 'Fischnaller',
  'Mitterhofer', 'Kaufmann', 'Pfeifer', 'Schölzhorn', 'Oberrauch', 'Frötscher', 'Ramoser', 'Vigl',
  'Unterkircher', 'Überbacher', 'Gamper', 'Lechner', 'Seebacher', 'Trafoier', 'Verdorfer',
  'Von Pföstl', 'Zelger', 'Amort', 'Burger', 'Walcher',
];

export const ENGLISH_MALE: readonly string[] = [
  'James', 'John', 'Robert', 'Michael', 'David', 'William', 'Richard', 'Thomas', 'Daniel', 'Matthew',
  'Oliver', 'Harry',
];

export const ENGLISH_FEMALE: readonly string[] = [
  'Mary', 'Sarah', 'Emily', 'Emma', 'Olivia', 'Jessica', 'Elizabeth', 'Hannah', 'Charlotte', 'Amelia',
  'Grace', 'Siobhan',
];

export const ENGLISH_SURNAMES: readonly string[] = [
  'Smith', 'Johnson', 'Brown', 'Taylor', 'Wilson', 'Evans', 'Walker', "O'Brien", 'Thompson', 'Murphy',
  'Williams', 'Davies', 'Campbell', "O'Connor", 'Robinson', 'Clarke',
];

/** Street names for centre addresses. */
export const STREETS: readonly string[] = [
  'Via Roma', 'Via Giuseppe Garibaldi', 'Via Giuseppe Mazzini', 'Via Camillo Benso di Cavour',
  'Corso Italia', 'Via XX Settembre', 'Viale della Repubblica', 'Via Vittorio Emanuele II',
  'Piazza del Popolo', 'Via IV Novembre', 'Viale Europa', 'Via Dante Alighieri', 'Via Aldo Moro',
  'Via della Stazione', 'Via San Francesco', "Via dell'Ospedale", 'Via Enrico Fermi',
  'Via Alessandro Manzoni', 'Largo Antonio Gramsci', 'Via Giacomo Matteotti', 'Via Nazionale',
  'Viale dello Sport', 'Via della Fiera', "Via Sant'Antonio", 'Piazza Martiri della Libertà',
];
