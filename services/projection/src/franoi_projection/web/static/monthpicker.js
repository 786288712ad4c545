// A month field in the page's language. The browser's own <input type="month"> speaks the
// browser's locale whatever the page's language is (an English browser shows "March 2025"
// on the Italian page); this one is a month list and a year field whose names follow
// <html lang>. The original input stays in the form as a hidden field holding "YYYY-MM",
// so the code that reads or sets `input.value` and listens to "change" is unchanged.

const VALUE = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, "value");
const YEAR_LABEL = { it: "Anno", en: "Year" };

function monthNames(lang) {
  const format = new Intl.DateTimeFormat(lang === "it" ? "it-IT" : "en-GB", { month: "long", timeZone: "UTC" });
  return Array.from({ length: 12 }, (_, m) => format.format(new Date(Date.UTC(2000, m, 1))));
}

function pad(month) {
  return String(month).padStart(2, "0");
}

/** Turn `<input type="month" id="x">` into a month list (id "x-month", which the label
 * should point to) and a year field (id "x-year"), named in the page's language. */
export function monthPicker(input) {
  const min = Number((input.getAttribute("min") || "2000-01").slice(0, 4));
  const max = Number((input.getAttribute("max") || "2100-12").slice(0, 4));
  const wrapper = document.createElement("span");
  wrapper.className = "month-picker";
  const month = document.createElement("select");
  month.id = `${input.id}-month`;
  const year = document.createElement("input");
  Object.assign(year, { id: `${input.id}-year`, type: "number", min: String(min), max: String(max), step: "1" });
  year.inputMode = "numeric";
  year.className = "year";
  const yearLabel = document.createElement("label");
  yearLabel.className = "visually-hidden";
  yearLabel.htmlFor = year.id;
  wrapper.append(month, yearLabel, year);
  input.type = "hidden";
  input.before(wrapper);

  const lang = () => (document.documentElement.lang === "en" ? "en" : "it");
  const fill = () => {
    const chosen = month.value;
    const names = monthNames(lang());
    month.replaceChildren(new Option("—", ""), ...names.map((name, m) => new Option(name, pad(m + 1))));
    month.value = chosen;
    yearLabel.textContent = YEAR_LABEL[lang()];
  };
  const show = (value) => {
    const match = /^(\d{4})-(\d{2})$/.exec(value || "");
    month.value = match ? match[2] : "";
    year.value = match ? match[1] : "";
  };
  // Programmatic `input.value = "YYYY-MM"` also updates what is shown.
  Object.defineProperty(input, "value", {
    get() { return VALUE.get.call(input); },
    set(value) { VALUE.set.call(input, value); show(value); },
    configurable: true,
  });
  const changed = (event) => {
    event.stopPropagation();  // the form hears one change, from the named field
    const y = Number(year.value);
    const complete = month.value && Number.isInteger(y) && y >= min && y <= max;
    const value = complete ? `${y}-${month.value}` : "";
    if (!complete && (month.value || year.value)) return;  // half-typed: wait
    if (VALUE.get.call(input) === value) return;
    VALUE.set.call(input, value);
    input.dispatchEvent(new Event("change", { bubbles: true }));
  };
  month.addEventListener("change", changed);
  year.addEventListener("change", changed);
  new MutationObserver(fill).observe(document.documentElement, { attributes: true, attributeFilter: ["lang"] });
  fill();
  show(VALUE.get.call(input));
  return wrapper;
}
