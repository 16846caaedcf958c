/*
 * The judge's scoring page: running totals, ± buttons, submit → confirm → locked, and a queue
 * in localStorage so that a score entered while the venue network is down is kept on the
 * device and sent when it is back (on the `online` event and every 10 s).
 *
 * Each submission gets an id once, when it is queued; resending it is harmless because the
 * server recognises the id and accepts a submission exactly once. The queue survives a page
 * reload: queued cards are shown again as waiting to send.
 *
 * Replies: 200 → sent (removed from the queue, card locked); 400/403/409 with an error →
 * removed from the queue, the error shown and the card unlocked for correction; anything else
 * (no network, 401 logged out, 5xx, a page instead of JSON) → kept and retried.
 */
(function () {
  "use strict";

  var root = document.querySelector("[data-scoring]");
  if (!root) return;

  var api = root.dataset.api;
  var storageKey = "zhuangma.scoring.queue." + root.dataset.judge;
  var csrfInput = root.querySelector("input[name=csrfmiddlewaretoken]");
  var queueCount = document.querySelector("[data-queue-count]");
  var doneCount = document.querySelector("[data-done-count]");
  var RETRY_MS = 10000;
  var sending = false;

  function text(name, params) {
    var template = root.dataset["text" + name] || "";
    return template.replace(/%\((\w+)\)s/g, function (_, key) {
      return params && key in params ? params[key] : "";
    });
  }

  // --- the queue ------------------------------------------------------------------------

  function loadQueue() {
    try {
      var queue = JSON.parse(window.localStorage.getItem(storageKey) || "[]");
      return Array.isArray(queue) ? queue : [];
    } catch (error) {
      return [];
    }
  }

  function saveQueue(queue) {
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(queue));
    } catch (error) {
      /* private mode or full storage: the submission is still sent while the page is open */
    }
  }

  function removeFromQueue(id) {
    saveQueue(loadQueue().filter(function (item) { return item.submission_id !== id; }));
  }

  function newSubmissionId() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // randomUUID needs a secure context; a venue intranet on plain http has only this.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function showQueueCount() {
    var n = loadQueue().length;
    if (!queueCount) return;
    queueCount.hidden = n === 0;
    queueCount.textContent = n ? text("Waiting", { n: n }) : "";
  }

  function showDoneCount() {
    if (!doneCount) return;
    var done = root.querySelectorAll(".score-card[data-state=submitted]").length;
    doneCount.textContent = doneCount.dataset.text
      .replace("%(done)s", done)
      .replace("%(count)s", doneCount.dataset.count);
  }

  // --- cards ----------------------------------------------------------------------------

  function cardFor(appearance) {
    return root.querySelector('.score-card[data-appearance="' + appearance + '"]');
  }

  function inputsOf(card) {
    return Array.prototype.slice.call(card.querySelectorAll("input[data-criterion]"));
  }

  // Scores are on steps of at most two decimals: count in hundredths to add exactly.
  function hundredths(value) {
    return Math.round(parseFloat(value) * 100);
  }

  function formatHundredths(n) {
    var sign = n < 0 ? "-" : "";
    n = Math.abs(n);
    var whole = Math.floor(n / 100);
    var cents = n % 100;
    if (!cents) return sign + whole;
    return sign + whole + "." + (cents % 10 ? ("0" + cents).slice(-2) : String(cents / 10));
  }

  function updateTotal(card) {
    var sum = 0;
    inputsOf(card).forEach(function (input) {
      if (input.value !== "" && !isNaN(parseFloat(input.value))) sum += hundredths(input.value);
    });
    card.querySelector("[data-total]").textContent = formatHundredths(sum);
    return formatHundredths(sum);
  }

  function problemsOf(card) {
    var problems = [];
    inputsOf(card).forEach(function (input) {
      var params = {
        title: input.dataset.title,
        value: input.value,
        max: input.getAttribute("max"),
        step: input.getAttribute("step"),
      };
      var value = parseFloat(input.value);
      if (input.value.trim() === "" || isNaN(value)) {
        problems.push(text("Required", params));
      } else if (value < 0 || value > parseFloat(params.max)) {
        problems.push(text("Range", params));
      } else if (hundredths(value) % hundredths(params.step) !== 0) {
        problems.push(text("Step", params));
      }
    });
    return problems;
  }

  function showError(card, message) {
    var box = card.querySelector("[data-error]");
    box.textContent = message || "";
    box.hidden = !message;
  }

  function setState(card, state) {
    card.dataset.state = state;
    card.className = card.className.replace(/\bstate-\S+/g, "").trim() + " state-" + state;
    var badge = card.querySelector("[data-badge]");
    if (state === "pending") badge.textContent = text("Pending");
    else if (state === "submitted") badge.textContent = text("Submitted");
    else badge.textContent = "";
    showDoneCount();
  }

  function lock(card, state) {
    inputsOf(card).forEach(function (input) { input.readOnly = true; });
    card.querySelectorAll(".step-button, [data-submit]").forEach(function (el) { el.hidden = true; });
    card.querySelector("[data-confirm]").hidden = true;
    setState(card, state);
  }

  function unlock(card, message) {
    inputsOf(card).forEach(function (input) { input.readOnly = false; });
    card.querySelectorAll(".step-button, [data-submit]").forEach(function (el) { el.hidden = false; });
    setState(card, "new");
    showError(card, message);
  }

  function valuesOf(card) {
    var values = {};
    inputsOf(card).forEach(function (input) { values[input.dataset.criterion] = input.value.trim(); });
    return values;
  }

  // --- sending --------------------------------------------------------------------------

  function send(item) {
    return fetch(api, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfInput ? csrfInput.value : "",
      },
      body: JSON.stringify({
        appearance: item.appearance,
        values: item.values,
        submission_id: item.submission_id,
      }),
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) return { status: response.status, body: null };
      return response.json().then(function (body) {
        return { status: response.status, body: body };
      });
    });
  }

  function handle(item, reply) {
    var card = cardFor(item.appearance);
    var body = reply.body || {};
    if (reply.status === 200) {
      removeFromQueue(item.submission_id);
      if (card) {
        if (body.total !== undefined) card.querySelector("[data-total]").textContent = body.total;
        showError(card, "");
        lock(card, "submitted");
      }
      return true;
    }
    var refused = [400, 403, 409].indexOf(reply.status) !== -1 && body.error;
    if (refused) {
      removeFromQueue(item.submission_id);
      if (card) unlock(card, body.error);
      return true;
    }
    // Logged out, server error, a login page instead of JSON: keep it and try again later.
    if (card) showError(card, reply.status === 401 ? text("Login") : text("Offline"));
    return false;
  }

  function flush() {
    if (sending) return;
    var queue = loadQueue();
    showQueueCount();
    if (!queue.length) return;
    sending = true;
    var index = 0;
    function next() {
      if (index >= queue.length) return finish();
      var item = queue[index++];
      send(item).then(function (reply) {
        if (handle(item, reply)) next();
        else finish();
      }, function () {
        var card = cardFor(item.appearance);
        if (card) showError(card, text("Offline"));
        finish();
      });
    }
    function finish() {
      sending = false;
      showQueueCount();
    }
    next();
  }

  function enqueue(card) {
    var queue = loadQueue();
    var appearance = parseInt(card.dataset.appearance, 10);
    queue = queue.filter(function (item) { return item.appearance !== appearance; });
    queue.push({
      submission_id: newSubmissionId(),
      appearance: appearance,
      stage: parseInt(root.dataset.stage, 10),
      values: valuesOf(card),
      queued_at: new Date().toISOString(),
    });
    saveQueue(queue);
    lock(card, "pending");
    showQueueCount();
    flush();
  }

  // --- wiring ---------------------------------------------------------------------------

  root.querySelectorAll(".score-card").forEach(function (card) {
    var form = card.querySelector("[data-score-form]");
    var confirmBox = card.querySelector("[data-confirm]");
    card.addEventListener("input", function () { updateTotal(card); });
    card.querySelectorAll(".step-button").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = button.parentNode.querySelector("input");
        if (input.readOnly) return;
        var step = hundredths(input.getAttribute("step"));
        var max = hundredths(input.getAttribute("max"));
        var current = input.value === "" || isNaN(parseFloat(input.value)) ? 0 : hundredths(input.value);
        var moved = current + step * parseInt(button.dataset.step, 10);
        moved = Math.min(max, Math.max(0, Math.round(moved / step) * step));
        input.value = formatHundredths(moved);
        updateTotal(card);
      });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (card.dataset.state === "submitted" || card.dataset.state === "pending") return;
      var problems = problemsOf(card);
      if (problems.length) {
        showError(card, problems.join(" "));
        return;
      }
      showError(card, "");
      card.querySelector("[data-confirm-text]").textContent = text("Confirm", {
        total: updateTotal(card),
        code: card.dataset.code,
      });
      confirmBox.hidden = false;
      card.querySelector("[data-submit]").hidden = true;
      card.querySelector("[data-confirm-yes]").focus();
    });
    card.querySelector("[data-confirm-yes]").addEventListener("click", function () { enqueue(card); });
    card.querySelector("[data-confirm-no]").addEventListener("click", function () {
      confirmBox.hidden = true;
      card.querySelector("[data-submit]").hidden = false;
    });
  });

  // Submissions still queued from before a reload: show them as waiting to send.
  loadQueue().forEach(function (item) {
    var card = cardFor(item.appearance);
    if (!card || card.dataset.state === "submitted") return;
    inputsOf(card).forEach(function (input) {
      if (item.values && input.dataset.criterion in item.values) {
        input.value = item.values[input.dataset.criterion];
      }
    });
    updateTotal(card);
    lock(card, "pending");
  });

  window.addEventListener("online", flush);
  window.setInterval(flush, RETRY_MS);
  flush();
})();
