// A long job's page (imports/progress.html): reload it every data-refresh seconds while the job runs,
// so the progress moves without a <meta http-equiv="refresh"> (which screen readers and axe treat as
// a timing trap). Without JavaScript the page's 「最新の状況を見る」 link does the same by hand.
(function () {
  var el = document.querySelector("[data-refresh]");
  if (!el) return;
  var seconds = parseInt(el.getAttribute("data-refresh"), 10) || 3;
  window.setTimeout(function () {
    // Not while someone is reading with the keyboard inside the page.
    if (document.activeElement && document.activeElement !== document.body) return;
    window.location.reload();
  }, seconds * 1000);
})();
