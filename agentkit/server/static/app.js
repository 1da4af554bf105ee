// agentkit dev UI: vanilla JS, no build step, nothing from a CDN.
(function () {
  "use strict";
  const main = document.getElementById("main");
  let apiKey = document.querySelector('meta[name="agentkit-api-key"]').content ||
    sessionStorage.getItem("agentkit-api-key") || "";
  let source = null; // the page's EventSource
  let page = null; // what the current page needs to redraw

  const keyBox = document.getElementById("key-box");
  const keyInput = document.getElementById("key-input");
  if (!document.querySelector('meta[name="agentkit-api-key"]').content) {
    keyBox.hidden = false;
    keyInput.value = apiKey;
    keyInput.addEventListener("change", () => {
      apiKey = keyInput.value.trim();
      sessionStorage.setItem("agentkit-api-key", apiKey);
    });
  }

  // -- helpers ---------------------------------------------------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else el.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }
  function toast(text) {
    const t = document.getElementById("toast");
    t.textContent = text;
    t.classList.add("show");
    setTimeout(() => t.classList.remove("show"), 2500);
  }
  async function api(method, path, body) {
    const headers = { "Content-Type": "application/json" };
    if (apiKey) headers.Authorization = "Bearer " + apiKey;
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.detail || res.status + " " + res.statusText);
    return data;
  }
  function json(value) { return JSON.stringify(value, null, 2); }
  function badge(status) { return h("span", { class: "badge st-" + status, "data-status": status }, status); }
  function age(t) {
    const s = Math.max(0, Date.now() / 1000 - t);
    if (s < 60) return Math.floor(s) + "s ago";
    if (s < 3600) return Math.floor(s / 60) + "m ago";
    if (s < 86400) return Math.floor(s / 3600) + "h ago";
    return Math.floor(s / 86400) + "d ago";
  }
  // null: not known (a model without a price, or a run still going in the list).
  function usd(x, unknown = "n/a") {
    if (x === null || x === undefined) return unknown;
    return x ? "$" + x.toFixed(x < 0.01 ? 5 : 3) : "$0";
  }
  function ms(x) { return x >= 1000 ? (x / 1000).toFixed(2) + " s" : Math.round(x) + " ms"; }
  function live(url, handlers) {
    if (source) source.close();
    source = new EventSource(url);
    for (const [name, fn] of Object.entries(handlers)) {
      source.addEventListener(name, (e) => fn(JSON.parse(e.data)));
    }
  }
  async function act(label, fn) {
    try { await fn(); toast(label); } catch (e) { toast(label + " failed: " + e.message); }
  }

  // -- run list ----------------------------------------------------------------
  async function showRuns() {
    main.replaceChildren(h("h1", {}, "Runs"), h("p", { class: "empty" }, "Loading…"));
    const rows = new Map();
    const tbody = h("tbody", { id: "runs" });
    function row(run) {
      const tr = h("tr", { "data-run": run.id },
        h("td", {}, badge(run.status)),
        h("td", {}, h("a", { href: "#/runs/" + run.id }, run.function_id)),
        h("td", { class: "mono" }, run.id),
        h("td", { title: new Date(run.created_at * 1000).toISOString(), "data-created": run.created_at }, age(run.created_at)),
        h("td", { class: "num", title: run.cost_usd === null ? "known when the run ends" : null },
          usd(run.cost_usd, "…")));
      const old = rows.get(run.id);
      if (old) old.replaceWith(tr); else tbody.prepend(tr);
      rows.set(run.id, tr);
    }
    live("/api/stream/runs", { run: row });
    const data = await api("GET", "/api/runs?limit=100");
    const table = h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Status"), h("th", {}, "Function"), h("th", {}, "Run"),
        h("th", {}, "Age"), h("th", { class: "num" }, "Cost"))), tbody);
    data.runs.slice().reverse().forEach(row);
    const start = h("div", { class: "actions" });
    const fns = await api("GET", "/api/functions");
    if (fns.functions.length) {
      const pick = h("select", { "aria-label": "Function" }, fns.functions.map((f) => h("option", {}, f)));
      const input = h("input", { type: "text", "aria-label": "Input (JSON)", value: "{}", size: 40 });
      start.append(pick, input, h("button", { class: "primary", onclick: () => act("Run started", async () => {
        const run = await api("POST", "/api/runs", { function: pick.value, input: JSON.parse(input.value || "{}") });
        location.hash = "#/runs/" + run.id;
      }) }, "Start run"));
    }
    main.replaceChildren(h("h1", {}, "Runs"), start, table);
    page = null;
  }

  // -- run page ----------------------------------------------------------------
  async function showRun(runId, selected) {
    page = { runId, selected, deltas: "" };
    live("/api/stream/runs/" + runId, {
      snapshot: () => redraw(),
      step: () => redraw(),
      status: () => redraw(),
      end: () => redraw(),
      delta: (d) => {
        if (d.type === "TextDelta" && page && page.runId === runId) {
          page.deltas += d.text || "";
          const el = document.getElementById("live-output");
          if (el) el.textContent = page.deltas;
        }
      },
    });
    await redraw();
  }
  // One draw at a time; a change announced during a draw gets one more draw after it.
  let drawing = null;
  let again = false;
  function redraw() {
    if (!page) return Promise.resolve();
    if (drawing) { again = true; return drawing; }
    drawing = draw(page).finally(() => {
      drawing = null;
      if (again) { again = false; redraw(); }
    });
    return drawing;
  }
  async function draw(p) {
    let data;
    try { data = await api("GET", "/api/runs/" + p.runId); }
    catch (e) { main.replaceChildren(h("h1", {}, "Run not found"), h("p", {}, e.message)); return; }
    if (page !== p) return;
    const run = data.run;
    const focusedId = document.activeElement && document.activeElement.id;
    const content = [
      h("h1", {}, run.function_id, " ", badge(run.status)),
      h("div", { class: "meta" },
        h("span", { class: "mono" }, run.id),
        h("span", {}, "started " + age(run.created_at)),
        h("span", {}, "cost " + usd(run.cost_usd)),
        run.trace_id ? h("span", { class: "mono", title: "OpenTelemetry trace id" }, "trace " + run.trace_id) : null),
      runActions(run),
      approvals(data.tokens),
      p.deltas && run.status !== "completed" ? h("div", { class: "panel" }, h("strong", {}, "Streaming"),
        h("div", { class: "live", id: "live-output" }, p.deltas)) : null,
      run.error ? h("div", { class: "panel err" }, h("strong", {}, "Error: "), h("pre", {}, json(run.error))) : null,
      h("h2", {}, "Timeline"),
      timeline(run, data.journal, p),
      p.selected ? inspector(run, data, p) : null,
      h("h2", {}, "Model calls"),
      calls(run, data.completions),
      h("h2", {}, "Input and output"),
      h("div", { class: "grid2" }, h("div", {}, h("h3", {}, "Input"), h("pre", {}, json(run.input))),
        h("div", {}, h("h3", {}, "Output"), h("pre", { id: "run-output" }, json(run.output)))),
    ];
    main.replaceChildren(...content.filter(Boolean));
    if (focusedId) { const el = document.getElementById(focusedId); if (el) el.focus(); }
  }
  function runActions(run) {
    const ended = ["completed", "failed", "cancelled"].includes(run.status);
    return h("div", { class: "actions" },
      ended ? null : h("button", { class: "danger", id: "cancel", onclick: () => act("Cancelled", () => api("POST", `/api/runs/${run.id}/cancel`).then(redraw)) }, "Cancel"),
      run.status === "failed" ? h("button", { id: "resume", onclick: () => act("Resumed", () => api("POST", `/api/runs/${run.id}/resume`).then(redraw)) }, "Resume") : null,
      ended ? h("button", { id: "replay", onclick: () => act("Replayed", async () => {
        const report = await api("POST", `/api/runs/${run.id}/replay`);
        page.replay = report; redraw();
      }) }, "Replay report") : null,
      ended ? h("a", { id: "save-case", href: `/api/runs/${run.id}/eval-case`, download: run.id + ".case.json", class: "button" },
        h("button", { tabindex: "-1" }, "Save as eval case")) : null,
      page && page.replay ? h("pre", { id: "replay-report" }, json(page.replay)) : null);
  }
  function approvals(tokens) {
    const open = tokens.filter((t) => t.status === "pending");
    if (!open.length) return null;
    return h("section", { "aria-label": "Pending approvals" }, h("h2", {}, "Waiting for you"),
      open.map((t) => {
        const reason = h("input", { type: "text", "aria-label": "Reason for rejecting", placeholder: "Reason (for Reject)", id: "reason-" + t.step_key });
        const can = !!t.token;
        return h("div", { class: "approval", "data-step": t.step_key },
          h("div", {}, h("strong", {}, t.step_key), t.description ? " — " + t.description : ""),
          can ? h("div", { class: "actions" },
            h("button", { class: "primary", id: "approve-" + t.step_key, onclick: () => act("Approved", () => api("POST", "/api/tokens/approve", { token: t.token }).then(redraw)) }, "Approve"),
            reason,
            h("button", { class: "danger", id: "reject-" + t.step_key, onclick: () => act("Rejected", () => api("POST", "/api/tokens/reject", { token: t.token, reason: reason.value }).then(redraw)) }, "Reject"))
            : h("p", { class: "empty" }, "Enter the API key above to answer."));
      }));
  }
  function timeline(run, steps, p) {
    if (!steps.length) return h("p", { class: "empty" }, "No steps yet.");
    const t0 = Math.min(run.started_at || run.created_at, ...steps.map((s) => s.started_at));
    const t1 = Math.max(run.ended_at || Date.now() / 1000, ...steps.map((s) => s.ended_at || s.started_at));
    const span = Math.max(t1 - t0, 0.001);
    return h("div", { class: "timeline", role: "list" }, steps.map((s) => {
      const left = ((s.started_at - t0) / span) * 100;
      const width = (((s.ended_at || t1) - s.started_at) / span) * 100;
      const failed = s.status === "failed" || s.error;
      return h("div", { role: "listitem" }, h("button", { class: "step", "aria-pressed": String(p.selected === s.key), "data-step": s.key,
        onclick: () => { p.selected = p.selected === s.key ? null : s.key; location.hash = `#/runs/${run.id}` + (p.selected ? "/steps/" + encodeURIComponent(s.key) : ""); } },
        h("span", { class: "mono" }, s.key, failed ? h("span", { class: "err", title: "failed" }, " ✕ error") : null),
        h("span", {}, s.kind),
        h("span", { title: "attempts", class: s.attempts > 1 ? "retried" : null }, "×" + s.attempts),
        h("span", { class: "track", title: `${s.status}, ${ms(((s.ended_at || t1) - s.started_at) * 1000)}` },
          h("span", { class: `bar k-${s.kind} ${s.status}`, style: `left:${left}%;width:${Math.max(width, 0.3)}%` }))));
    }));
  }
  function inspector(run, data, p) {
    const step = data.journal.find((s) => s.key === p.selected);
    if (!step) return null;
    const edit = h("textarea", { id: "fork-result", "aria-label": "Edited result" }, json(step.output));
    const stepCalls = data.completions.filter((c) => c.step_key === step.key);
    return h("section", { class: "panel", id: "inspector", "aria-label": "Step " + step.key },
      h("h3", {}, "Step ", h("code", {}, step.key)),
      h("div", { class: "meta" }, h("span", {}, step.kind), h("span", {}, step.status), h("span", {}, "attempts " + step.attempts),
        h("span", {}, ms(((step.ended_at || step.started_at) - step.started_at) * 1000))),
      step.error ? h("div", {}, h("strong", { class: "err" }, "Error"), h("pre", {}, json(step.error))) : null,
      h("strong", {}, "Output"), h("pre", { id: "step-output" }, json(step.output)),
      stepCalls.length ? h("p", {}, "Model calls: ", stepCalls.map((c) => h("a", { href: `#/runs/${run.id}/calls/${c.id}`, class: "mono" }, c.id + " "))) : null,
      h("details", {}, h("summary", {}, "Fork from this step"),
        h("p", {}, "A new run replays the steps before this one and continues live. Edit the result to use it instead of running this step."),
        edit,
        h("div", { class: "actions" },
          h("button", { id: "fork-edited", onclick: () => act("Forked", async () => {
            const forked = await api("POST", `/api/runs/${run.id}/fork`, { from_step: step.key, results: { [step.key]: JSON.parse(edit.value) } });
            location.hash = "#/runs/" + forked.id;
          }) }, "Fork with this result"),
          h("button", { id: "fork-live", onclick: () => act("Forked", async () => {
            const forked = await api("POST", `/api/runs/${run.id}/fork`, { from_step: step.key });
            location.hash = "#/runs/" + forked.id;
          }) }, "Fork and run this step again"))));
  }
  function calls(run, completions) {
    if (!completions.length) return h("p", { class: "empty" }, "No model calls.");
    return h("table", {}, h("thead", {}, h("tr", {}, ["Step", "Model", "Attempt", "Status", "Tokens in/out", "Latency", "Cost"].map((x) => h("th", {}, x)))),
      h("tbody", {}, completions.map((c) => h("tr", {},
        h("td", {}, h("a", { href: `#/runs/${run.id}/calls/${c.id}`, class: "mono call-link" }, c.step_key)),
        h("td", {}, c.provider + " · " + c.model),
        h("td", { class: "num" }, c.attempt),
        h("td", {}, c.succeeded ? (c.status_code || "ok") : h("span", { class: "err" }, c.status_code || "error")),
        h("td", { class: "num" }, (c.input_tokens ?? "–") + " / " + (c.output_tokens ?? "–")),
        h("td", { class: "num" }, ms(c.latency_ms)),
        h("td", { class: "num" }, usd(c.cost_usd))))));
  }

  // -- model call --------------------------------------------------------------
  async function showCall(runId, callId) {
    page = null;
    if (source) { source.close(); source = null; }
    let c;
    try { c = await api("GET", `/api/runs/${runId}/completions/${callId}`); }
    catch (e) { main.replaceChildren(h("h1", {}, "Model call not found"), h("p", {}, e.message)); return; }
    main.replaceChildren(...[
      h("p", {}, h("a", { href: "#/runs/" + runId }, "← run " + runId)),
      h("h1", {}, "Model call ", h("code", {}, c.step_key)),
      h("div", { class: "meta" }, h("span", {}, c.provider + " · " + c.model), h("span", {}, "attempt " + c.attempt),
        h("span", {}, "status " + (c.status_code ?? "–")), h("span", {}, "latency " + ms(c.latency_ms)),
        h("span", {}, "tokens " + (c.input_tokens ?? "–") + " in, " + (c.output_tokens ?? "–") + " out" + (c.cached_tokens ? ", " + c.cached_tokens + " cached" : "")),
        h("span", {}, "cost " + usd(c.cost_usd))),
      c.error ? h("div", { class: "panel err" }, h("strong", {}, "Error"), h("pre", {}, json(c.error))) : null,
      h("div", { class: "grid2" },
        h("section", {}, h("h2", {}, "Raw request"), h("pre", { id: "raw-request", tabindex: "0" }, json(c.request))),
        h("section", {}, h("h2", {}, "Raw response"), h("pre", { id: "raw-response", tabindex: "0" }, json(c.response)))),
      h("h2", {}, "Streamed events"),
      c.stream_events ? h("pre", { id: "stream-events", tabindex: "0" }, c.stream_events.map((e) => JSON.stringify(e)).join("\n")) : h("p", { class: "empty" }, "Not streamed."),
      h("h2", {}, "Response headers kept"),
      Object.keys(c.headers).length ? h("table", {}, h("tbody", {}, Object.entries(c.headers).map(([k, v]) => h("tr", {}, h("td", { class: "mono" }, k), h("td", { class: "mono" }, v)))))
        : h("p", { class: "empty" }, "None."),
    ].filter(Boolean));
  }

  // -- routing -----------------------------------------------------------------
  function route() {
    const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    if (parts[0] === "runs" && parts[1]) {
      if (parts[2] === "calls" && parts[3]) return showCall(parts[1], parts[3]);
      const selected = parts[2] === "steps" ? parts.slice(3).join("/") : null;
      if (page && page.runId === parts[1]) { page.selected = selected; return redraw(); }
      return showRun(parts[1], selected);
    }
    return showRuns();
  }
  // Ages move on without any change to the run.
  setInterval(() => {
    for (const cell of document.querySelectorAll("td[data-created]")) {
      cell.textContent = age(Number(cell.dataset.created));
    }
  }, 5000);
  window.addEventListener("hashchange", route);
  route();
})();
