// Progressive enhancement of the admin pages; every page works without it.
// Filters Marketplace cards as you type, reads cron schedules aloud with their next runs,
// checks JSON editors as you type, fills pickers from the plugin's option source, and shows
// conditional fields when their condition holds. Text from the server is set with
// textContent, never as HTML.
"use strict";

(function () {
  const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content || "";

  function debounce(fn, ms) {
    let timer;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  function filterCards(input) {
    const terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    document.querySelectorAll(".category").forEach((section) => {
      let shown = 0;
      section.querySelectorAll(".card").forEach((card) => {
        const text = card.dataset.search || "";
        const match = terms.every((t) => text.includes(t));
        card.hidden = !match;
        if (match) shown += 1;
      });
      section.hidden = shown === 0;
    });
  }

  function showCron(input) {
    const target = document.getElementById(input.dataset.reading);
    const url = new URL(input.dataset.cronUrl, location.href);
    url.searchParams.set("expression", input.value);
    url.searchParams.set("timezone", input.dataset.timezone || "UTC");
    fetch(url, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((preview) => {
        target.replaceChildren();
        const line = document.createElement("p");
        if (!preview.ok) {
          line.textContent = preview.error;
          target.append(line);
          return;
        }
        line.textContent = `${preview.description} (${input.dataset.timezone || "UTC"}). Next runs:`;
        const list = document.createElement("ul");
        preview.next_runs.forEach((run) => {
          const item = document.createElement("li");
          item.textContent = run;
          list.append(item);
        });
        target.append(line, list);
      })
      .catch(() => {});
  }

  function checkJson(area) {
    const out = document.getElementById(`${area.id}-check`);
    try {
      JSON.parse(area.value);
    } catch (error) {
      out.textContent = `Not valid JSON: ${error.message}`;
      out.classList.add("bad");
      return;
    }
    const body = new URLSearchParams({ pointer: area.dataset.pointer, text: area.value });
    fetch(area.dataset.jsonCheckUrl, {
      method: "POST",
      body,
      headers: { Accept: "application/json", "X-CSRF-Token": csrf() },
    })
      .then((r) => r.json())
      .then((result) => {
        const problems = (result.errors || []).map((e) => `${e.pointer}: ${e.message}`);
        out.textContent = problems.length ? problems.join("; ") : "Valid.";
        out.classList.toggle("bad", problems.length > 0);
      })
      .catch(() => {});
  }

  function fillOptions(input) {
    if (input.dataset.loaded) return;
    input.dataset.loaded = "1";
    const list = document.getElementById(input.getAttribute("list"));
    const message = document.getElementById(input.dataset.optionsMessage);
    fetch(input.dataset.optionsUrl, { headers: { Accept: "application/json" } })
      .then((r) => r.json())
      .then((result) => {
        (result.options || []).forEach((option) => {
          const item = document.createElement("option");
          item.value = option.value;
          item.label = option.label;
          item.textContent = option.label;
          list.append(item);
        });
        const count = (result.options || []).length;
        if (result.message) message.textContent = result.message;
        else if (count) message.textContent = `${count} choices; typing a value also works.`;
        else message.textContent = "No choices found; type a value.";
      })
      .catch(() => { message.textContent = "Could not load the choices; type a value."; });
  }

  function controlValue(pointer) {
    const controls = document.getElementsByName(pointer);
    if (!controls.length) return null;
    const control = controls[0];
    if (control.type === "checkbox") return control.checked ? "true" : "false";
    return control.value;
  }

  function applyConditions() {
    document.querySelectorAll("[data-when-pointer]").forEach((field) => {
      const allowed = JSON.parse(field.dataset.whenValues || "[]");
      if (!allowed.length) return;
      const value = controlValue(field.dataset.whenPointer);
      if (value === null) return;
      const holds = allowed.includes(value) !== ("whenNegate" in field.dataset);
      field.hidden = !holds;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-filter-cards]").forEach((input) => {
      input.addEventListener("input", () => filterCards(input));
    });
    document.querySelectorAll("[data-cron-url]").forEach((input) => {
      input.addEventListener("input", debounce(() => showCron(input), 300));
    });
    document.querySelectorAll("[data-json-check-url]").forEach((area) => {
      area.addEventListener("input", debounce(() => checkJson(area), 400));
    });
    document.querySelectorAll("[data-options-url]").forEach((input) => {
      input.addEventListener("focus", () => fillOptions(input));
    });
    if (document.querySelector("[data-when-pointer]")) {
      document.addEventListener("change", applyConditions);
      document.addEventListener("input", applyConditions);
      applyConditions();
    }
  });
})();
