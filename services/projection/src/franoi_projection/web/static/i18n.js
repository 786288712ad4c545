// Every string the pages show, in Italian (first) and English. Labels of indicators come
// from the API's catalogue, which holds both languages too.

export const STRINGS = {
  it: {
    "app.title": "Cruscotto della rete Fra Noi",
    "app.subtitle": "Consorzio Farsi Prossimo · monitoraggio dei partner",
    "skip": "Vai al contenuto",
    "lang.label": "Lingua",
    "lang.it": "Italiano",
    "lang.en": "English",
    "nav.label": "Sezioni del cruscotto",
    "nav.overview": "Numeri chiave",
    "nav.trends": "Andamento mensile",
    "nav.compare": "Partner e regioni",
    "nav.completeness": "Completezza dei dati",
    "axis.housing": "Casa",
    "axis.employment": "Lavoro",
    "axis.hosting": "Accoglienza in famiglia",
    "axis.events": "Eventi e comunità",
    "axis.cases": "Progetti individuali",
    "axis.referrals": "Invii tra partner",
    "axis.journeys": "Percorsi ed esiti",
    "nav.outcomes": "Percorsi ed esiti",
    "outcomes.title": "Percorsi ed esiti",
    "outcomes.intro": "I percorsi delle persone tra partner e assi, per pseudonimo: solo conteggi, mai un elenco di persone. Ogni esito è definito nel catalogo degli indicatori.",
    "outcomes.persons": "Persone al primo contatto nel periodo",
    "outcomes.median": "Tempo mediano dal primo contatto alla prima assunzione",
    "outcomes.quartiles": "Metà delle persone assunte, tra",
    "outcomes.hired": "Persone alla prima assunzione nel periodo",
    "outcomes.days": "{days} giorni",
    "outcomes.byAxes": "Persone per assi toccati dal percorso",
    "outcomes.axes": "Assi toccati",
    "outcomes.personsColumn": "Persone",
    "filters.title": "Filtri",
    "filters.from": "Dal mese",
    "filters.to": "Al mese",
    "filters.region": "Regione",
    "filters.partner": "Partner",
    "filters.allRegions": "Tutte le regioni",
    "filters.allPartners": "Tutti i partner",
    "filters.reset": "Reimposta i filtri",
    "filters.scope": "{scope} · da {from} a {to}",
    "scope.network": "Tutta la rete",
    "live.connecting": "Connessione agli aggiornamenti…",
    "live.on": "In diretta",
    "live.updated": "Aggiornato alle {time}",
    "live.lost": "Aggiornamenti interrotti, nuovo tentativo…",
    "login.title": "Accesso al cruscotto",
    "login.intro": "Il cruscotto è riservato al personale del consorzio. Incolla il token di accesso che ti è stato dato.",
    "login.provider": "Accedi con l'account del consorzio",
    "login.token": "Token di accesso",
    "login.submit": "Entra",
    "login.invalid": "Token non valido, scaduto o senza i permessi necessari.",
    "logout": "Esci",
    "loading": "Caricamento…",
    "error": "Impossibile caricare i dati: {message}",
    "empty": "Nessun dato per questi filtri.",
    "download.csv": "Scarica CSV",
    "download.xlsx": "Scarica XLSX",
    "download.of": "{what}: scarica come {format}",
    "download.failed": "Download non riuscito: {message}",
    "col.indicator": "Indicatore",
    "col.axis": "Asse",
    "col.value": "Valore",
    "col.month": "Mese",
    "col.partner": "Partner",
    "col.region": "Regione",
    "col.sex": "Sesso",
    "col.age_band": "Fascia d'età",
    "col.protection_status": "Protezione",
    "col.total": "Totale",
    "col.periodEnd": "A fine periodo",
    "col.lastEvent": "Ultimo evento",
    "overview.title": "Numeri chiave",
    "kpi.ratio": "{numerator} su {denominator}",
    "overview.intro": "I numeri che il progetto pubblica, per il periodo e l'ambito scelti.",
    "overview.table": "Tabella dei numeri chiave",
    "trends.title": "Andamento mensile",
    "trends.indicator": "Indicatore",
    "compare.title": "Partner e regioni a confronto",
    "compare.indicator": "Indicatore",
    "compare.byRegion": "Per regione",
    "compare.byPartner": "Per partner",
    "axis.title": "Asse: {axis}",
    "axis.by": "Suddividi per",
    "axis.none": "Nessun indicatore per questo asse.",
    "by.month": "mese",
    "by.partner": "partner",
    "by.region": "regione",
    "by.sex": "sesso",
    "by.age_band": "fascia d'età",
    "by.protection_status": "status di protezione",
    "completeness.title": "Completezza dei dati",
    "completeness.intro": "Per ogni partner e mese: ha registrato qualcosa su ciascun asse su cui lavora?",
    "completeness.silent": "Partner silenziosi nell'ultimo mese ({month})",
    "completeness.none": "Nessun partner silenzioso nell'ultimo mese.",
    "completeness.count": "{silent} partner su {total} non hanno registrato nulla su almeno uno dei loro assi.",
    "completeness.recorded": "registrato ({events} eventi)",
    "completeness.missing": "silenzioso",
    "completeness.legendRecorded": "✓ registrato",
    "completeness.legendSilent": "✗ silenzioso su ogni asse",
    "completeness.legendPartial": "2/3 registrato su 2 dei 3 assi del partner",
    "completeness.never": "mai",
    "completeness.silentAxes": "silenzioso su: {axes}",
    "completeness.allAxes": "registrato su tutti gli assi",
    "table.show": "Mostra la tabella",
    "chart.months": "Grafico a colonne: {title}. {summary}",
    "chart.bars": "Grafico a barre: {title}. {summary}",
    "chart.suppressed": "meno di 5",
    "unit.count": "numero",
    "unit.persons": "persone",
    "unit.households": "nuclei familiari",
    "unit.beds": "posti letto",
    "unit.rate": "percentuale",
    "unit.days": "giorni",
    "public.title": "I numeri della rete Fra Noi",
    "public.subtitle": "Rete nazionale di accoglienza diffusa per un'autonomia possibile",
    "public.intro": "43 partner in 10 regioni accompagnano verso l'autonomia le persone titolari di protezione internazionale che escono dall'accoglienza: casa, lavoro, accoglienza in famiglia.",
    "public.period": "Dati da {from} a {to}",
    "public.region": "Regione",
    "public.allRegions": "Tutta la rete",
    "public.note": "I numeri da 1 a 4 sono indicati come «<5», e non sono mostrati le quote né gli altri numeri da cui si potrebbero ricostruire: così nessuna persona è riconoscibile.",
    "public.footer": "Progetto finanziato dal Fondo Asilo, Migrazione e Integrazione (FAMI).",
  },
  en: {
    "app.title": "Fra Noi network dashboard",
    "app.subtitle": "Consorzio Farsi Prossimo · partner monitoring",
    "skip": "Skip to content",
    "lang.label": "Language",
    "lang.it": "Italiano",
    "lang.en": "English",
    "nav.label": "Dashboard sections",
    "nav.overview": "Key numbers",
    "nav.trends": "Monthly trends",
    "nav.compare": "Partners and regions",
    "nav.completeness": "Reporting completeness",
    "axis.housing": "Housing",
    "axis.employment": "Work",
    "axis.hosting": "Family hosting",
    "axis.events": "Community events",
    "axis.cases": "Individual plans",
    "axis.referrals": "Referrals between partners",
    "axis.journeys": "Journeys and outcomes",
    "nav.outcomes": "Journeys and outcomes",
    "outcomes.title": "Journeys and outcomes",
    "outcomes.intro": "Persons' journeys across partners and axes, by pseudonym: counts only, never a list of persons. Every outcome is defined in the indicator catalogue.",
    "outcomes.persons": "Persons at their first contact in the period",
    "outcomes.median": "Median time from first contact to first hire",
    "outcomes.quartiles": "Half of the persons hired, between",
    "outcomes.hired": "Persons hired for the first time in the period",
    "outcomes.days": "{days} days",
    "outcomes.byAxes": "Persons by the axes their journey touched",
    "outcomes.axes": "Axes touched",
    "outcomes.personsColumn": "Persons",
    "filters.title": "Filters",
    "filters.from": "From month",
    "filters.to": "To month",
    "filters.region": "Region",
    "filters.partner": "Partner",
    "filters.allRegions": "All regions",
    "filters.allPartners": "All partners",
    "filters.reset": "Reset filters",
    "filters.scope": "{scope} · {from} to {to}",
    "scope.network": "Whole network",
    "live.connecting": "Connecting to live updates…",
    "live.on": "Live",
    "live.updated": "Updated at {time}",
    "live.lost": "Live updates interrupted, retrying…",
    "login.title": "Sign in to the dashboard",
    "login.intro": "The dashboard is for consortium staff. Paste the access token you were given.",
    "login.provider": "Sign in with the consortium's account",
    "login.token": "Access token",
    "login.submit": "Sign in",
    "login.invalid": "The token is invalid, expired or lacks the required permissions.",
    "logout": "Sign out",
    "loading": "Loading…",
    "error": "Could not load the data: {message}",
    "empty": "No data for these filters.",
    "download.csv": "Download CSV",
    "download.xlsx": "Download XLSX",
    "download.of": "{what}: download as {format}",
    "download.failed": "Download failed: {message}",
    "col.indicator": "Indicator",
    "col.axis": "Axis",
    "col.value": "Value",
    "col.month": "Month",
    "col.partner": "Partner",
    "col.region": "Region",
    "col.sex": "Sex",
    "col.age_band": "Age band",
    "col.protection_status": "Protection",
    "col.total": "Total",
    "col.periodEnd": "At the end of the period",
    "col.lastEvent": "Last event",
    "overview.title": "Key numbers",
    "kpi.ratio": "{numerator} of {denominator}",
    "overview.intro": "The figures the project publishes, for the chosen period and scope.",
    "overview.table": "Key numbers table",
    "trends.title": "Monthly trends",
    "trends.indicator": "Indicator",
    "compare.title": "Partners and regions compared",
    "compare.indicator": "Indicator",
    "compare.byRegion": "By region",
    "compare.byPartner": "By partner",
    "axis.title": "Axis: {axis}",
    "axis.by": "Break down by",
    "axis.none": "No indicator for this axis.",
    "by.month": "month",
    "by.partner": "partner",
    "by.region": "region",
    "by.sex": "sex",
    "by.age_band": "age band",
    "by.protection_status": "protection status",
    "completeness.title": "Reporting completeness",
    "completeness.intro": "For each partner and month: did it record anything on each axis it works on?",
    "completeness.silent": "Partners silent in the last month ({month})",
    "completeness.none": "No partner was silent in the last month.",
    "completeness.count": "{silent} of {total} partners recorded nothing on at least one of their axes.",
    "completeness.recorded": "recorded ({events} events)",
    "completeness.missing": "silent",
    "completeness.legendRecorded": "✓ recorded",
    "completeness.legendSilent": "✗ silent on every axis",
    "completeness.legendPartial": "2/3 recorded on 2 of the partner's 3 axes",
    "completeness.never": "never",
    "completeness.silentAxes": "silent on: {axes}",
    "completeness.allAxes": "recorded on every axis",
    "table.show": "Show the table",
    "chart.months": "Column chart: {title}. {summary}",
    "chart.bars": "Bar chart: {title}. {summary}",
    "chart.suppressed": "fewer than 5",
    "unit.count": "count",
    "unit.persons": "persons",
    "unit.households": "households",
    "unit.beds": "beds",
    "unit.rate": "rate",
    "unit.days": "days",
    "public.title": "The Fra Noi network in numbers",
    "public.subtitle": "A national network of widespread reception for a possible autonomy",
    "public.intro": "43 partners in 10 regions help holders of international protection who leave reception reach autonomy: housing, work, hosting in families.",
    "public.period": "Data from {from} to {to}",
    "public.region": "Region",
    "public.allRegions": "Whole network",
    "public.note": "Numbers from 1 to 4 are shown as “<5”, and neither the rates nor the other numbers they could be recovered from are shown: so that no person can be recognised.",
    "public.footer": "Project funded by the Asylum, Migration and Integration Fund (AMIF).",
  },
};

export const LANGS = ["it", "en"];
const LANG_KEY = "franoi.lang";

export function savedLang() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (LANGS.includes(fromUrl)) return fromUrl;
  try {
    const saved = localStorage.getItem(LANG_KEY);
    if (LANGS.includes(saved)) return saved;
  } catch (_) { /* storage disabled: Italian */ }
  return "it";
}

export function saveLang(lang) {
  try { localStorage.setItem(LANG_KEY, lang); } catch (_) { /* not remembered */ }
}

export function t(lang, key, vars = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.it[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// Applies the dictionary to every element marked data-i18n (text) or data-i18n-<attr>.
export function translatePage(lang, root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(lang, el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-aria-label]")) {
    el.setAttribute("aria-label", t(lang, el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(lang, el.dataset.i18nTitle);
}

// Switches the page to a language: remembered, the page and its title translated, its
// language button pressed.
export function showInLang(lang, titleKey) {
  saveLang(lang);
  translatePage(lang);
  document.title = t(lang, titleKey);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
  }
}

export function monthName(lang, month, style = "long") {
  const [year, m] = month.split("-").map(Number);
  const date = new Date(Date.UTC(year, m - 1, 1));
  const options = style === "short"
    ? { month: "short", year: "2-digit", timeZone: "UTC" }
    : style === "month" ? { month: "short", timeZone: "UTC" }
      : { month: "long", year: "numeric", timeZone: "UTC" };
  return new Intl.DateTimeFormat(lang === "it" ? "it-IT" : "en-GB", options).format(date);
}
