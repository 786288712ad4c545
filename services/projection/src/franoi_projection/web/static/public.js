// The public page: the network's key numbers, suppressed by the server ("<5"), no login.
import { keyNumberCards } from "./charts.js";
import { monthName, savedLang, showInLang, t } from "./i18n.js";
import { monthPicker } from "./monthpicker.js";

const AXES = ["housing", "employment", "hosting", "events", "cases"];
const state = { lang: savedLang(), region: "", from: "", to: "", regions: [], generation: 0 };
const $ = (selector) => document.querySelector(selector);
const tr = (key, vars) => t(state.lang, key, vars);

function el(name, attrs = {}, ...children) {
  const node = document.createElement(name);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function fillRegions() {
  $("#p-region").replaceChildren(
    el("option", { value: "" }, tr("public.allRegions")),
    ...state.regions.map((r) => el("option", { value: r, selected: r === state.region ? true : undefined }, r)));
}

async function load() {
  const generation = ++state.generation;
  const url = new URL("/public/v1/key-numbers", location.origin);
  for (const [key, value] of Object.entries({ lang: state.lang, region: state.region, from: state.from, to: state.to })) {
    if (value) url.searchParams.set(key, value);
  }
  const view = $("#view");
  view.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(problem.detail || problem.title || response.statusText);
    }
    const data = await response.json();
    if (generation !== state.generation) return;
    $("#error").textContent = "";
    if (!state.from) $("#p-from").value = data.first_month;
    if (!state.to) $("#p-to").value = data.last_month;
    $("#period").textContent = tr("public.period", {
      from: monthName(state.lang, data.first_month), to: monthName(state.lang, data.last_month),
    });
    const number = new Intl.NumberFormat(state.lang === "it" ? "it-IT" : "en-GB");
    view.replaceChildren(keyNumberCards(data.rows, {
      axes: [...AXES, "journeys"],
      axisName: (axis) => tr(`axis.${axis}`),
      ratio: (numerator, denominator) => tr("kpi.ratio", { numerator: number.format(numerator), denominator: number.format(denominator) }),
      heading: "h2",
    }));
    view.dataset.renders = String(Number(view.dataset.renders || 0) + 1);
  } catch (error) {
    if (generation === state.generation) $("#error").textContent = tr("error", { message: error.message });
  } finally {
    if (generation === state.generation) view.setAttribute("aria-busy", "false");
  }
}

function setLang(lang) {
  state.lang = lang;
  showInLang(lang, "public.title");
  fillRegions();
  load();
}

async function loadRegions() {
  // The network's regions, published with the page (public knowledge, no count).
  try {
    const response = await fetch("assets/regions.json", { headers: { Accept: "application/json" } });
    if (response.ok) state.regions = await response.json();
  } catch (_) { /* keep the list empty: the whole network only */ }
  fillRegions();
}

function init() {
  monthPicker($("#p-from"));
  monthPicker($("#p-to"));
  $("#filters").addEventListener("change", (event) => {
    const { name, value } = event.target;
    if (name in state) state[name] = value;
    load();
  });
  $("#filters").addEventListener("submit", (event) => event.preventDefault());
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLang(button.dataset.lang));
  }
  setLang(state.lang);
  loadRegions();
}

init();
