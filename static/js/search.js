/* おでかけマップ search and activity pages: "near me" (geolocation) and the map, both optional
   extras. Without JavaScript the form, the list and the address do everything; this only adds. */
(function () {
  "use strict";
  var script = document.currentScript;
  var msg = function (name) { return (script && script.getAttribute("data-msg-" + name)) || ""; };

  Array.prototype.forEach.call(document.querySelectorAll(".js-only"), function (el) {
    el.hidden = false;
  });

  var form = document.getElementById("search-form");
  var button = document.getElementById("near-me");
  var status = document.getElementById("near-status");
  var nearInput = document.getElementById("near");

  function setHidden(name, value) {
    var input = form.querySelector("input[type=hidden][name=" + name + "]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      form.appendChild(input);
    }
    input.value = value;
  }

  function fallback(text) {
    status.textContent = text;
    button.disabled = false;
    if (nearInput) { nearInput.focus(); }
  }

  if (button && form) {
    button.addEventListener("click", function () {
      if (!("geolocation" in navigator)) { fallback(msg("unsupported")); return; }
      button.disabled = true;
      status.textContent = msg("locating");
      navigator.geolocation.getCurrentPosition(function (pos) {
        setHidden("lat", pos.coords.latitude.toFixed(6));
        setHidden("lon", pos.coords.longitude.toFixed(6));
        if (nearInput) { nearInput.value = ""; }
        form.submit();
      }, function () {
        fallback(msg("denied"));
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 });
    });
  }

  var quick = document.getElementById("near-me-quick");
  var filters = document.getElementById("filters");
  if (quick && button) {
    quick.addEventListener("click", function () {
      if (filters) { filters.open = true; }
      button.click();
      if (status) { status.scrollIntoView({ block: "nearest" }); }
    });
    if (filters) {
      /* One such button in view at a time: the panel's own once the panel is open. */
      var sync = function () { quick.parentNode.hidden = filters.open; };
      filters.addEventListener("toggle", sync);
      sync();
    }
  }

  /* The map: loaded straight away on wide screens, on a phone only when asked for, so an old
     phone on a slow line does not download Leaflet just to read the list. */
  var mapEl = document.getElementById("map");
  var panel = document.getElementById("map-panel");
  var toggle = document.getElementById("map-toggle");
  if (!mapEl) { return; }
  var loading = null;

  function loadCss(href) {
    var link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = href;
    document.head.appendChild(link);
  }
  function loadJs(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function loadMap() {
    if (loading) { return loading; }
    var d = mapEl.dataset;
    loadCss(d.leafletCss);
    if (d.clusterCss) { loadCss(d.clusterCss); }
    loading = loadJs(d.leafletJs)
      .then(function () { return d.clusterJs ? loadJs(d.clusterJs) : null; })
      .then(function () { return loadJs(d.mapJs); })
      .then(function () { return window.OdekakeMap.init(mapEl); })
      .catch(function () { panel.classList.add("map-panel--failed"); });
    return loading;
  }

  var wide = window.matchMedia && window.matchMedia("(min-width: 60em)");
  var results = document.getElementById("results");
  var toList = document.getElementById("view-list");
  var toMap = document.getElementById("view-map");

  function openMap() {
    panel.classList.add("map-panel--open");
    return loadMap().then(function () { if (window.OdekakeMap) { window.OdekakeMap.refresh(mapEl); } });
  }
  /* The list/map switch: links that work without JavaScript (?view=map); here an in-page switch
     that keeps the address in step, so reloading or sharing shows the same view. */
  function showView(map, href) {
    if (!results) { return; }
    results.classList.toggle("results--map", map);
    if (toList) { toList.toggleAttribute("aria-current", !map); if (!map) { toList.setAttribute("aria-current", "page"); } }
    if (toMap) { toMap.toggleAttribute("aria-current", map); if (map) { toMap.setAttribute("aria-current", "page"); } }
    if (href && window.history && window.history.replaceState) { window.history.replaceState(null, "", href); }
    if (map) { openMap(); } else if (!(wide && wide.matches)) { panel.classList.remove("map-panel--open"); }
  }
  [[toList, false], [toMap, true]].forEach(function (pair) {
    if (!pair[0]) { return; }
    pair[0].addEventListener("click", function (ev) {
      ev.preventDefault();
      showView(pair[1], pair[0].href.split("#")[0]);
    });
  });
  /* list → map: each card gets 「地図で見る」, which opens the map on its pin */
  var showLabel = mapEl.dataset.showOnMapLabel;
  Array.prototype.forEach.call(document.querySelectorAll("#result-list .activity-card[data-lat]"), function (card) {
    if (!showLabel) { return; }
    var b = document.createElement("button");
    b.type = "button";
    b.className = "link-button activity-card__to-map";
    b.textContent = showLabel;
    b.addEventListener("click", function () {
      if (!(wide && wide.matches)) { showView(true, toMap ? toMap.href.split("#")[0] : null); }
      openMap().then(function () {
        if (window.OdekakeMap && window.OdekakeMap.showPin(mapEl, card.dataset.id)) {
          mapEl.scrollIntoView({ block: "nearest" });
        }
      });
    });
    card.appendChild(b);
  });
  window.OdekakeView = { showList: function () { if (toList) { showView(false, toList.href.split("#")[0]); } } };

  /* the activity page: one button shows and hides its small map */
  if (toggle) {
    toggle.addEventListener("click", function () {
      var open = !panel.classList.contains("map-panel--open");
      panel.classList.toggle("map-panel--open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.textContent = open ? mapEl.dataset.closeLabel : mapEl.dataset.openLabel;
      if (open) { openMap(); }
    });
  }
  if ((wide && wide.matches) || (results && results.classList.contains("results--map"))) {
    openMap();
  }
})();
