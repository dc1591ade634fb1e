// Live calls: polls the staff-only JSON endpoint and redraws the calls in progress with their
// transcript. Markup matches voice/admin/live_calls.html (the first, server-rendered paint).
(function () {
    "use strict";

    const root = document.querySelector("[data-live-calls-url]");
    if (!root) {
        return;
    }
    const url = root.dataset.liveCallsUrl;
    const pollMs = Number(root.dataset.pollMs) || 2500;
    const single = root.dataset.single === "true";
    const list = root.querySelector(".v-live-list");
    const status = root.querySelector(".v-live-status");
    let fetchedAt = Date.now();
    let calls = [];

    function el(tag, className, text) {
        const node = document.createElement(tag);
        if (className) {
            node.className = className;
        }
        if (text !== undefined) {
            node.textContent = text;
        }
        return node;
    }

    function clock(seconds) {
        const total = Math.max(Math.floor(seconds), 0);
        const h = Math.floor(total / 3600);
        const m = Math.floor((total % 3600) / 60);
        const s = String(total % 60).padStart(2, "0");
        return h ? h + ":" + String(m).padStart(2, "0") + ":" + s : m + ":" + s;
    }

    function renderLine(line) {
        const kind = line.role === "caller" ? "caller" : line.role === "assistant" ? "assistant" : "note";
        const turn = el("div", "v-turn k-" + kind);
        const who = kind === "caller" ? "Caller" : kind === "assistant" ? "Assistant" : line.role;
        turn.appendChild(el("span", "v-who", who + (line.clock ? " · " + line.clock : "")));
        turn.appendChild(el("div", "v-bubble", line.text));
        return turn;
    }

    function renderCall(call) {
        const card = el("article", "v-live-call");
        card.dataset.vapiCallId = call.vapi_call_id;
        const header = el("header");
        const title = el("div");
        const link = el("a", "", call.who);
        link.href = call.url;
        title.appendChild(link);
        const meta = [call.direction_label, call.property].filter(Boolean).join(" · ");
        title.appendChild(el("div", "v-muted v-small", meta));
        header.appendChild(title);
        const right = el("div");
        right.appendChild(el("span", "v-pill o-live", call.status_label));
        right.appendChild(el("span", "v-elapsed v-muted v-small", " " + clock(call.elapsed_seconds)));
        header.appendChild(right);
        card.appendChild(header);
        const lines = el("div", "v-live-lines");
        if (call.lines.length) {
            call.lines.forEach(function (line) {
                lines.appendChild(renderLine(line));
            });
        } else {
            lines.appendChild(el("p", "v-empty", "Waiting for the first words…"));
        }
        card.appendChild(lines);
        return card;
    }

    // The dashboard's counter cards (voice/admin/dashboard.html): the feed sends them as
    // displayed, so a call that starts or ends moves "Today" without a reload.
    function renderWindows(windows) {
        windows.forEach(function (w) {
            const card = document.querySelector('[data-window="' + w.key + '"]');
            if (!card) {
                return;
            }
            Object.keys(w.metrics).forEach(function (name) {
                const node = card.querySelector('[data-metric="' + name + '"]');
                if (node) {
                    node.textContent = w.metrics[name];
                }
            });
            Object.keys(w.split).forEach(function (key) {
                const part = card.querySelector('[data-split="' + key + '"]');
                if (part) {
                    part.style.flex = String(w.split[key]);
                }
            });
            const split = card.querySelector(".v-split");
            if (split) {
                split.setAttribute("aria-label", w.split_label);
            }
        });
    }

    function render(data) {
        if (data.windows) {
            renderWindows(data.windows);
        }
        calls = data.calls;
        fetchedAt = Date.now();
        const scroll = {};
        list.querySelectorAll(".v-live-call").forEach(function (card) {
            const box = card.querySelector(".v-live-lines");
            scroll[card.dataset.vapiCallId] = box.scrollHeight - box.scrollTop - box.clientHeight < 24;
        });
        list.replaceChildren();
        if (!calls.length) {
            list.appendChild(
                el("p", "v-empty", single ? "The call has ended. Reload the page for the full conversation."
                                          : "No calls in progress right now.")
            );
        }
        calls.forEach(function (call) {
            const card = renderCall(call);
            list.appendChild(card);
            const box = card.querySelector(".v-live-lines");
            if (scroll[call.vapi_call_id] !== false) {
                box.scrollTop = box.scrollHeight;
            }
        });
        status.textContent = "Updated " + new Date().toLocaleTimeString();
    }

    function tick() {
        const extra = (Date.now() - fetchedAt) / 1000;
        list.querySelectorAll(".v-live-call").forEach(function (card, index) {
            const call = calls[index];
            const elapsed = card.querySelector(".v-elapsed");
            if (call && elapsed) {
                elapsed.textContent = " " + clock(call.elapsed_seconds + extra);
            }
        });
    }

    async function poll() {
        try {
            const response = await fetch(url, {
                credentials: "same-origin",
                headers: { Accept: "application/json" },
            });
            const type = response.headers.get("Content-Type") || "";
            if (!response.ok) {
                throw new Error("HTTP " + response.status);
            }
            if (!type.includes("application/json")) {
                throw new Error("signed out? reload the page");
            }
            render(await response.json());
        } catch (error) {
            status.textContent = "Live view paused (" + error.message + "); retrying…";
        } finally {
            window.setTimeout(poll, pollMs);
        }
    }

    list.querySelectorAll(".v-live-lines").forEach(function (box) {
        box.scrollTop = box.scrollHeight;
    });
    window.setInterval(tick, 1000);
    poll();
})();
