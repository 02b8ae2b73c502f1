/* Leaflet map for the search results and activity pages. Loaded by search.js.

   Search results: the map's API (data-markers) answers pins (id, name, category, point) or, where a
   view holds too many, server-side clusters (a count, its centre and extent; issue 22). The first
   request sends the map's size (fit=w,h) and gets every match at the zoom that fits them; after
   that each move asks for the view (bbox and zoom, debounced). A cluster is a bubble with its
   count as text; a tap or Enter zooms into it. The line under the map says 「この範囲に N 件」
   (and how many listings have no place), so nothing is dropped silently; the list beside the map
   stays the way to read every result without the map. A pin's details (next date and time, place)
   are fetched when it is tapped. The search centre (a typed place, or the resident's position) is
   marked; 「現在地」 shows where the resident is.
   List ↔ map: a card's 「地図で見る」 opens its pin (zooming in first when it is inside a cluster),
   a pin's 「一覧で見る」 scrolls to its card.
   When the tiles cannot load (offline, blocked, the tile server down), the city outline, the
   小学校区 boundaries and town labels are drawn from the city's own district data instead.
   An element with data-lat/data-lon (activity page) gets one marker. */
(function () {
  "use strict";
  var DEFAULT_CENTER = [34.692, 135.700];
  var TILE_GIVE_UP_MS = 4000;
  var TOWN_LABEL_ZOOM = 14;
  var maps = new WeakMap();
  var state = new WeakMap();

  function json(text, fallback) {
    try { return JSON.parse(text || ""); } catch (e) { return fallback; }
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text) { e.textContent = text; }
    return e;
  }

  /* category pins: the category colour and its icon from the page's sprite */
  function pinIcon(cat, cats, icons) {
    // The colour comes from the category's CSS class (badge--<code>): the CSP forbids inline styles.
    var safe = cats[cat] ? String(cat).replace(/[^a-z0-9_]/g, "") : "";
    var html = '<span class="pin__body' + (safe ? " badge--" + safe : " pin__body--plain") + '">';
    if (icons[cat]) {
      html += '<svg class="pin__icon" aria-hidden="true" focusable="false"><use href="#i-' + String(icons[cat]).replace(/[^a-z0-9_-]/g, "") + '"></use></svg>';
    }
    html += "</span>";
    return L.divIcon({ className: "pin", html: html, iconSize: [36, 36], iconAnchor: [18, 18], popupAnchor: [0, -16] });
  }

  function centreIcon(me) {
    return L.divIcon({
      className: me ? "centre centre--me" : "centre",
      html: '<span class="centre__dot"></span>', iconSize: [28, 28], iconAnchor: [14, 14]
    });
  }

  function fmtWhen(iso, lang) {
    var d = new Date(iso);
    if (isNaN(d)) { return ""; }
    var opts = { timeZone: "Asia/Tokyo", month: "long", day: "numeric", weekday: "short", hour: "2-digit", minute: "2-digit" };
    try { return new Intl.DateTimeFormat(lang === "en" ? "en-GB" : "ja-JP", opts).format(d); } catch (e) { return iso; }
  }

  function popupBox(name, label) {
    var box = el("div", "map-popup");
    box.appendChild(el("strong", "map-popup__name", name));
    if (label) { box.appendChild(el("div", "map-popup__cat", label)); }
    box.appendChild(el("div", "map-popup__more"));
    return box;
  }

  function fillDetails(box, item, d) {
    var more = box.querySelector(".map-popup__more");
    more.textContent = "";
    var lang = document.documentElement.lang || "ja";
    if (item.next_occurrences && item.next_occurrences.length) {
      var when = el("p", "map-popup__when");
      when.appendChild(el("span", "map-popup__label", d.nextLabel || ""));
      when.appendChild(document.createTextNode(" " + fmtWhen(item.next_occurrences[0], lang)));
      more.appendChild(when);
    } else if (item.schedule_text) {
      more.appendChild(el("p", "map-popup__when", item.schedule_text));
    }
    if (item.place_name) { more.appendChild(el("p", "map-popup__place", item.place_name)); }
  }

  function addLinks(box, id, d, onList) {
    var links = el("p", "map-popup__links");
    var detail = el("a", "map-popup__link", d.detailLabel || "");
    detail.href = (d.detailBase || "/activities/") + id;
    links.appendChild(detail);
    if (onList) {
      var toCard = el("button", "map-popup__to-card link-button", d.toListLabel || "");
      toCard.type = "button";
      toCard.addEventListener("click", function () { onList(id); });
      links.appendChild(toCard);
    }
    box.appendChild(links);
  }

  function pin(lat, lon, id, cat, name, cats, icons, d, onList) {
    var m = L.marker([lat, lon], { icon: pinIcon(cat, cats, icons), title: name, alt: name, keyboard: true });
    var box = popupBox(name, (cats[cat] || {}).label);
    if (id) { addLinks(box, id, d, onList); }
    m.bindPopup(box, { maxWidth: 280 });
    if (id && d.itemBase) {
      var loaded = false;
      m.on("popupopen", function () {
        if (loaded) { return; }
        fetch(d.itemBase + id, { headers: { Accept: "application/json" } })
          .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
          .then(function (item) { loaded = true; fillDetails(box, item, d); m.getPopup().update(); })
          .catch(function () { /* the name and the link are enough */ });
      });
    }
    m.odekakeId = id;
    return m;
  }

  /* the fallback base layer */
  function drawBasemap(map, url) {
    return fetch(url, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        map.getContainer().classList.add("map--fallback");
        var layer = L.geoJSON(data, {
          filter: function (f) { return f.geometry && f.geometry.type !== "Point"; },
          style: function (f) {
            return f.properties.kind === "city"
              ? { color: "#333", weight: 3, fill: true, fillColor: "#f7f4ea", fillOpacity: 1 }
              : { color: "#6b6b6b", weight: 1.5, dashArray: "4 4", fill: false };
          },
          interactive: false
        }).addTo(map);
        layer.bringToBack();
        // District names always; town names once zoomed in (at city scale they would pile up).
        var towns = L.layerGroup();
        (data.features || []).forEach(function (f) {
          if (!f.geometry || f.geometry.type !== "Point") { return; }
          var c = f.geometry.coordinates;
          var district = f.properties.kind === "district_label";
          var label = L.marker([c[1], c[0]], {
            interactive: false, keyboard: false,
            icon: L.divIcon({ className: district ? "map-label map-label--district" : "map-label", html: "", iconSize: [0, 0] })
          });
          label.on("add", function () { label.getElement().textContent = f.properties.name; });
          if (district) { label.addTo(map); } else { towns.addLayer(label); }
        });
        function townsByZoom() {
          if (map.getZoom() >= TOWN_LABEL_ZOOM) { towns.addTo(map); } else { map.removeLayer(towns); }
        }
        map.on("zoomend", townsByZoom);
        townsByZoom();
      });
  }

  function watchTiles(map, tiles, d) {
    var loaded = 0;
    var failed = false;
    function fail() {
      if (failed || !d.basemap) { return; }
      failed = true;
      map.removeLayer(tiles);
      drawBasemap(map, d.basemap).catch(function () { /* the pins still show */ });
    }
    tiles.on("tileload", function () { loaded += 1; });
    tiles.on("tileerror", function () { if (!loaded) { fail(); } });
    if (navigator.onLine === false) { fail(); }
    window.setTimeout(function () { if (!loaded) { fail(); } }, TILE_GIVE_UP_MS);
  }

  function locateControl(map, d) {
    if (!("geolocation" in navigator) || !d.locateLabel) { return; }
    var me = null;
    var Control = L.Control.extend({
      options: { position: "topleft" },
      onAdd: function () {
        var b = el("button", "map-locate", d.locateLabel);
        b.type = "button";
        L.DomEvent.disableClickPropagation(b);
        b.addEventListener("click", function () {
          navigator.geolocation.getCurrentPosition(function (pos) {
            var at = [pos.coords.latitude, pos.coords.longitude];
            if (me) { map.removeLayer(me); }
            me = L.marker(at, { icon: centreIcon(true), title: d.meLabel || "", alt: d.meLabel || "", keyboard: false }).addTo(map);
            map.setView(at, Math.max(map.getZoom(), 15));
          }, function () { b.textContent = d.locateFailedLabel || d.locateLabel; });
        });
        return b;
      }
    });
    map.addControl(new Control());
  }

  function init(mapEl) {
    var d = mapEl.dataset;
    // maxZoom on the map itself: the clusterer walks the zoom levels down from it, and once a failed
    // tile layer is removed the map would have none (an endless loop in markercluster).
    var map = L.map(mapEl, { scrollWheelZoom: false, maxZoom: 18, minZoom: 8 });
    maps.set(mapEl, map);
    var tiles = L.tileLayer(d.tiles, { attribution: d.attribution || "", maxZoom: 18 }).addTo(map);
    watchTiles(map, tiles, d);
    var cats = json(d.categories, {});
    var icons = json(d.icons, {});
    var group = L.markerClusterGroup
      ? L.markerClusterGroup({ showCoverageOnHover: false, animate: false, animateAddingMarkers: false, maxClusterRadius: 40 })
      : L.featureGroup();
    map.addLayer(group);
    var hasCentre = !!d.centerLat;
    var centre = hasCentre ? [parseFloat(d.centerLat), parseFloat(d.centerLon)] : DEFAULT_CENTER;
    map.setView(centre, 14);
    if (hasCentre) {
      var me = d.centerKind === "me";
      L.marker(centre, { icon: centreIcon(me), title: d.centerLabel || "", alt: d.centerLabel || "", keyboard: false, zIndexOffset: 1000 })
        .addTo(map).bindTooltip(d.centerLabel || "", { permanent: true, direction: "top", offset: [0, -14], className: "centre-label" });
      if (d.radius) {
        L.circle(centre, { radius: parseFloat(d.radius), color: "#0b5394", weight: 2, dashArray: "6 6", fill: false, interactive: false }).addTo(map);
      }
    }
    locateControl(map, d);

    if (d.lat && d.lon) {  // activity page: one pin
      var one = pin(parseFloat(d.lat), parseFloat(d.lon), null, d.cat, d.name || "", cats, icons, d, null);
      group.addLayer(one);
      map.setView([parseFloat(d.lat), parseFloat(d.lon)], 16);
      return Promise.resolve(map);
    }

    var byId = {};
    var clusters = L.layerGroup().addTo(map);
    var st = { map: map, group: group, byId: byId, pending: null };
    state.set(mapEl, st);
    function onList(id) { showCard(id); }
    var status = document.getElementById("map-status");

    function show(features, fit) {
      group.clearLayers();
      Object.keys(byId).forEach(function (k) { delete byId[k]; });
      var markers = [];
      features.forEach(function (f) {
        if (!f.geometry || f.geometry.type !== "Point") { return; }
        var p = f.properties || {};
        var c = f.geometry.coordinates;
        // the map API's short keys (n name, c category); the list's own names as the fallback
        var m = pin(c[1], c[0], f.id || p.id, p.c || p.category, p.n || p.name || "", cats, icons, d, onList);
        byId[m.odekakeId] = m;
        markers.push(m);
      });
      group.addLayers ? group.addLayers(markers) : markers.forEach(function (m) { group.addLayer(m); });
      if (fit && markers.length) {
        var bounds = L.featureGroup(markers).getBounds();
        if (hasCentre) { bounds.extend(centre); }
        map.fitBounds(bounds.pad(0.1), { maxZoom: 16, animate: false });
      }
    }
    function fromList() {
      var out = [];
      Array.prototype.forEach.call(document.querySelectorAll("#result-list [data-lat][data-lon]"), function (li) {
        out.push({ type: "Feature", geometry: { type: "Point", coordinates: [parseFloat(li.dataset.lon), parseFloat(li.dataset.lat)] },
                   properties: { id: parseInt(li.dataset.id, 10), name: li.dataset.name, category: li.dataset.cat } });
      });
      return out;
    }
    function say(text) { if (status) { status.textContent = text || ""; } }
    function fill(label, values) {
      return String(label || "").replace(/%\((\w+)\)s/g, function (all, key) { return key in values ? values[key] : all; });
    }

    if (!d.markers) { show(fromList(), true); return Promise.resolve(map); }

    /* Server-side clusters: a bubble with the count as text; a tap (or Enter) zooms into it. */
    function zoomInto(p, c) {
      var z = map.getZoom();
      var b = p.b;
      if (b && (b[0] !== b[2] || b[1] !== b[3])) {
        var bounds = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
        var target = Math.max(map.getBoundsZoom(bounds.pad(0.1)), z + 1);
        map.setView(bounds.getCenter(), Math.min(target, map.getMaxZoom()));
      } else {
        map.setView([c[1], c[0]], Math.min(z + 2, map.getMaxZoom()));
      }
    }
    function bubble(f) {
      var p = f.properties;
      var c = f.geometry.coordinates;
      var count = parseInt(p.k, 10) || 0;
      var width = Math.max(44, 20 + 10 * String(count).length);
      var label = fill(d.clusterLabel, { n: count });
      var icon = L.divIcon({ className: "marker-cluster map-cluster", html: "<div>" + count + "</div>", iconSize: [width, 44] });
      // above the base layer's district and town labels (markers too, stacked by latitude)
      var m = L.marker([c[1], c[0]], { icon: icon, title: label, keyboard: true, riseOnHover: true, zIndexOffset: 500 });
      m.on("add", function () { var e = m.getElement(); if (e) { e.setAttribute("aria-label", label); } });
      m.on("click", function () { zoomInto(p, c); });
      // role="button": Enter and Space act as a tap (Leaflet does this only for markers with a popup)
      m.on("keypress", function (e) {
        var k = e.originalEvent.keyCode;
        if (k === 13 || k === 32) { e.originalEvent.preventDefault(); zoomInto(p, c); }
      });
      return m;
    }

    /* What the drawn answer covers: every match (the first view) or the view it was asked for. */
    var covered = null;
    var last = null;
    var unlocated = 0;
    var seq = 0;
    function ask(params) {
      var mine = ++seq;
      return fetch(d.markers + params, { headers: { Accept: "application/geo+json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) { return mine === seq ? data : null; });  // a newer view asked meanwhile
    }
    function draw(data) {
      var pins = [];
      var bubbles = [];
      (data.features || []).forEach(function (f) {
        if (!f.geometry || f.geometry.type !== "Point") { return; }
        if (f.properties && f.properties.k) { bubbles.push(bubble(f)); } else { pins.push(f); }
      });
      clusters.clearLayers();
      show(pins, false);
      bubbles.forEach(function (m) { clusters.addLayer(m); });
      last = data;
      if (st.pending && byId[st.pending]) { var id = st.pending; st.pending = null; openPin(st, map, id); }
    }
    function tell() {
      if (!last) { return; }
      var n = last.mapped;
      if (!last.clustered) {
        // Pins: counted in the current view (the answer may cover more than the view).
        var view = map.getBounds();
        n = 0;
        Object.keys(byId).forEach(function (k) { if (view.contains(byId[k].getLatLng())) { n += 1; } });
      }
      var gap = (document.documentElement.lang || "ja") === "ja" ? "" : " ";  // 「…件。数字の丸は…」
      var text = fill(d.areaLabel, { n: n });
      if (last.clustered) { text += gap + (d.clusterHint || ""); }
      if (unlocated > 0) { text += gap + fill(d.unlocatedLabel, { n: unlocated }); }
      say(text);
    }
    function box(bounds) {
      var w = Math.max(-180, bounds.getWest()), s = Math.max(-90, bounds.getSouth());
      var e = Math.min(180, bounds.getEast()), n = Math.min(90, bounds.getNorth());
      return [w, s, e, n].map(function (x) { return x.toFixed(5); }).join(",");
    }
    function refresh() {
      var z = map.getZoom();
      var view = map.getBounds();
      // Pins are pins at any zoom: no request while the answer's pins cover the view.
      if (covered && !covered.clustered && (covered.all || covered.bounds.contains(view))) { tell(); return Promise.resolve(); }
      if (covered && covered.clustered && covered.zoom === z && covered.bounds && covered.bounds.equals(view)) { tell(); return Promise.resolve(); }
      return ask("&zoom=" + z + "&bbox=" + box(view)).then(function (data) {
        if (!data) { return; }
        covered = { all: false, clustered: !!data.clustered, zoom: z, bounds: view };
        draw(data);
        tell();
      });
    }
    var timer = null;
    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { refresh().catch(function () { /* keep what is shown */ }); }, 250);
    }
    var size = map.getSize();
    // The first view: every match at the zoom that fits them in this map (one request).
    return ask("&fit=" + Math.max(1, Math.round(size.x)) + "," + Math.max(1, Math.round(size.y)))
      .then(function (data) {
        if (!data) { return; }
        unlocated = Math.max(0, (data.total || 0) - (data.mapped || 0));
        if (data.extent) {
          var e = data.extent;
          var bounds = L.latLngBounds([e[1], e[0]], [e[3], e[2]]);
          if (hasCentre) { bounds.extend(centre); }
          map.fitBounds(bounds.pad(0.1), { maxZoom: 16, animate: false });
        }
        covered = { all: true, clustered: !!data.clustered, zoom: data.zoom, bounds: map.getBounds() };
        draw(data);
        map.on("moveend", later);
        if (data.clustered && map.getZoom() !== data.zoom) { return refresh(); }
        tell();
      })
      .catch(function () { show(fromList(), true); })
      .then(function () { return map; });
  }

  function openPin(st, map, id) {
    var m = st.byId[id];
    map.closePopup();
    function open() {
      var visible = st.group.getVisibleParent ? st.group.getVisibleParent(m) : m;
      if (visible === m) {
        m.openPopup();
      } else {
        // Still inside a cluster (several listings at one place): the popup opens at the place.
        m.getPopup().setLatLng(m.getLatLng()).openOn(map);
        m.fire("popupopen");
      }
    }
    map.setView(m.getLatLng(), Math.max(map.getZoom(), 17), { animate: false });
    window.setTimeout(open, 100);  // after the clusterer has redrawn for the new view
  }

  /* list → map: open a listing's pin (inside a server cluster: zoom to it, open once drawn) */
  function showPin(mapEl, id) {
    var map = maps.get(mapEl);
    var st = state.get(mapEl);
    if (!map || !st) { return false; }
    map.invalidateSize();
    if (st.byId[id]) { openPin(st, map, id); return true; }
    var card = document.querySelector('#result-list [data-id="' + id + '"]');
    if (!card || !card.dataset.lat) { return false; }
    st.pending = String(id);
    map.setView([parseFloat(card.dataset.lat), parseFloat(card.dataset.lon)], 17, { animate: false });
    return true;
  }

  /* map → list: scroll to a listing's card (on a phone, switch to the list first) */
  function showCard(id) {
    var card = document.querySelector('#result-list [data-id="' + id + '"]');
    if (!card) { window.location.href = "/activities/" + id; return; }
    if (window.OdekakeView) { window.OdekakeView.showList(); }
    Array.prototype.forEach.call(document.querySelectorAll(".activity-card--linked"), function (c) {
      c.classList.remove("activity-card--linked");
    });
    card.classList.add("activity-card--linked");
    card.scrollIntoView({ block: "center" });
    var link = card.querySelector("a");
    if (link) { link.focus({ preventScroll: true }); }
  }

  function refresh(el) {
    var map = maps.get(el);
    if (map) { map.invalidateSize(); }
  }

  window.OdekakeMap = { init: init, refresh: refresh, showPin: showPin, showCard: showCard };
})();
