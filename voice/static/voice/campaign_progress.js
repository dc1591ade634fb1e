// A campaign's live progress: polls the admin's JSON (campaign_progress, the same numbers as the
// API) and redraws the counters, the status and the calls in progress of
// templates/admin/voice/campaign/progress.html. Stops once the campaign is finished or cancelled.
(function () {
    "use strict";

    const root = document.querySelector("[data-campaign-progress-url]");
    if (!root) {
        return;
    }
    const url = root.dataset.campaignProgressUrl;
    const pollMs = Number(root.dataset.pollMs) || 2000;
    let stopped = false;

    function setText(node, text) {
        if (node && node.textContent !== text) {
            node.textContent = text;
        }
    }

    function money(value) {
        return value === null || value === undefined ? "—" : "$" + Number(value).toFixed(2);
    }

    function renderCalls(calls) {
        const body = root.querySelector("#campaign-calls tbody");
        if (!body) {
            return;
        }
        body.replaceChildren();
        if (!calls.length) {
            const row = document.createElement("tr");
            row.className = "v-empty";
            const cell = document.createElement("td");
            cell.colSpan = 4;
            cell.textContent = "No call in progress.";
            row.appendChild(cell);
            body.appendChild(row);
            return;
        }
        for (const call of calls) {
            const row = document.createElement("tr");
            row.dataset.callLog = String(call.call_log_id);
            const who = document.createElement("td");
            const link = document.createElement("a");
            link.href = call.url;
            link.textContent = call.lead_name || "Unknown lead";
            who.appendChild(link);
            row.appendChild(who);
            for (const text of [call.number, call.started_display, call.status_label]) {
                const cell = document.createElement("td");
                cell.textContent = text;
                row.appendChild(cell);
            }
            body.appendChild(row);
        }
    }

    function render(data) {
        const status = root.querySelector("#campaign-status");
        setText(status, data.status_label);
        if (status) {
            status.dataset.status = data.status;
        }
        setText(root.querySelector("#campaign-started"), data.started_display || "—");
        setText(root.querySelector("#campaign-finished"), data.finished_display || "—");
        const counters = Object.assign({}, data.states, {
            contacts: data.contacts,
            attempts: data.attempts,
            calls_in_progress: data.calls_in_progress,
            tours_booked: data.tours_booked,
        });
        for (const node of root.querySelectorAll("[data-counter]")) {
            const value = counters[node.dataset.counter];
            if (value !== undefined) {
                setText(node, String(value));
            }
        }
        for (const node of root.querySelectorAll("[data-money]")) {
            setText(node, money(data[node.dataset.money]));
        }
        renderCalls(data.calls);
        root.dataset.ended = data.ended ? "true" : "false";
    }

    function stop(note) {
        stopped = true;
        setText(root.querySelector("#campaign-poll-state"), note);
    }

    async function poll() {
        let response;
        try {
            response = await fetch(url, {
                credentials: "same-origin",
                headers: { Accept: "application/json" },
            });
        } catch (error) {
            return; // a network blip: the next tick tries again
        }
        if (!response.ok) {
            // Logged out or access withdrawn: polling again would fail the same way.
            stop("(live updates stopped: HTTP " + response.status + ")");
            return;
        }
        const data = await response.json();
        render(data);
        if (data.ended) {
            stop("");
        }
    }

    // One request at a time: the next poll is timed from the end of the last.
    function tick() {
        poll().finally(function () {
            if (!stopped) {
                window.setTimeout(tick, pollMs);
            }
        });
    }

    if (root.dataset.ended !== "true") {
        window.setTimeout(tick, pollMs);
    }
})();
