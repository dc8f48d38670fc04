// Live status and progress for the staff pages. No inline scripts: the CSP allows only this file.
"use strict";

const POLL_MS = 1500;

async function poll(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  if (response.status === 401) {
    const body = await response.json().catch(() => ({}));
    window.location.assign(body.sign_in || "/sign-in?reason=idle");
    return null;
  }
  if (!response.ok) return null;
  return response.json();
}

function every(ms, step) {
  const run = async () => { if (await step()) window.setTimeout(run, ms); };
  window.setTimeout(run, ms);
}

// A job detail page: status text follows the job; when it settles, the result is fetched in.
function liveJob(el) {
  const url = el.dataset.liveJob;
  let shown = el.dataset.status;
  every(POLL_MS, async () => {
    const data = await poll(url);
    if (!data) return true;
    if (data.status !== shown) {
      shown = data.status;
      el.querySelectorAll("[data-status-label]").forEach((n) => { n.textContent = data.label; n.className = "badge " + data.status; });
      el.querySelectorAll("[data-next-step]").forEach((n) => { n.textContent = data.next_step; });
      el.querySelectorAll("[data-message]").forEach((n) => { n.textContent = data.message; });
    }
    if (data.open) return true;
    if (data.status === el.dataset.status) return false; // settled before the page loaded: keep what is shown (typed notes, errors)
    const target = document.getElementById("result");
    if (target && el.dataset.resultUrl) {
      const response = await fetch(el.dataset.resultUrl, { credentials: "same-origin" });
      if (response.ok) target.innerHTML = await response.text();
    }
    return false;
  });
}

// A list of jobs: each row's status follows its job while any is open.
function liveList(el) {
  every(POLL_MS * 2, async () => {
    const rows = [...el.querySelectorAll("[data-job-id]")].filter((r) => r.dataset.open === "true");
    if (!rows.length) return false;
    const data = await poll(el.dataset.liveList + "?ids=" + rows.map((r) => r.dataset.jobId).join(","));
    if (!data) return true;
    rows.forEach((row) => {
      const job = data[row.dataset.jobId];
      if (!job) return;
      const badge = row.querySelector("[data-status-label]");
      if (badge) { badge.textContent = job.label; badge.className = "badge " + job.status; }
      row.dataset.open = String(job.open);
    });
    return true;
  });
}

// A batch: the progress bar and counts follow the workers until every job has settled.
function liveBatch(el) {
  every(POLL_MS, async () => {
    const data = await poll(el.dataset.liveBatch);
    if (!data) return true;
    const bar = el.querySelector("progress");
    if (bar) { bar.max = data.total || 1; bar.value = data.done; }
    el.querySelectorAll("[data-count]").forEach((n) => { n.textContent = data[n.dataset.count]; });
    return data.done < data.total;
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-live-job]").forEach(liveJob);
  document.querySelectorAll("[data-live-list]").forEach(liveList);
  document.querySelectorAll("[data-live-batch]").forEach(liveBatch);
  document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
});
