// Progressive enhancement of the installation and run pages; both work without it.
// On a run's page, polls its progress endpoint while the run is queued or running and updates
// the outcome, the counts and the progress bar in place; once the run ends, reloads the page
// once to show its final log. On the installation page, a tick box above a backfill list
// ticks every invoice listed (the tick box appears only with this script). Text from the
// server is set with textContent, never as HTML.
"use strict";

(function () {
  const POLL_MS = 2000;

  function showProgress(root, state) {
    const status = root.querySelector("[data-run-status]");
    if (status) {
      status.textContent = state.status;
      status.className = `outcome outcome-${state.status}`;
    }
    const duration = root.querySelector("[data-run-duration]");
    if (duration) duration.textContent = state.duration;
    Object.entries(state.counts || {}).forEach(([kind, value]) => {
      const cell = root.querySelector(`[data-run-count="${kind}"]`);
      if (cell) cell.textContent = String(value);
    });
    const bar = root.querySelector("[data-run-progress]");
    const text = root.querySelector("[data-run-progress-text]");
    const p = state.progress || {};
    if (bar && p.total) {
      bar.max = p.total;
      bar.value = p.done || 0;
      bar.textContent = `${p.percent || 0}%`;
    }
    if (text) {
      let line = p.total ? `${p.done || 0} of ${p.total}` : `${state.status}…`;
      if (p.total && p.percent !== null && p.percent !== undefined) line += ` (${p.percent}%)`;
      if (p.message) line += `: ${p.message}`;
      text.textContent = line;
    }
  }

  function follow(root) {
    const url = root.dataset.progressUrl;
    const tick = () => {
      fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(String(r.status)))))
        .then((state) => {
          showProgress(root, state);
          if (state.active) setTimeout(tick, POLL_MS);
          else location.reload();
        })
        .catch(() => {});  // the Refresh link still works
    };
    setTimeout(tick, POLL_MS);
  }

  function selectAll(box) {
    const boxes = document.querySelectorAll(`input.${CSS.escape(box.dataset.selectAll)}`);
    boxes.forEach((item) => { item.checked = box.checked; });
  }

  document.addEventListener("DOMContentLoaded", () => {
    const run = document.querySelector("#run[data-active][data-progress-url]");
    if (run) follow(run);
    document.querySelectorAll("[data-select-all]").forEach((box) => {
      box.addEventListener("change", () => selectAll(box));
    });
    document.querySelectorAll("[data-reveal]").forEach((part) => { part.hidden = false; });
  });
})();
