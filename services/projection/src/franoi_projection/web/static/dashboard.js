// The consortium's dashboard: reads the network API (docs/network-views.md) with the
// analyst's token, draws the key numbers, trends, comparisons, axis pages and reporting
// completeness, and refetches when the projection reports new events.
import { barChart, columnChart, keyNumberCards } from "./charts.js";
import { monthName, savedLang, showInLang, t } from "./i18n.js";
import { monthPicker } from "./monthpicker.js";
import { renderReporting } from "./reporting.js";

const AXES = ["housing", "employment", "hosting", "events", "cases", "referrals"];
// The outcome indicators of the pseudonymous journeys: a group of their own, not an axis
// partners work on.
const OUTCOMES = "journeys";
const KPI_GROUPS = [...AXES, OUTCOMES];
const BREAKDOWNS = ["month", "sex", "age_band", "protection_status"];
const TOKEN_KEY = "franoi.token";
const FILTERS_KEY = "franoi.filters";

const state = {
  lang: savedLang(),
  token: null,
  partners: [],
  indicators: [],
  filters: { from: "", to: "", region: "", partner_id: "" },
  trendIndicator: null,
  compareIndicator: null,
  axisBy: {},
  generation: 0,
  stream: null,
  csrf: null,
};

const $ = (selector) => document.querySelector(selector);
const tr = (key, vars) => t(state.lang, key, vars);

class AuthError extends Error {}

// ---------------------------------------------------------------- helpers

function el(name, attrs = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function currentMonth(offset = 0) {
  const now = new Date();
  const date = new Date(now.getFullYear(), now.getMonth() + offset, 1);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`;
}

function params(extra = {}, { partner = true } = {}) {
  const { from, to, region, partner_id: partnerId } = state.filters;
  const result = { from, to, region, lang: state.lang, ...extra };
  if (partner) result.partner_id = partnerId;
  return result;
}

function apiUrl(path, query) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

// Signed in with the identity provider, the page holds no token: the session cookie
// (kept by the server, HttpOnly) authorises the reads, and a step (POST, PUT) also carries
// the session's own token in X-CSRF-Token (another site can neither read nor send it).
const SESSION = "(session)";

async function request(path, query = {}, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (state.token !== SESSION) headers.Authorization = `Bearer ${state.token}`;
  else if (method !== "GET" && state.csrf) headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(apiUrl(path, query), {
    method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) throw new AuthError(tr("login.invalid"));
  if (!response.ok) {
    const problem = await response.json().catch(() => ({}));
    if (response.status === 403) throw new AuthError(tr("login.invalid"));
    throw new Error(problem.detail || problem.title || `${response.status} ${response.statusText}`);
  }
  return response;
}

async function api(path, query = {}) {
  return (await request(path, query)).json();
}

// A step (POST, PUT) with a JSON body: the API's answer, if any.
async function send(method, path, body) {
  const response = await request(path, {}, { method, body });
  return response.status === 204 ? null : response.json();
}

function indicator(id) {
  return state.indicators.find((item) => item.id === id);
}

function indicatorLabel(item) {
  return item.label?.[state.lang] ?? item.label?.it ?? item.id;
}

function monthLabel(month) {
  return monthName(state.lang, month);
}

function keyLabel(by, row) {
  if (by === "month" && /^\d{4}-\d{2}$/.test(row.key)) return monthLabel(row.key);
  return row.label ?? row.key;
}

// A link to the API's export; a click fetches it with the token (a plain link cannot send
// the Authorization header) and saves it under the server's file name.
function downloads(what, path, query) {
  const links = ["csv", "xlsx"].map((format) => {
    const href = apiUrl(path, { ...query, format, lang: state.lang });
    return el("a", {
      href: href.pathname + href.search,
      class: "download",
      "data-format": format,
      "aria-label": tr("download.of", { what, format: format.toUpperCase() }),
      onclick: (event) => {
        event.preventDefault();
        save(href).catch((error) => showError(tr("download.failed", { message: error.message })));
      },
    }, tr(`download.${format}`));
  });
  return el("p", { class: "downloads" }, links);
}

async function save(url) {
  const response = await request(url.pathname, Object.fromEntries(url.searchParams));
  const disposition = response.headers.get("Content-Disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  const name = match ? decodeURIComponent(match[1]) : `franoi.${url.searchParams.get("format")}`;
  const blob = await response.blob();
  const link = el("a", { href: URL.createObjectURL(blob), download: name, hidden: true });
  document.body.append(link);
  link.click();
  setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 10000);
}

function table({ caption, columns, rows, total, totalLabel = tr("col.total") }) {
  const head = el("tr", {}, columns.map((column) =>
    el("th", { scope: "col", class: column.numeric ? "num" : undefined }, column.label)));
  const body = rows.map((row) => el("tr", {}, columns.map((column, i) => {
    const cell = column.cell ? column.cell(row) : row[column.key];
    const attrs = { class: column.numeric ? "num" : undefined };
    return i === 0 ? el("th", { scope: "row", ...attrs }, cell) : el("td", attrs, cell);
  })));
  const foot = total ? el("tfoot", {}, el("tr", {}, columns.map((column, i) =>
    i === 0 ? el("th", { scope: "row" }, totalLabel)
      : el("td", { class: column.numeric ? "num" : undefined }, i === columns.length - 1 ? total.display : "")))) : null;
  return el("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    el("table", {}, el("caption", {}, caption), el("thead", {}, head), el("tbody", {}, body), foot));
}

function select({ id, label, options, value, onchange }) {
  return el("div", { class: "field" },
    el("label", { for: id }, label),
    el("select", { id, onchange: (event) => onchange(event.target.value) },
      options.map((option) => el("option", { value: option.value, selected: option.value === value }, option.label))));
}

function showError(message) {
  $("#error").textContent = message;
}

// ---------------------------------------------------------------- views

const VIEWS = {
  overview: renderOverview,
  trends: renderTrends,
  compare: renderCompare,
  completeness: renderCompleteness,
  outcomes: renderOutcomes,
  reporting: () => renderReporting({
    el, api, send, table, save, apiUrl, monthPicker, monthName, tr, lang: state.lang,
    writes: state.token !== SESSION || Boolean(state.csrf), redraw: () => refresh(),
  }),
};
// The sections that read the network's figures with the filters (reporting has its own).
const FILTERED = (name) => name !== "reporting";

function viewNamed(name) {
  if (name in VIEWS) return { name, render: VIEWS[name] };
  const axis = name.startsWith("axis-") ? name.slice(5) : null;
  if (AXES.includes(axis)) return { name, render: () => renderAxis(axis) };
  return null;
}

// The section in the address (#trends, #axis-housing...); another fragment keeps the
// section shown.
function currentView() {
  const view = viewNamed(location.hash.replace(/^#/, ""));
  if (view) state.view = view.name;
  return view ?? viewNamed(state.view ?? "overview");
}

function navItems() {
  return [
    ["overview", tr("nav.overview")],
    ["trends", tr("nav.trends")],
    ["compare", tr("nav.compare")],
    ...AXES.map((axis) => [`axis-${axis}`, tr(`axis.${axis}`)]),
    ["outcomes", tr("nav.outcomes")],
    ["completeness", tr("nav.completeness")],
    ["reporting", tr("nav.reporting")],
  ];
}

function renderNav() {
  const active = currentView().name;
  $("#nav").replaceChildren(...navItems().map(([name, label]) =>
    el("li", {}, el("a", { href: `#${name}`, "aria-current": name === active ? "page" : undefined }, label))));
}

async function renderOverview() {
  const data = await api("/v1/network/key-numbers", params());
  return [
    el("h2", {}, tr("overview.title")),
    el("p", { class: "intro" }, tr("overview.intro")),
    keyNumberCards(data.rows, {
      axes: KPI_GROUPS,
      axisName: (axis) => (KPI_GROUPS.includes(axis) ? tr(`axis.${axis}`) : axis),
      ratio: (numerator, denominator) => tr("kpi.ratio", { numerator: number(numerator), denominator: number(denominator) }),
    }),
    table({
      caption: tr("overview.table"),
      columns: [
        { label: tr("col.indicator"), key: "label" },
        { label: tr("col.axis"), cell: (row) => (KPI_GROUPS.includes(row.axis) ? tr(`axis.${row.axis}`) : row.axis) },
        { label: tr("col.value"), key: "display", numeric: true },
      ],
      rows: KPI_GROUPS.flatMap((axis) => data.rows.filter((row) => row.axis === axis))
        .concat(data.rows.filter((row) => !KPI_GROUPS.includes(row.axis))),
    }),
    downloads(tr("overview.table"), "/v1/network/key-numbers", params()),
  ];
}

function indicatorOptions(by) {
  return state.indicators
    .filter((item) => !by || item.disaggregations.some((d) => by.includes(d)))
    .map((item) => ({ value: item.id, label: indicatorLabel(item) }));
}

function number(value) {
  return new Intl.NumberFormat(state.lang === "it" ? "it-IT" : "en-GB").format(value);
}

function chartFor(by, title, data, rate) {
  const items = data.rows.map((row) => ({
    label: keyLabel(by, row),
    short: by === "month" ? monthName(state.lang, row.key, "month") : undefined,
    year: by === "month" ? row.key.slice(0, 4) : undefined,
    value: row.value,
    display: row.display,
  }));
  if (by === "month") {
    return columnChart({ title, items, rate, describe: (summary) => tr("chart.months", { title, summary }) });
  }
  items.sort((a, b) => (b.value ?? 0) - (a.value ?? 0));
  return barChart({ title, items, rate, describe: (summary) => tr("chart.bars", { title, summary }) });
}

function indicatorTable(by, title, data, item) {
  // A stock (units available, households housed...) is not summed: its total is the value
  // at the end of the period.
  return table({
    totalLabel: item.stock && by === "month" ? tr("col.periodEnd") : tr("col.total"),
    caption: title,
    columns: [
      { label: tr(`col.${by}`), cell: (row) => keyLabel(by, row) },
      { label: tr("col.value"), key: "display", numeric: true },
    ],
    rows: data.rows,
    total: data.total,
  });
}

async function indicatorBlock(item, by, { open = true, title: heading } = {}) {
  const path = `/v1/network/indicators/${encodeURIComponent(item.id)}/table`;
  const query = params({ by });
  const data = await api(path, query);
  const title = `${indicatorLabel(item)} · ${tr(`by.${by}`)}`;
  const tableNode = indicatorTable(by, title, data, item);
  return el("section", { class: "card indicator", "data-indicator": item.id },
    el("h3", {}, heading ?? indicatorLabel(item)),
    el("p", { class: "description" }, heading ? indicatorLabel(item) : item.description?.[state.lang] ?? ""),
    data.rows.length ? chartFor(by, title, data, item.unit === "rate") : el("p", {}, tr("empty")),
    open ? tableNode : el("details", {}, el("summary", {}, tr("table.show")), tableNode),
    downloads(title, path, query));
}

async function renderTrends() {
  const options = indicatorOptions(["month"]);
  if (!options.some((o) => o.value === state.trendIndicator)) state.trendIndicator = options[0]?.value;
  const controls = select({
    id: "trend-indicator", label: tr("trends.indicator"), options, value: state.trendIndicator,
    onchange: (value) => { state.trendIndicator = value; refresh(); },
  });
  const item = indicator(state.trendIndicator);
  return [
    el("h2", {}, tr("trends.title")),
    el("div", { class: "controls" }, controls),
    item ? await indicatorBlock(item, "month") : el("p", {}, tr("empty")),
  ];
}

async function renderCompare() {
  const options = indicatorOptions(["partner", "region"]);
  if (!options.some((o) => o.value === state.compareIndicator)) state.compareIndicator = options[0]?.value;
  const item = indicator(state.compareIndicator);
  const controls = select({
    id: "compare-indicator", label: tr("compare.indicator"), options, value: state.compareIndicator,
    onchange: (value) => { state.compareIndicator = value; refresh(); },
  });
  const dimensions = item ? ["region", "partner"].filter((by) => item.disaggregations.includes(by)) : [];
  const blocks = await Promise.all(dimensions.map((by) => indicatorBlock(item, by, {
    title: tr(by === "region" ? "compare.byRegion" : "compare.byPartner"), open: false,
  })));
  return [
    el("h2", {}, tr("compare.title")),
    el("div", { class: "controls" }, controls),
    blocks.length ? el("div", { class: "grid" }, blocks) : el("p", {}, tr("empty")),
  ];
}

async function renderAxis(axis) {
  const items = state.indicators.filter((item) => item.axis === axis);
  const by = state.axisBy[axis] ?? "month";
  const allowed = BREAKDOWNS.filter((b) => items.some((item) => item.disaggregations.includes(b)));
  const controls = allowed.length > 1 ? select({
    id: `axis-by-${axis}`, label: tr("axis.by"),
    options: allowed.map((b) => ({ value: b, label: tr(`by.${b}`) })), value: by,
    onchange: (value) => { state.axisBy[axis] = value; refresh(); },
  }) : null;
  const blocks = await Promise.all(items.map((item) =>
    indicatorBlock(item, item.disaggregations.includes(by) ? by : "month", { open: false })));
  return [
    el("h2", {}, tr("axis.title", { axis: tr(`axis.${axis}`) })),
    controls ? el("div", { class: "controls" }, controls) : null,
    blocks.length ? el("div", { class: "grid" }, blocks) : el("p", {}, tr("axis.none")),
  ];
}

// Journeys and outcomes: what the persons' journeys across partners and axes add up to
// (counts only: the summary never lists a person), then each outcome indicator by month.
async function renderOutcomes() {
  const summary = await api("/v1/network/journeys/summary", params());
  const days = (value) => (value === null || value === undefined ? "-" : tr("outcomes.days", { days: number(Math.round(value)) }));
  const hire = summary.time_to_first_hire;
  const figures = [
    ["outcomes-persons", tr("outcomes.persons"), number(summary.persons)],
    ["outcomes-median", tr("outcomes.median"), days(hire.median_days)],
    ["outcomes-quartiles", tr("outcomes.quartiles"), `${days(hire.first_quartile_days)} – ${days(hire.third_quartile_days)}`],
    ["outcomes-hired", tr("outcomes.hired"), number(hire.persons)],
  ];
  const axesLabel = (row) => row.axes.map((axis) => tr(`axis.${axis}`)).join(" + ");
  const items = summary.by_axes.map((row) => ({ label: axesLabel(row), value: row.persons, display: number(row.persons) }));
  const title = tr("outcomes.byAxes");
  const blocks = await Promise.all(state.indicators
    .filter((item) => item.axis === OUTCOMES)
    .map((item) => indicatorBlock(item, "month", { open: false })));
  return [
    el("h2", {}, tr("outcomes.title")),
    el("p", { class: "intro" }, tr("outcomes.intro")),
    el("ul", { class: "kpis outcomes" }, figures.map(([id, label, value]) =>
      el("li", { class: "kpi", id }, el("span", { class: "kpi-value" }, value), el("span", { class: "kpi-label" }, label)))),
    el("section", { class: "card", "data-summary": "axes" },
      el("h3", {}, title),
      items.length ? barChart({ title, items, describe: (text) => tr("chart.bars", { title, summary: text }) }) : el("p", {}, tr("empty")),
      table({
        caption: title,
        columns: [
          { label: tr("outcomes.axes"), cell: axesLabel },
          { label: tr("outcomes.personsColumn"), cell: (row) => number(row.persons), numeric: true },
        ],
        rows: summary.by_axes,
        total: { display: number(summary.persons) },
      })),
    blocks.length ? el("div", { class: "grid" }, blocks) : el("p", {}, tr("empty")),
  ];
}

async function renderCompleteness() {
  const query = params({}, { partner: false });
  const data = await api("/v1/network/completeness", query);
  const partners = state.filters.partner_id
    ? data.partners.filter((p) => p.partner_id === state.filters.partner_id) : data.partners;
  const last = data.months[data.months.length - 1];
  const silentIn = (partner, month) => partner.cells
    .filter((cell) => cell.month === month && !cell.recorded && partner.axes.includes(cell.axis))
    .map((cell) => cell.axis);
  const silent = last ? partners.filter((p) => silentIn(p, last).length) : [];
  const dateFormat = new Intl.DateTimeFormat(state.lang === "it" ? "it-IT" : "en-GB",
    { dateStyle: "medium", timeStyle: "short" });
  const axisNames = (axes) => axes.map((axis) => tr(`axis.${axis}`)).join(", ");
  const columns = [
    { label: tr("col.partner"), cell: (p) => el("span", { class: "partner" }, p.name, el("span", { class: "muted region" }, p.region)) },
    { label: tr("col.lastEvent"), cell: (p) => (p.last_event_at ? dateFormat.format(new Date(p.last_event_at)) : tr("completeness.never")) },
    ...data.months.map((month) => ({
      label: monthName(state.lang, month, "short"),
      cell: (p) => {
        const quiet = silentIn(p, month);
        const worked = p.axes.length;
        const text = quiet.length ? tr("completeness.silentAxes", { axes: axisNames(quiet) }) : tr("completeness.allAxes");
        const status = quiet.length === 0 ? "full" : quiet.length === worked ? "none" : "partial";
        return el("span", { class: `status ${status}`, title: text },
          el("span", { "aria-hidden": "true" }, status === "full" ? "✓" : status === "none" ? "✗" : `${worked - quiet.length}/${worked}`),
          el("span", { class: "visually-hidden" }, text));
      },
    })),
  ];
  return [
    el("h2", {}, tr("completeness.title")),
    el("p", { class: "intro" }, tr("completeness.intro")),
    last ? el("section", { class: "card silent", "aria-labelledby": "silent-title" },
      el("h3", { id: "silent-title" }, tr("completeness.silent", { month: monthLabel(last) })),
      el("p", { class: "silent-count" }, tr("completeness.count", { silent: silent.length, total: partners.length })),
      silent.length ? el("ul", { class: "silent-list" }, silent.map((p) =>
        el("li", { "data-partner": p.partner_id }, el("strong", {}, p.name), ` (${p.region}) — `,
          tr("completeness.silentAxes", { axes: axisNames(silentIn(p, last)) }))))
        : el("p", {}, tr("completeness.none"))) : null,
    el("p", { class: "legend" }, tr("completeness.legendRecorded"), " · ", tr("completeness.legendPartial"), " · ", tr("completeness.legendSilent")),
    table({ caption: tr("completeness.title"), columns, rows: partners }),
    downloads(tr("completeness.title"), "/v1/network/completeness", query),
  ];
}

// ---------------------------------------------------------------- rendering

function describeScope() {
  const { region, partner_id: partnerId, from, to } = state.filters;
  const partner = state.partners.find((p) => p.partner_id === partnerId);
  const scope = partner ? partner.name : region || tr("scope.network");
  return tr("filters.scope", { scope, from: from ? monthLabel(from) : "…", to: to ? monthLabel(to) : "…" });
}

async function refresh({ live = false } = {}) {
  const { name, render } = currentView();
  // A new event does not redraw the reporting section under a form being filled in.
  if (live && !FILTERED(name)) return;
  const generation = ++state.generation;
  const view = $("#view");
  const focused = document.activeElement?.id;
  renderNav();
  $("#filters").hidden = !FILTERED(name);
  $("#scope").textContent = FILTERED(name) ? describeScope() : "";
  view.setAttribute("aria-busy", "true");
  if (!live && !view.childElementCount) view.replaceChildren(el("p", {}, tr("loading")));
  try {
    const children = await render();
    if (generation !== state.generation) return;
    showError("");
    view.replaceChildren(...children.filter(Boolean));
    view.dataset.renders = String(Number(view.dataset.renders || 0) + 1);
    if (focused) document.getElementById(focused)?.focus();
  } catch (error) {
    if (generation !== state.generation) return;
    if (error instanceof AuthError) { signOut(error.message); return; }
    showError(tr("error", { message: error.message }));
  } finally {
    if (generation === state.generation) view.setAttribute("aria-busy", "false");
  }
}

// ---------------------------------------------------------------- filters

function fillFilters() {
  const { region, partner_id: partnerId } = state.filters;
  const regions = [...new Set(state.partners.map((p) => p.region))].sort((a, b) => a.localeCompare(b, "it"));
  $("#f-region").replaceChildren(
    el("option", { value: "" }, tr("filters.allRegions")),
    ...regions.map((r) => el("option", { value: r, selected: r === region }, r)));
  const partners = state.partners.filter((p) => !region || p.region === region);
  $("#f-partner").replaceChildren(
    el("option", { value: "" }, tr("filters.allPartners")),
    ...partners.map((p) => el("option", { value: p.partner_id, selected: p.partner_id === partnerId },
      `${p.name} (${p.partner_id})`)));
  $("#f-from").value = state.filters.from;
  $("#f-to").value = state.filters.to;
}

function defaultFilters() {
  return { from: currentMonth(-11), to: currentMonth(), region: "", partner_id: "" };
}

function loadFilters() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(FILTERS_KEY) || "null");
    if (saved && typeof saved === "object") return { ...defaultFilters(), ...saved };
  } catch (_) { /* ignore */ }
  return defaultFilters();
}

function onFilterChange(event) {
  const { name, value } = event.target;
  if (!(name in state.filters)) return;
  state.filters[name] = value;
  if (name === "region") {
    const partner = state.partners.find((p) => p.partner_id === state.filters.partner_id);
    if (partner && value && partner.region !== value) state.filters.partner_id = "";
    fillFilters();
  }
  try { sessionStorage.setItem(FILTERS_KEY, JSON.stringify(state.filters)); } catch (_) { /* ignore */ }
  refresh();
}

// ---------------------------------------------------------------- language, token, live

function setLang(lang) {
  state.lang = lang;
  showInLang(lang, "app.title");
  if (state.token && !$("#app").hidden) {
    fillFilters();
    loadCatalogue().then(() => refresh()).catch(handleStartError);
  }
  setLive(state.liveKey ?? "live.connecting", state.liveVars);
}

function setLive(key, vars) {
  state.liveKey = key;
  state.liveVars = vars;
  const live = $("#live");
  live.textContent = key ? tr(key, vars) : "";
  live.dataset.state = key === "live.lost" ? "lost" : key === "live.connecting" ? "connecting" : "on";
}

function connectStream() {
  state.stream?.close();
  const url = apiUrl(
    "/v1/network/stream", state.token === SESSION ? {} : { access_token: state.token },
  );
  const stream = new EventSource(url);
  state.stream = stream;
  // Updates are coalesced: one refetch at most every two seconds, however fast events come.
  let pending = null;
  let last = 0;
  stream.onopen = () => setLive("live.on");
  stream.addEventListener("update", () => {
    if (pending) return;
    pending = setTimeout(async () => {
      last = Date.now();
      await refresh({ live: true });
      pending = null;
      const time = new Date().toLocaleTimeString(state.lang === "it" ? "it-IT" : "en-GB");
      setLive("live.updated", { time });
    }, Math.max(250, 2000 - (Date.now() - last)));
  });
  stream.onerror = () => {
    if (stream.readyState === EventSource.OPEN) return;
    setLive("live.lost");
    // The browser gives up on an answer that is not a stream (an expired token, say):
    // try again later; the refetch signs out if the token is no longer accepted.
    if (stream.readyState === EventSource.CLOSED) {
      setTimeout(() => {
        if (state.stream === stream && state.token) { refresh(); connectStream(); }
      }, 5000);
    }
  };
}

async function loadCatalogue() {
  const [partners, indicators] = await Promise.all([
    api("/v1/network/partners", { lang: state.lang }),
    api("/v1/network/indicators", { lang: state.lang }),
  ]);
  state.partners = partners;
  state.indicators = indicators;
}

function handleStartError(error) {
  if (error instanceof AuthError) signOut(error.message);
  else showError(tr("error", { message: error.message }));
}

function signOut(message = "") {
  if (state.token === SESSION) { $("#logout-provider").submit(); return; }
  state.stream?.close();
  state.stream = null;
  state.token = null;
  try { sessionStorage.removeItem(TOKEN_KEY); } catch (_) { /* ignore */ }
  $("#app").hidden = true;
  $("#logout").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
  setLive(null);
  $("#token").focus();
}

async function start(token) {
  state.token = token;
  if (token !== SESSION) {
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch (_) { /* kept for this page only */ }
  }
  $("#login").hidden = true;
  $("#app").hidden = false;
  $("#logout").hidden = token === SESSION;
  $("#logout-provider").hidden = token !== SESSION;
  try {
    await loadCatalogue();
  } catch (error) {
    handleStartError(error);
    return;
  }
  fillFilters();
  setLive("live.connecting");
  connectStream();
  await refresh();
}

function tokenFromFragment() {
  const match = /^#token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, "", `${location.pathname}${location.search}#overview`);
  return decodeURIComponent(match[1]);
}

function init() {
  monthPicker($("#f-from"));
  monthPicker($("#f-to"));
  setLang(state.lang);
  state.filters = loadFilters();
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLang(button.dataset.lang));
  }
  $("#filters").addEventListener("change", onFilterChange);
  $("#filters").addEventListener("reset", (event) => {
    event.preventDefault();
    state.filters = defaultFilters();
    try { sessionStorage.removeItem(FILTERS_KEY); } catch (_) { /* ignore */ }
    fillFilters();
    refresh();
  });
  $("#login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("#token").value.trim();
    $("#token").value = "";
    if (value) start(value);
  });
  $("#logout").addEventListener("click", () => signOut());
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault();
    $("#main").focus();
  });
  window.addEventListener("hashchange", () => {
    const fresh = tokenFromFragment();
    if (fresh) { start(fresh); return; }
    if (state.token) { refresh(); $("#main").focus(); }
  });
  let token = tokenFromFragment();
  if (!token) { try { token = sessionStorage.getItem(TOKEN_KEY); } catch (_) { token = null; } }
  if (token) { start(token); return; }
  signOut();
  signedInWithProvider().then((session) => {
    $("#login-provider").hidden = !session.provider;
    $("#login-form").hidden = session.token_form === false;
    state.csrf = session.csrf || null;
    if (session.signed_in && !state.token) start(SESSION);
  }).catch(() => { /* the token form stays */ });
}

async function signedInWithProvider() {
  const response = await fetch("/dashboard/session", { credentials: "same-origin" });
  return response.ok ? response.json() : { provider: false, signed_in: false };
}

init();
