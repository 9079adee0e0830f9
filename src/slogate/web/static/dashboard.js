/* slogate dashboard: refresh live fragments and charts without a full reload.
 * No inline script anywhere: data comes from same-origin JSON endpoints and
 * data- attributes; fragments are server-rendered (escaped) HTML. */
(function () {
  "use strict";

  var body = document.body;
  var refreshMs = Math.max(1000, parseInt(body.getAttribute("data-refresh-ms"), 10) || 10000);
  var statusEl = document.querySelector(".refresh-status");
  var plotConfig = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };

  function say(text) {
    if (statusEl) { statusEl.textContent = text; }
  }

  function fetchOk(url, opts) {
    var o = opts || {};
    o.credentials = "same-origin";
    o.cache = "no-store";
    return fetch(url, o).then(function (r) {
      if (!r.ok) { throw new Error(url + " answered " + r.status); }
      return r;
    });
  }

  function refreshLive(el) {
    var url = el.getAttribute("data-live-url");
    return fetchOk(url, { headers: { Accept: "text/html" } })
      .then(function (r) { return r.text(); })
      .then(function (html) {
        /* Server-rendered with autoescape; the CSP forbids inline script anyway. */
        var active = document.activeElement;
        var keep = active && el.contains(active) ? active.id : null;
        el.innerHTML = html;
        if (keep) {
          var again = document.getElementById(keep);
          if (again) { again.focus(); }
        }
      });
  }

  function drawCharts(holder) {
    var url = holder.getAttribute("data-charts-url");
    return fetchOk(url, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (payload) {
        if (typeof window.Plotly === "undefined") { return; }
        var charts = payload.charts || {};
        document.querySelectorAll("[data-chart]").forEach(function (el) {
          var fig = charts[el.getAttribute("data-chart")];
          if (!fig) { return; }
          var hasData = (fig.data || []).some(function (t) { return (t.x || []).length > 0; });
          el.classList.toggle("empty", !hasData);
          el.setAttribute("data-points", String((fig.data || []).reduce(function (n, t) {
            return n + (t.x || []).length;
          }, 0)));
          window.Plotly.react(el, fig.data, fig.layout, plotConfig);
        });
      });
  }

  function tick() {
    var jobs = [];
    document.querySelectorAll("[data-live-url]").forEach(function (el) { jobs.push(refreshLive(el)); });
    document.querySelectorAll("[data-charts-url]").forEach(function (el) { jobs.push(drawCharts(el)); });
    return Promise.all(jobs).then(function () {
      body.setAttribute("data-refreshed-at", new Date().toISOString());
      say("Updated " + new Date().toLocaleTimeString() + ".");
    }).catch(function (err) {
      say("Refresh failed: " + err.message);
    });
  }

  function setupKillSwitch(form) {
    var result = form.querySelector(".ks-result");
    var submitter = null;
    form.querySelectorAll("button[name=on]").forEach(function (b) {
      b.addEventListener("click", function () { submitter = b; });
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var token = form.querySelector("#admin-token").value;
      var btn = ev.submitter || submitter;
      var on = btn ? btn.value === "true" : false;
      result.textContent = "Sending...";
      fetch(form.getAttribute("action"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + token },
        body: JSON.stringify({ on: on })
      }).then(function (r) {
        return r.json().then(function (data) { return { status: r.status, data: data }; });
      }).then(function (res) {
        if (res.status === 200) {
          result.textContent = "Kill switch is now " + (res.data.kill_switch ? "ON" : "OFF") + ".";
        } else {
          result.textContent = "Refused (" + res.status + "): " + (res.data.detail || res.data.error);
        }
        return tick();
      }).catch(function (err) {
        result.textContent = "Failed: " + err.message;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-kill-switch]").forEach(setupKillSwitch);
    tick();
    window.setInterval(tick, refreshMs);
  });
})();
