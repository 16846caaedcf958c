// Polls a background job's status and reloads the page when the job has moved on.
(function () {
  var box = document.querySelector("[data-progress-url]");
  if (!box) return;
  var bar = document.getElementById("job-progress");
  function poll() {
    fetch(box.dataset.progressUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        bar.value = job.progress;
        if (job.running) { setTimeout(poll, 1000); } else { window.location.reload(); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
