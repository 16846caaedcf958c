// The exam's countdown. The server computed the seconds left when it sent the page; counting
// from the moment the page loaded (not from the phone's clock, which may be wrong) shows the
// time left, and when it reaches zero the answers are submitted. The server remains the judge:
// it accepts answers until its own deadline plus a short grace, whatever this page shows.
(function () {
  var box = document.querySelector("[data-exam-timer]");
  if (!box) return;
  var display = box.querySelector("[data-exam-timer-display]");
  var form = document.querySelector("[data-exam-form]");
  var left = parseInt(box.getAttribute("data-seconds-left"), 10);
  if (isNaN(left)) return;
  var end = Date.now() + left * 1000;
  var sent = false;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(seconds) {
    var h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60), s = seconds % 60;
    return (h ? h + ":" + pad(m) : pad(m)) + ":" + pad(s);
  }
  function send() {
    if (sent || !form) return;
    sent = true;
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    // submit() skips the submit event: no second send from the listener below.
    HTMLFormElement.prototype.submit.call(form);
  }
  if (form) {
    form.addEventListener("submit", function (event) {
      if (sent) { event.preventDefault(); return; }  // a second tap on a slow network
      sent = true;
      var button = form.querySelector("button[type=submit]");
      if (button) setTimeout(function () { button.disabled = true; }, 0);
    });
  }
  function tick() {
    var seconds = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    display.textContent = clock(seconds);
    if (seconds <= 60) box.classList.add("ending");
    if (seconds === 0) {
      var note = box.getAttribute("data-over-text");
      if (note) display.textContent = note;
      send();
      return;
    }
    setTimeout(tick, 250);
  }
  tick();
})();
