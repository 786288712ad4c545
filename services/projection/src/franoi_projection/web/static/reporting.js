// Rendicontazione: the consortium's side of the reporting periods (docs/reporting.md). The
// periods, a form to define one, every partner's status in the chosen period with the
// approval, the return (with a comment) and the reopening, the approved versions' fund
// report to download, and the network's data-quality checks run on demand.
//
// The page gives it its helpers (`ui`): el, api, send, table, save, apiUrl, monthPicker,
// monthName, tr, lang and
// `redraw` (draws the section again); `writes` is false only when the page has no way to
// send a step (a provider's session without its X-CSRF-Token), and the page then says so.

const BASE = "/v1/reporting";
// The chosen period, and what the last step said ([catalogue key, values]: it is said again
// in the page's language when the language changes).
const local = { period: null, notice: null };

const said = (key, vars = {}) => [key, vars];

function dateText(ui, value, withTime = false) {
  if (!value) return "—";
  const options = withTime ? { dateStyle: "medium", timeStyle: "short" } : { dateStyle: "medium" };
  const date = withTime ? new Date(value) : new Date(`${value}T12:00:00`);
  return new Intl.DateTimeFormat(ui.lang === "it" ? "it-IT" : "en-GB", options).format(date);
}

function months(ui, period) {
  return `${ui.monthName(ui.lang, period.first_month)} – ${ui.monthName(ui.lang, period.last_month)}`;
}

// A form's answer: the API's message beside the form (role=alert), or the section drawn again.
function submitting(ui, form, run) {
  const error = form.querySelector(".error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      local.notice = await run(new FormData(form));
      await ui.redraw();
    } catch (failure) {
      error.textContent = ui.tr("reporting.refused", { message: failure.message });
      button.disabled = false;
    }
  });
  return form;
}

function field(ui, id, key, input) {
  const month = input.getAttribute("type") === "month";
  const box = ui.el("div", { class: "field" }, ui.el("label", { for: month ? `${id}-month` : id }, ui.tr(key)), input);
  if (month) ui.monthPicker(input);
  return box;
}

function periodsTable(ui, periods) {
  const choose = (period) => ui.el("button", {
    type: "button", class: "secondary small", "data-period": period.period_id,
    "aria-pressed": String(period.period_id === local.period),
    onclick: () => { local.period = period.period_id; local.notice = null; ui.redraw(); },
  }, ui.tr("reporting.open", { period: period.label }));
  return ui.table({
    caption: ui.tr("reporting.periods"),
    columns: [
      { label: ui.tr("reporting.col.period"), cell: (p) => p.label },
      { label: ui.tr("reporting.col.months"), cell: (p) => months(ui, p) },
      { label: ui.tr("reporting.col.deadline"), cell: (p) => dateText(ui, p.deadline) },
      { label: ui.tr("reporting.col.version"), cell: (p) => String(p.version), numeric: true },
      { label: ui.tr("reporting.col.approved"), cell: (p) => ui.tr(p.approved ? "reporting.yes" : "reporting.no") },
      { label: ui.tr("reporting.col.actions"), cell: choose },
    ],
    rows: periods,
  });
}

function defineForm(ui) {
  const input = (id, attrs) => ui.el("input", { id, name: id, required: true, ...attrs });
  const form = ui.el("form", { id: "period-form", class: "stack", "aria-labelledby": "period-form-title" },
    ui.el("h3", { id: "period-form-title" }, ui.tr("reporting.define")),
    ui.el("div", { class: "row" },
      field(ui, "period_id", "reporting.f.id", input("period_id", { pattern: "[a-z0-9][a-z0-9\\-]{0,39}", maxlength: 40, "aria-describedby": "period-id-help" })),
      field(ui, "label_it", "reporting.f.labelIt", input("label_it", { maxlength: 80 })),
      field(ui, "label_en", "reporting.f.labelEn", ui.el("input", { id: "label_en", name: "label_en", maxlength: 80 })),
      field(ui, "first_month", "reporting.f.first", input("first_month", { type: "month", min: "2000-01", max: "2100-12" })),
      field(ui, "last_month", "reporting.f.last", input("last_month", { type: "month", min: "2000-01", max: "2100-12" })),
      field(ui, "deadline", "reporting.f.deadline", input("deadline", { type: "date" }))),
    ui.el("p", { id: "period-id-help", class: "note" }, ui.tr("reporting.f.idHelp")),
    ui.el("p", { class: "error", role: "alert" }),
    ui.el("button", { type: "submit" }, ui.tr("reporting.f.submit")));
  return submitting(ui, form, async (data) => {
    const body = Object.fromEntries([...data.entries()].filter(([, v]) => v !== ""));
    const period = await ui.send("POST", `${BASE}/periods`, body);
    local.period = period.period_id;
    return said("reporting.defined", { period: period.label });
  });
}

function checksCard(ui) {
  const result = ui.el("p", { id: "checks-result", role: "status" });
  const button = ui.el("button", {
    type: "button", id: "run-checks",
    onclick: async () => {
      button.disabled = true;
      result.textContent = ui.tr("reporting.checks.running");
      try {
        const run = await ui.send("POST", `${BASE}/quality-run`);
        const flags = Object.values(run.flags).reduce((a, b) => a + b, 0);
        result.textContent = ui.tr("reporting.checks.done", {
          seconds: run.seconds.toLocaleString(ui.lang === "it" ? "it-IT" : "en-GB"),
          flags, partners: Object.keys(run.flags).length,
        });
      } catch (failure) {
        result.textContent = ui.tr("reporting.refused", { message: failure.message });
      } finally {
        button.disabled = false;
      }
    },
  }, ui.tr("reporting.checks.run"));
  return ui.el("section", { class: "card", "aria-labelledby": "checks-title" },
    ui.el("h3", { id: "checks-title" }, ui.tr("reporting.checks.title")),
    ui.el("p", { class: "intro" }, ui.tr("reporting.checks.intro")),
    button, result);
}

function commentForm(ui, { id, label, action, run }) {
  const form = ui.el("form", { id, class: "inline-form" },
    ui.el("label", { for: `${id}-comment` }, label),
    ui.el("textarea", { id: `${id}-comment`, name: "comment", required: true, maxlength: 2000, rows: 2 }),
    ui.el("button", { type: "submit" }, action),
    ui.el("p", { class: "error", role: "alert" }));
  return submitting(ui, form, (data) => run(String(data.get("comment")).trim()));
}

function stepCell(ui, period, partner) {
  if (!ui.writes || partner.status !== "submitted") return "";
  const path = `${BASE}/periods/${period.period_id}/partners/${partner.partner_id}`;
  const approve = ui.el("button", {
    type: "button", class: "small", "data-approve": partner.partner_id,
    "aria-label": ui.tr("reporting.approveOf", { partner: partner.name }),
    onclick: async (event) => {
      event.target.disabled = true;
      try {
        const step = await ui.send("POST", `${path}/approval`, {});
        local.notice = said(step.period_approved ? "reporting.periodApproved" : "reporting.approved", { partner: partner.name });
        await ui.redraw();
      } catch (failure) {
        local.notice = said("reporting.refused", { message: failure.message });
        await ui.redraw();
      }
    },
  }, ui.tr("reporting.approve"));
  const giveBack = ui.el("details", { class: "return" },
    ui.el("summary", { "data-return": partner.partner_id }, ui.tr("reporting.return")),
    commentForm(ui, {
      id: `return-${partner.partner_id}`,
      label: ui.tr("reporting.returnWhy", { partner: partner.name }),
      action: ui.tr("reporting.returnSend"),
      run: async (comment) => {
        await ui.send("POST", `${path}/return`, { comment });
        return said("reporting.returned", { partner: partner.name });
      },
    }));
  return ui.el("div", { class: "steps" }, approve, giveBack);
}

function statusTable(ui, period) {
  return ui.table({
    caption: ui.tr("reporting.statuses", { period: period.label }),
    columns: [
      { label: ui.tr("col.partner"), cell: (p) => ui.el("span", { class: "partner", "data-partner": p.partner_id }, p.name, ui.el("span", { class: "muted region" }, `${p.partner_id} · ${p.region}`)) },
      { label: ui.tr("reporting.col.status"), cell: (p) => ui.el("span", { class: `badge ${p.status}` }, p.status_label) },
      { label: ui.tr("reporting.col.flags"), cell: (p) => String(p.open_flags), numeric: true },
      { label: ui.tr("reporting.col.comment"), cell: (p) => p.comment ?? "" },
      { label: ui.tr("reporting.col.changed"), cell: (p) => dateText(ui, p.changed_at, true) },
      { label: ui.tr("reporting.col.actions"), cell: (p) => stepCell(ui, period, p) },
    ],
    rows: period.partners,
  });
}

function versionsList(ui, period) {
  if (!period.versions.length) return ui.el("p", { class: "muted" }, ui.tr("reporting.noVersion"));
  const link = (version, format, lang) => {
    const href = ui.apiUrl(`${BASE}/periods/${period.period_id}/report`, { version, format, lang });
    return ui.el("a", {
      href: href.pathname + href.search, class: "download", "data-version": version,
      "data-format": format, "data-lang": lang,
      onclick: (event) => {
        event.preventDefault();
        ui.save(href).catch((failure) => { local.notice = said("download.failed", { message: failure.message }); ui.redraw(); });
      },
    }, ui.tr("reporting.report", { format: format.toUpperCase(), lang: lang.toUpperCase() }));
  };
  return ui.el("ul", { class: "versions" }, period.versions.map((version) =>
    ui.el("li", { "data-version": version },
      ui.el("strong", {}, ui.tr("reporting.version", { version })),
      ui.el("span", { class: "downloads" }, ["xlsx", "pdf"].flatMap((format) =>
        ["it", "en"].map((lang) => link(version, format, lang)))))));
}

function periodSection(ui, period) {
  const counts = {};
  for (const p of period.partners) counts[p.status] = (counts[p.status] ?? 0) + 1;
  const summary = Object.entries(counts).map(([status, n]) =>
    `${period.partners.find((p) => p.status === status).status_label}: ${n}`).join(" · ");
  return ui.el("section", { class: "card", id: "period", "data-period": period.period_id, "aria-labelledby": "period-title" },
    ui.el("h3", { id: "period-title" }, ui.tr("reporting.periodTitle", { period: period.label, version: period.version })),
    ui.el("p", {}, ui.tr("reporting.periodLine", {
      months: months(ui, period), deadline: dateText(ui, period.deadline),
    }), " ", ui.el("span", { class: `badge ${period.approved ? "approved" : "open"}` },
      ui.tr(period.approved ? "reporting.periodIsApproved" : "reporting.periodIsOpen"))),
    ui.el("p", { class: "muted", id: "status-summary" }, summary),
    statusTable(ui, period),
    ui.el("h4", {}, ui.tr("reporting.versions")),
    versionsList(ui, period),
    period.approved && ui.writes ? commentForm(ui, {
      id: "reopen",
      label: ui.tr("reporting.reopenWhy"),
      action: ui.tr("reporting.reopen"),
      run: async (comment) => {
        const reopened = await ui.send("POST", `${BASE}/periods/${period.period_id}/reopening`, { comment });
        return said("reporting.reopened", { version: reopened.version });
      },
    }) : null);
}

export async function renderReporting(ui) {
  const periods = await ui.api(`${BASE}/periods`, { lang: ui.lang });
  if (!periods.some((p) => p.period_id === local.period)) local.period = periods.at(-1)?.period_id ?? null;
  const period = local.period
    ? await ui.api(`${BASE}/periods/${local.period}`, { lang: ui.lang }) : null;
  return [
    ui.el("h2", {}, ui.tr("reporting.title")),
    ui.el("p", { class: "intro" }, ui.tr("reporting.intro")),
    ui.writes ? null : ui.el("p", { class: "note" }, ui.tr("reporting.readOnly")),
    ui.el("p", { id: "reporting-notice", class: "notice", role: "status" }, local.notice ? ui.tr(...local.notice) : ""),
    periods.length ? periodsTable(ui, periods) : ui.el("p", {}, ui.tr("reporting.none")),
    period ? periodSection(ui, period) : null,
    ui.writes ? ui.el("div", { class: "grid" },
      ui.el("section", { class: "card" }, defineForm(ui)), checksCard(ui)) : null,
  ];
}
