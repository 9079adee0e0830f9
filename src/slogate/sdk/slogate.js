/*! slogate browser SDK: plain JavaScript, no build step.
 *
 *   <script src="/sdk/slogate.js"></script>
 *   slogate.init({endpoint: "/api/telemetry/ingest", token: "<ingest JWT>"});
 *   slogate.track("video_init_frame_ready", {time_to_ready_ms: 812});
 *
 * Events are batched (by size and time) and sent as text/plain JSON, which
 * needs no CORS preflight and is what sendBeacon sends. When the page is hidden
 * or left, the queue goes out with navigator.sendBeacon (fetch keepalive as the
 * fallback), within the browser's shared 64 KB budget for such bodies. Network
 * errors, 429, 502, 503 and 504 are retried with exponential backoff and jitter,
 * honouring Retry-After; other refusals are counted and dropped. Every event has
 * an event_id (UUID), so the readers drop a batch that was retried after its
 * answer was lost. Obvious PII is scrubbed before anything leaves the page.
 */
(function (global) {
  "use strict";

  var BEACON_BUDGET = 64000; // bytes, below the shared 64 KiB keepalive/beacon quota
  var RETRY_STATUSES = { 429: true, 502: true, 503: true, 504: true };
  var SESSION_KEY = "slogate.session_id";
  var FILTERED = "[Filtered]";
  var SENSITIVE_KEY = /pass(word|wd)?|secret|token|api[-_]?key|authori[sz]ation|cookie|session[-_]?token|card[-_]?(number|no)|cvv|cvc|ssn|iban|private[-_]?key/i;
  var EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
  var JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g;
  var BEARER = /\bbearer\s+[A-Za-z0-9._~+\/=-]{8,}/gi;
  var CARD = /\b(?:\d[ -]?){13,19}\b/g;
  var IPV4 = /\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b/g;
  var URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)[^\s\/:@]+:[^\s\/@]+@/gi;

  var config = null;
  var queue = [];
  var retryBatch = null; // the batch waiting for its retry (kept out of the queue)
  var inFlight = false;
  var inFlightKeepaliveBytes = 0; // counts against the shared keepalive/beacon budget
  var serverAskedToWait = false; // the last answer was 429/503 with a retry pending
  var timer = null;
  var retryTimer = null;
  var attempt = 0;
  var sessionId = null;
  var listening = false;
  var stats = { tracked: 0, sent: 0, accepted: 0, rejected: 0, retries: 0, beacons: 0, dropped: {} };

  function drop(reason, n) {
    stats.dropped[reason] = (stats.dropped[reason] || 0) + (n || 1);
  }

  function uuid() {
    var c = global.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = [];
    for (var j = 0; j < 16; j++) h.push((b[j] + 0x100).toString(16).slice(1));
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") +
      "-" + h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  function tabSession() {
    if (sessionId) return sessionId;
    try {
      sessionId = global.sessionStorage.getItem(SESSION_KEY);
      if (!sessionId) {
        sessionId = uuid();
        global.sessionStorage.setItem(SESSION_KEY, sessionId);
      }
    } catch (e) {
      sessionId = sessionId || uuid();
    }
    return sessionId;
  }

  function luhn(digits) {
    var sum = 0;
    var dbl = false;
    for (var i = digits.length - 1; i >= 0; i--) {
      var d = digits.charCodeAt(i) - 48;
      if (dbl) { d *= 2; if (d > 9) d -= 9; }
      sum += d;
      dbl = !dbl;
    }
    return sum % 10 === 0;
  }

  function scrubText(s) {
    if (s.length > 8192) s = s.slice(0, 8192);
    try { if (s.indexOf("%") >= 0) s = decodeURIComponent(s); } catch (e) { /* keep as is */ }
    return s
      .replace(URL_CREDENTIALS, "$1[credentials]@")
      .replace(JWT, "[jwt]")
      .replace(BEARER, "[bearer]")
      .replace(EMAIL, "[email]")
      .replace(CARD, function (m) {
        var digits = m.replace(/[ -]/g, "");
        return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? "[card]" : m;
      })
      .replace(IPV4, "[ip]");
  }

  function scrub(value, depth) {
    if (depth > 6) return null;
    if (typeof value === "string") return scrubText(value);
    if (value === null || typeof value === "number" || typeof value === "boolean") {
      return typeof value === "number" && !isFinite(value) ? null : value;
    }
    if (Array.isArray(value)) {
      var arr = [];
      for (var i = 0; i < value.length && i < 100; i++) arr.push(scrub(value[i], depth + 1));
      return arr;
    }
    if (typeof value === "object") {
      var out = {};
      for (var k in value) {
        if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
        if (k === "__proto__" || k === "constructor" || k === "prototype") continue;
        out[k] = SENSITIVE_KEY.test(k) ? FILTERED : scrub(value[k], depth + 1);
      }
      return out;
    }
    return null; // functions, symbols, undefined
  }

  function byteLength(s) {
    if (global.TextEncoder) return new TextEncoder().encode(s).length;
    return unescape(encodeURIComponent(s)).length;
  }

  function body(events) {
    var doc = { events: events };
    if (config.token) doc.token = config.token;
    return JSON.stringify(doc);
  }

  // Take events from the front of the queue: at most maxBatch, at most maxBytes of body.
  function takeBatch(maxBytes) {
    var batch = [];
    var now = new Date().toISOString();
    while (queue.length && batch.length < config.maxBatch) {
      var ev = queue[0];
      ev.sent_at = now;
      batch.push(ev);
      if (byteLength(body(batch)) > maxBytes) {
        batch.pop();
        if (!batch.length) { queue.shift(); drop("too_large"); continue; }
        break;
      }
      queue.shift();
    }
    return batch;
  }

  function parseRetryAfter(value) {
    if (!value) return 0;
    var secs = Number(value);
    if (!isNaN(secs)) return Math.max(0, secs * 1000);
    var when = Date.parse(value);
    return isNaN(when) ? 0 : Math.max(0, when - Date.now());
  }

  function backoffDelay(retryAfterMs) {
    var base = Math.min(config.maxBackoffMs, config.baseBackoffMs * Math.pow(2, attempt));
    var jittered = base / 2 + Math.random() * (base / 2);
    return Math.max(retryAfterMs, jittered);
  }

  function scheduleRetry(batch, retryAfterMs) {
    attempt += 1;
    stats.retries += 1;
    if (attempt > config.maxRetries) {
      drop("retries_exhausted", batch.length);
      attempt = 0;
      return;
    }
    retryBatch = batch;
    var delay = backoffDelay(retryAfterMs);
    stats.nextRetryMs = delay;
    retryTimer = setTimeout(function () { retryTimer = null; send(); }, delay);
  }

  function send() {
    if (!config || inFlight || retryTimer) return;
    var batch = retryBatch || takeBatch(config.maxBodyBytes);
    retryBatch = null;
    if (!batch.length) return;
    var payload = body(batch);
    var size = byteLength(payload);
    var keepalive = size <= BEACON_BUDGET - inFlightKeepaliveBytes;
    inFlight = true;
    if (keepalive) inFlightKeepaliveBytes += size;
    stats.sent += batch.length;
    var done = function () {
      inFlight = false;
      if (keepalive) inFlightKeepaliveBytes -= size;
    };
    global.fetch(config.endpoint, {
      method: "POST",
      body: payload,
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
      keepalive: keepalive,
      credentials: "omit",
      mode: "cors",
    }).then(function (res) {
      done();
      serverAskedToWait = false;
      if (res.ok) {
        attempt = 0;
        return res.json().then(function (answer) {
          stats.accepted += answer.accepted || 0;
          stats.rejected += (answer.rejected || []).length;
          if (answer.rejected && answer.rejected.length) drop("rejected_by_server", answer.rejected.length);
        }, function () {}).then(afterSend);
      }
      if (RETRY_STATUSES[res.status]) {
        stats.lastStatus = res.status;
        serverAskedToWait = res.status === 429 || res.status === 503;
        scheduleRetry(batch, parseRetryAfter(res.headers.get("Retry-After")));
        return;
      }
      attempt = 0;
      drop("http_" + res.status, batch.length);
      afterSend();
    }, function () {
      done();
      stats.lastStatus = 0;
      scheduleRetry(batch, 0);
    });
  }

  function afterSend() {
    if (queue.length >= config.maxBatch) send();
  }

  // Page hidden or left: everything queued goes out now, within the beacon budget
  // (shared with keepalive fetches still in flight). When the server asked us to
  // wait (429/503) and the page is only hidden, the queue stays for the pending
  // retry; when the page is left, this is the last chance, so it goes anyway.
  function flushOnHide(leaving) {
    if (!config) return;
    if (serverAskedToWait && !leaving) return;
    if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
    if (retryBatch) { queue = retryBatch.concat(queue); retryBatch = null; }
    var budget = BEACON_BUDGET - inFlightKeepaliveBytes;
    while (queue.length && budget > 200) {
      var batch = takeBatch(Math.min(config.maxBodyBytes, budget));
      if (!batch.length) break;
      var payload = body(batch);
      var size = byteLength(payload);
      var queued = false;
      try {
        queued = !!(global.navigator.sendBeacon &&
          global.navigator.sendBeacon(config.endpoint, payload));
      } catch (e) { queued = false; }
      if (!queued) {
        try {
          global.fetch(config.endpoint, {
            method: "POST", body: payload, keepalive: true, credentials: "omit", mode: "cors",
            headers: { "Content-Type": "text/plain;charset=UTF-8" },
          }).catch(function () {});
          queued = true;
        } catch (e) { queued = false; }
      }
      if (!queued) { queue = batch.concat(queue); break; } // over budget: keep for later
      budget -= size;
      stats.sent += batch.length;
      stats.beacons += 1;
    }
    if (queue.length) stats.pendingAtHide = queue.length;
    if (!leaving && queue.length) send();
  }

  function listen() {
    if (listening || !global.addEventListener) return;
    listening = true;
    global.document.addEventListener("visibilitychange", function () {
      if (global.document.visibilityState === "hidden") flushOnHide(false);
    });
    global.addEventListener("pagehide", function () { flushOnHide(true); });
  }

  function init(options) {
    options = options || {};
    config = {
      endpoint: options.endpoint || "/api/telemetry/ingest",
      token: options.token || null,
      flushIntervalMs: options.flushIntervalMs || 5000,
      maxBatch: Math.max(1, Math.min(options.maxBatch || 50, 50)),
      maxQueue: options.maxQueue || 1000,
      maxBodyBytes: Math.min(options.maxBodyBytes || 60000, BEACON_BUDGET),
      baseBackoffMs: options.baseBackoffMs || 1000,
      maxBackoffMs: options.maxBackoffMs || 60000,
      maxRetries: options.maxRetries === undefined ? 20 : options.maxRetries,
    };
    if (timer) clearInterval(timer);
    timer = setInterval(send, config.flushIntervalMs);
    tabSession();
    listen();
    return api;
  }

  function track(name, fields) {
    if (!config) init({});
    stats.tracked += 1;
    if (typeof name !== "string" || !name) { drop("invalid"); return false; }
    if (queue.length >= config.maxQueue) { drop("queue_full"); return false; }
    var ev = scrub(fields || {}, 0) || {};
    ev.event = name;
    ev.event_id = uuid();
    ev.session_id = tabSession();
    ev.ts = new Date().toISOString();
    queue.push(ev);
    if (queue.length >= config.maxBatch) send();
    return true;
  }

  function snapshot() {
    var copy = JSON.parse(JSON.stringify(stats));
    copy.queued = queue.length + (retryBatch ? retryBatch.length : 0);
    copy.sessionId = sessionId;
    return copy;
  }

  var api = {
    init: init,
    track: track,
    flush: send,
    stats: snapshot,
    scrubText: scrubText,
    _flushOnHide: function () { flushOnHide(true); },
  };
  global.slogate = api;
})(typeof window !== "undefined" ? window : this);
