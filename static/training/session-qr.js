// The trainer's check-in screen: fetches the current QR code (it changes every window) and the
// live counts without reloading the page, and counts down to the next code.
(function () {
  "use strict";
  var box = document.getElementById("session-qr");
  if (!box) return;
  var image = document.getElementById("qr-image");
  var link = document.getElementById("qr-link");
  var expires = document.getElementById("qr-expires");
  var offline = document.getElementById("qr-offline");
  var counts = {
    confirmed: document.getElementById("count-confirmed"),
    checked_in: document.getElementById("count-in"),
    checked_out: document.getElementById("count-out")
  };
  var COUNTS_EVERY = 5; // seconds between polls while the code is still fresh
  var left = parseInt(box.dataset.expiresIn, 10) || 1;

  function show(data) {
    if (data.url !== box.dataset.scanUrl) {
      box.dataset.scanUrl = data.url;
      image.src = data.svg;
      link.href = data.url;
      link.textContent = data.url;
    }
    Object.keys(counts).forEach(function (key) {
      if (counts[key] && data[key] !== undefined) counts[key].textContent = String(data[key]);
    });
    left = data.expires_in;
    expires.textContent = String(left);
    offline.hidden = true;
  }

  function poll() {
    fetch(box.dataset.currentUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 409) { window.location.reload(); throw new Error("cancelled"); }
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(show)
      .catch(function () { offline.hidden = false; left = 0; })
      .then(function () {
        // Right after the code rotates (a little margin for clocks), or sooner for the counts.
        var wait = Math.min(left > 0 ? left : 2, COUNTS_EVERY);
        setTimeout(poll, wait * 1000 + 150);
      });
  }

  setInterval(function () {
    if (left > 0) { left -= 1; expires.textContent = String(left); }
  }, 1000);
  setTimeout(poll, Math.min(left, COUNTS_EVERY) * 1000 + 150);
})();
