/* decompose: interactive dependency graph page. Data is inlined as JSON; no network. */
(function () {
  "use strict";
  var t0 = performance.now();
  var D = JSON.parse(document.getElementById("decompose-data").textContent);
  var KIND = {};
  D.kinds.forEach(function (k) { KIND[k.kind] = k; });
  var CYCLE = "#e41a1c";
  var CYCLE_BORDER = "#d6604d";
  var STRENGTH = {};
  D.strength.forEach(function (k, i) { STRENGTH[k] = i; });
  var EXTERNAL = "#f0f0f0";
  var state = { colorBy: D.hasProposal ? "service" : "app", hiddenKinds: {}, selected: null, view: "graph", minWeight: 1 };
  var BOX = "box:";  // id prefix of the compound node drawn around an app's (or a service's) nodes

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function colorOf(n) {
    if (n.type === "external") return EXTERNAL;
    var key = state.colorBy === "service" ? n.service : n.app;
    return (D.groupColors[state.colorBy] || {})[key] || "#cccccc";
  }

  document.getElementById("title").textContent = D.title;
  document.title = D.title;

  // ---- graph ------------------------------------------------------------
  var elements = [];
  if (D.boxes) {
    var boxColors = D.groupColors[D.hasProposal ? "service" : "app"] || {};
    var seen = {};
    D.nodes.forEach(function (n) {
      if (n.type === "external" || seen[n.group]) return;
      seen[n.group] = true;
      elements.push({ group: "nodes", classes: "box", data: { id: BOX + n.group, name: n.group, label: n.group, type: "box",
        box: true, color: boxColors[n.group] || "#dddddd", w: 18, h: 18, externals: [], cyc: false, lines: 0, modules: 0 } });
    });
  }
  D.nodes.forEach(function (n) {
    var longest = Math.max.apply(null, String(n.label).split("\n").map(function (l) { return l.length; }));
    var w = 18, h = 18;
    if (D.level === "app") {
      w = Math.max(60, 7.2 * longest + 18);
      h = Math.max(34, Math.min(90, 26 + 6 * Math.sqrt(n.modules || 1)));
    }
    var e = { group: "nodes", data: { id: n.id, label: n.label, type: n.type, app: n.app, service: n.service,
      lines: n.lines, modules: n.modules, path: n.path, color: colorOf(n), w: w, h: h,
      externals: n.externals || [], cyc: n.cycle !== undefined && n.cycle !== null } };
    if (n.x !== undefined) e.position = { x: n.x, y: n.y };
    if (D.boxes && n.type !== "external") e.data.parent = BOX + n.group;
    elements.push(e);
  });
  // Drawn edges: one per node pair with its kinds merged (D.merged), or one per kind. Each drawn edge
  // keeps the indices of its per-kind edges in D.edges, so kind toggles and the panel work the same way.
  var pairs = [];
  if (D.merged) {
    var byPair = {};
    D.edges.forEach(function (e, i) {
      var key = e.s + "\u0000" + e.t;
      if (!byPair[key]) { byPair[key] = { s: e.s, t: e.t, idx: [] }; pairs.push(byPair[key]); }
      byPair[key].idx.push(i);
    });
  } else {
    D.edges.forEach(function (e, i) { pairs.push({ s: e.s, t: e.t, idx: [i] }); });
  }
  pairs.forEach(function (p) {
    p.idx.sort(function (a, b) { return STRENGTH[D.edges[a].k] - STRENGTH[D.edges[b].k]; });
  });
  function shownKinds(p) { return p.idx.filter(function (i) { return !state.hiddenKinds[D.edges[i].k]; }); }
  var maxWeight = 1;
  function pairData(p, all) {
    var vis = shownKinds(p);
    if (!vis.length) return null;
    var first = D.edges[vis[0]], w = 0, fb = false;
    vis.forEach(function (i) { w += D.edges[i].w; fb = fb || D.edges[i].f; });
    if (!all && w < state.minWeight) return null;
    return { kind: first.k, weight: w, feedback: fb,
      label: vis.map(function (i) { return D.abbrev[D.edges[i].k] + D.edges[i].w; }).join(" "),
      color: fb ? CYCLE : KIND[first.k].color, lstyle: fb ? "solid" : KIND[first.k].style, width: Math.min(8, 1 + Math.log2(w)) };
  }
  pairs.forEach(function (p, j) {
    var d = pairData(p, true);
    maxWeight = Math.max(maxWeight, d.weight);
    d.id = "e" + j; d.source = p.s; d.target = p.t; d.idx = j;
    elements.push({ group: "edges", classes: d.feedback ? "feedback" : "", data: d });
  });

  var large = D.large;
  var cy = cytoscape({
    container: document.getElementById("cy"),
    elements: elements,
    minZoom: 0.02, maxZoom: 6,
    textureOnViewport: large, hideEdgesOnViewport: large, pixelRatio: large ? 1 : "auto",
    style: [
      { selector: "node", style: {
        "label": "data(label)", "background-color": "data(color)", "border-width": 1, "border-color": "#777",
        "font-size": D.level === "app" ? 13 : 9, "text-valign": D.level === "app" ? "center" : "bottom",
        "text-halign": "center", "text-wrap": D.level === "app" ? "wrap" : "none",
        "width": "data(w)", "height": "data(h)",
        "shape": D.level === "app" ? "round-rectangle" : "ellipse",
        "min-zoomed-font-size": large ? 7 : 0 } },
      { selector: "node[type = 'external']", style: { "border-style": "dashed", "color": "#666" } },
      { selector: "node[?cyc]", style: { "border-width": 2, "border-color": CYCLE_BORDER } },
      { selector: "edge", style: {
        "line-color": "data(color)", "target-arrow-color": "data(color)", "target-arrow-shape": "triangle",
        "line-style": "data(lstyle)", "width": "data(width)", "arrow-scale": 0.8,
        "curve-style": large ? "straight" : "bezier", "opacity": 0.8 } },
      { selector: "edge.feedback", style: { "width": "mapData(weight, 1, 50, 3, 8)", "opacity": 1, "z-index": 5 } },
      { selector: ".hidden", style: { "display": "none" } },
      { selector: ".faded", style: { "opacity": 0.1, "text-opacity": 0.2 } },
      { selector: "node.focus", style: { "border-width": 4, "border-color": "#000" } },
      { selector: "node.dep", style: { "border-width": 3, "border-color": "#1f77b4" } },
      { selector: "node.rdep", style: { "border-width": 3, "border-color": "#2ca02c" } },
      { selector: "edge.hl", style: { "opacity": 1, "width": 3, "label": "data(label)", "font-size": 10,
        "text-background-color": "#fff", "text-background-opacity": 0.8 } },
      { selector: "node.match", style: { "border-width": 4, "border-color": "#f5b700", "z-index": 10 } },
      { selector: "node[?box]", style: { "shape": "round-rectangle", "background-opacity": 0.12, "border-style": "dashed",
        "border-color": "#999", "border-width": 1, "text-valign": "top", "text-halign": "center", "font-size": 13,
        "font-weight": "bold", "padding": 10, "text-wrap": "none", "min-zoomed-font-size": 0 } },
      { selector: "node[?box].collapsed", style: { "background-opacity": 0.55, "border-style": "solid", "width": 60,
        "height": 30, "text-valign": "center" } },
      { selector: "node.folded", style: { "display": "none" } },
      { selector: "node.moved", style: { "border-width": 4, "border-color": "#6a3d9a", "border-style": "double", "z-index": 10 } },
      { selector: "edge.meta", style: { "line-style": "solid", "label": "data(label)", "font-size": 10,
        "text-background-color": "#fff", "text-background-opacity": 0.8 } },
      { selector: ".path", style: { "opacity": 1, "border-width": 4, "border-color": "#ff7f00", "line-color": "#ff7f00",
        "target-arrow-color": "#ff7f00", "width": 4, "z-index": 20 } }
    ],
    layout: D.layout === "preset" ? { name: "preset", fit: true, padding: 20 }
      : D.layout === "cose" ? { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 90, numIter: 1500 }
      : { name: "concentric", animate: false, concentric: function (n) { return n.degree(); }, levelWidth: function () { return 4; } }
  });

  function visibleEdges(coll) { return coll.filter(function (e) { return !e.hasClass("hidden") && !e.hasClass("meta"); }); }
  function drawn() { return cy.edges().not(".meta"); }
  function members() { return cy.nodes().not("[?box]"); }

  function clearHighlight() {
    cy.elements().removeClass("faded focus dep rdep hl path moved");
  }
  function kindBadge(kind) {
    var b = el("span", { "class": "kind" }, kind);
    b.style.background = KIND[kind].color;
    return b;
  }
  function evidenceList(ev, more) {
    var ul = el("ul");
    ev.forEach(function (x) {
      ul.appendChild(el("li", { "class": "ev" }, x[0] + ":" + x[1] + (x[2] ? "  " + x[2] : "")));
    });
    if (more > 0) ul.appendChild(el("li", { "class": "ev muted" }, "… and " + more + " more"));
    return ul;
  }
  function edgeItem(edge, peerId) {
    var p = pairs[edge.data("idx")];
    var li = el("li", { "class": "edge", "data-kind": edge.data("kind") });
    var peer = el("span", { "class": "peer" }, peerId);
    peer.addEventListener("click", function () { select(cy.getElementById(peerId), true); });
    li.appendChild(peer);
    li.appendChild(el("span", { "class": "muted" }, "  weight " + edge.data("weight")));
    if (edge.data("feedback")) li.appendChild(el("span", { "class": "cycle-note" }, "  cut to break an app cycle"));
    shownKinds(p).forEach(function (i) {
      var e = D.edges[i];
      var row = el("div", { "class": "kind-row", "data-kind": e.k });
      row.appendChild(kindBadge(e.k));
      row.appendChild(el("span", { "class": "muted" }, "weight " + e.w));
      row.appendChild(evidenceList(e.ev, e.more));
      li.appendChild(row);
    });
    return li;
  }
  function select(node, center) {
    clearHighlight();
    state.selected = node;
    var body = document.getElementById("panel-body");
    body.textContent = "";
    if (!node || node.empty()) { state.selected = null; return; }
    if (node.data("box")) { selectBox(node, center); return; }
    var out = visibleEdges(node.outgoers("edge"));
    var inc = visibleEdges(node.incomers("edge"));
    cy.elements().addClass("faded");
    node.removeClass("faded").addClass("focus");
    out.removeClass("faded").addClass("hl");
    out.targets().removeClass("faded").addClass("dep");
    inc.removeClass("faded").addClass("hl");
    inc.sources().removeClass("faded").addClass("rdep");
    var d = node.data();
    body.appendChild(el("h2", null, d.id));
    var facts = d.type === "external" ? "external package" :
      (d.type === "app" ? d.modules + " modules, " + d.lines + " lines" : (d.path || "") + " · " + d.lines + " lines · app " + d.app);
    if (d.service) facts += " · service " + d.service;
    body.appendChild(el("div", { "class": "muted" }, facts));
    if (d.externals.length) body.appendChild(el("div", { "class": "muted", id: "uses" }, "uses " + d.externals.join(", ")));
    if (d.cyc) body.appendChild(el("div", { "class": "cycle-note" }, "in an app dependency cycle"));
    var sortE = function (a, b) { return b.data("weight") - a.data("weight") || (a.id() < b.id() ? -1 : 1); };
    var h = el("h3", null, "Depends on (" + out.targets().length + " nodes, " + out.length + " edges)");
    h.id = "deps-title";
    body.appendChild(h);
    var ul = el("ul", { id: "deps" });
    out.sort(sortE).forEach(function (e) { ul.appendChild(edgeItem(e, e.target().id())); });
    body.appendChild(ul);
    h = el("h3", null, "Used by (" + inc.sources().length + " nodes, " + inc.length + " edges)");
    h.id = "rdeps-title";
    body.appendChild(h);
    ul = el("ul", { id: "rdeps" });
    inc.sort(sortE).forEach(function (e) { ul.appendChild(edgeItem(e, e.source().id())); });
    body.appendChild(ul);
    if (center) cy.animate({ center: { eles: node }, zoom: Math.max(cy.zoom(), 0.8) }, { duration: 200 });
  }
  function selectBox(box, center) {
    var body = document.getElementById("panel-body");
    var kids = box.children().sort(function (a, b) { return a.id() < b.id() ? -1 : 1; });
    cy.elements().addClass("faded");
    box.removeClass("faded").addClass("focus");
    kids.removeClass("faded");
    body.appendChild(el("h2", null, box.data("name")));
    body.appendChild(el("div", { "class": "muted" }, kids.length + " modules" + (collapsed[box.id()] ? " (collapsed: double-click to expand)" : " (double-click to collapse)")));
    var ul = el("ul", { id: "members" });
    kids.forEach(function (k) {
      var li = el("li", { "class": "edge" });
      var peer = el("span", { "class": "peer" }, k.id());
      peer.addEventListener("click", function () { if (collapsed[box.id()]) toggleBox(box); select(cy.getElementById(k.id()), true); });
      li.appendChild(peer);
      ul.appendChild(li);
    });
    body.appendChild(ul);
    if (center) cy.animate({ fit: { eles: box, padding: 40 } }, { duration: 200 });
  }

  // ---- boxes: collapse an app (or service) into one node, its edges summed --------------------------
  var collapsed = {};
  function rep(n) {
    var p = n.parent();
    return p.nonempty() && collapsed[p.id()] ? p.id() : n.id();
  }
  function rebuildMeta() {
    cy.batch(function () {
      cy.edges(".meta").remove();
      cy.nodes("[?box]").forEach(function (b) {
        var c = !!collapsed[b.id()];
        b.toggleClass("collapsed", c);
        b.children().toggleClass("folded", c);
        b.data("label", b.data("name") + (c ? " (" + b.children().length + ")" : ""));
      });
      var agg = {}, keys = [];
      drawn().forEach(function (e) {
        if (e.hasClass("hidden")) return;
        var s = rep(e.source()), t = rep(e.target());
        if ((s === e.source().id() && t === e.target().id()) || s === t) return;
        var k = s + "\u0000" + t;
        if (!agg[k]) { agg[k] = { s: s, t: t, w: 0, fb: false }; keys.push(k); }
        agg[k].w += e.data("weight");
        agg[k].fb = agg[k].fb || e.data("feedback");
      });
      keys.sort().forEach(function (k, i) {
        var a = agg[k];
        cy.add({ group: "edges", classes: "meta" + (a.fb ? " feedback" : ""), data: { id: "meta" + i, source: a.s, target: a.t,
          weight: a.w, label: String(a.w), kind: "meta", feedback: a.fb, color: a.fb ? CYCLE : "#777", lstyle: "solid",
          width: Math.min(8, 1 + Math.log2(a.w)) } });
      });
    });
  }
  function toggleBox(box) {
    collapsed[box.id()] = !collapsed[box.id()];
    rebuildMeta();
  }
  cy.on("dbltap", "node[?box]", function (evt) { toggleBox(evt.target); select(evt.target, false); });
  cy.on("tap", "node", function (evt) { select(evt.target, false); });
  cy.on("tap", function (evt) { if (evt.target === cy) { select(null); } });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && state.view === "graph") { select(null); }
  });

  // ---- search -----------------------------------------------------------
  var search = document.getElementById("search");
  var matches = cy.collection();
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    matches.removeClass("match");
    matches = q ? members().filter(function (n) { return n.id().toLowerCase().indexOf(q) >= 0; }) : cy.collection();
    matches.addClass("match");
    document.getElementById("search-count").textContent = q ? matches.length + " found" : "";
    return matches;
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (evt) {
    if (evt.key !== "Enter") return;
    var m = runSearch();
    var q0 = search.value.trim();
    var box = cy.getElementById(BOX + q0);
    if (box.nonempty()) { select(box, true); return; }  // an app's (service's) name: its box, not its empty __init__
    if (m.length) {
      var q = search.value.trim().toLowerCase();
      var exact = m.filter(function (n) { return n.id().toLowerCase() === q; });
      select(exact.length ? exact[0] : m.sort(function (a, b) { return a.id().length - b.id().length; })[0], true);
    }
  });

  // ---- edge kinds ---------------------------------------------------------
  var kindsBox = document.getElementById("kinds");
  var present = {};
  D.edges.forEach(function (e) { present[e.k] = (present[e.k] || 0) + 1; });
  D.kinds.forEach(function (k) {
    if (!present[k.kind]) return;
    var lab = el("label", { title: present[k.kind] + " edges" });
    var box = el("input", { type: "checkbox", "data-kind": k.kind, id: "kind-" + k.kind });
    box.checked = true;
    box.addEventListener("change", function () {
      state.hiddenKinds[k.kind] = !box.checked;
      refreshEdges();
    });
    var sw = el("span", { "class": "swatch" });
    sw.style.background = k.color;
    if (k.style !== "solid") sw.style.background = "repeating-linear-gradient(90deg," + k.color + " 0 4px, transparent 4px 7px)";
    lab.appendChild(box); lab.appendChild(sw); lab.appendChild(document.createTextNode(k.kind));
    kindsBox.appendChild(lab);
  });

  function refreshEdges() {
    cy.batch(function () {
      drawn().forEach(function (e) {
        var d = pairData(pairs[e.data("idx")]);
        e.toggleClass("hidden", d === null);
        if (d !== null) { e.data(d); e.toggleClass("feedback", d.feedback); }
      });
    });
    rebuildMeta();
    if (state.selected) select(state.selected, false);
    renderDsm();
  }

  // ---- weight threshold ---------------------------------------------------
  var slider = document.getElementById("min-weight");
  slider.max = String(maxWeight);
  slider.addEventListener("input", function () {
    state.minWeight = Number(slider.value);
    document.getElementById("min-weight-value").textContent = slider.value;
    refreshEdges();
  });

  // ---- cycles: the groups, the cycles and the cut `decompose analyze` lists -----------------------
  function appOf(n) { return n.data("box") ? null : (n.data("type") === "app" ? n.id() : n.data("app")); }
  function highlightApps(apps, hops) {
    clearHighlight();
    var inApps = {};
    apps.forEach(function (a) { inApps[a] = true; });
    var hopSet = {};
    hops.forEach(function (h) { hopSet[h[0] + "\u0000" + h[1]] = true; });
    cy.elements().addClass("faded");
    var nodes = members().filter(function (n) { return inApps[appOf(n)]; });
    nodes.removeClass("faded");
    nodes.parents().removeClass("faded");
    var edges = drawn().filter(function (e) {
      return !e.hasClass("hidden") && hopSet[appOf(e.source()) + "\u0000" + appOf(e.target())];
    });
    edges.removeClass("faded").addClass("hl");
    return edges;
  }
  function showCycles() {
    setView("graph");
    var C = D.cycles, body = document.getElementById("panel-body");
    body.textContent = "";
    body.appendChild(el("h2", null, "App cycles"));
    if (!C.groups.length) { body.appendChild(el("p", { id: "no-cycles" }, "No cycles between apps.")); clearHighlight(); return; }
    var apps = 0;
    C.groups.forEach(function (g) { apps += g.length; });
    body.appendChild(el("div", { "class": "muted" }, C.groups.length + " group(s) of " + apps + " apps that depend on each other in a circle (any kind of coupling); " + C.cycles.length + " cycle(s) listed" + (C.complete ? "" : ", more not listed") + "."));
    body.appendChild(el("h3", null, "Cut these to break every cycle (" + C.cut.length + ", minimal weight)"));
    var ul = el("ul", { id: "cut-hops" });
    C.cut.forEach(function (h) {
      var li = el("li", { "class": "hop cut-hop", "data-hop": h.source + ">" + h.target });
      li.appendChild(el("span", { "class": "peer" }, h.source + " → " + h.target));
      li.appendChild(el("span", { "class": "muted" }, "  " + h.kind + ", weight " + h.weight));
      var ev = el("ul");
      h.evidence.forEach(function (x) { ev.appendChild(el("li", { "class": "ev" }, x)); });
      li.appendChild(ev);
      li.addEventListener("click", function () { highlightApps([h.source, h.target], [[h.source, h.target]]); });
      ul.appendChild(li);
    });
    body.appendChild(ul);
    body.appendChild(el("h3", null, "Cycles"));
    ul = el("ul", { id: "cycle-list" });
    var cut = {};
    C.cut.forEach(function (h) { cut[h.source + "\u0000" + h.target] = true; });
    C.cycles.forEach(function (c) {
      var hops = c.map(function (a, i) { return [a, c[(i + 1) % c.length]]; });
      var li = el("li", { "class": "hop" }, c.concat([c[0]]).join(" → "));
      var cuts = hops.filter(function (h) { return cut[h[0] + "\u0000" + h[1]]; });
      li.appendChild(el("div", { "class": "muted" }, "cut: " + cuts.map(function (h) { return h[0] + " → " + h[1]; }).join(", ")));
      li.addEventListener("click", function () { highlightApps(c, hops); });
      ul.appendChild(li);
    });
    body.appendChild(ul);
    var all = [];
    C.groups.forEach(function (g) { all = all.concat(g); });
    highlightApps(all, C.hops.map(function (h) { return [h.source, h.target]; }));
  }
  document.getElementById("show-cycles").addEventListener("click", showCycles);

  // ---- proposal diff: who moves where from the proposal drawn to the one compared (graph --compare) ------
  function showDiff() {
    setView("graph");
    clearHighlight();
    var X = D.diff, body = document.getElementById("panel-body");
    body.textContent = "";
    body.appendChild(el("h2", null, "Proposal diff"));
    body.appendChild(el("div", { "class": "muted" }, X.moves.length + " move(s), " + X.same + " stay in a service of the same name."));
    var moved = {};
    X.moves.forEach(function (m) { moved[m[0]] = m; });
    body.appendChild(el("h3", null, "Flows"));
    var ul = el("ul", { id: "diff-flows" });
    X.flows.forEach(function (f) {
      var li = el("li", { "class": "move", "data-flow": f[0] + ">" + f[1] }, f[0] + " → " + f[1] + ": " + f[2]);
      li.addEventListener("click", function () {
        clearHighlight();
        cy.elements().addClass("faded");
        members().filter(function (n) { var m = moved[n.id()]; return m && m[1] === f[0] && m[2] === f[1]; })
          .removeClass("faded").addClass("focus");
      });
      ul.appendChild(li);
    });
    body.appendChild(ul);
    body.appendChild(el("h3", null, "Moves"));
    ul = el("ul", { id: "diff-moves" });
    X.moves.forEach(function (m) {
      var li = el("li", { "class": "move", "data-node": m[0] }, m[0] + ": " + m[1] + " → " + m[2]);
      li.addEventListener("click", function () { select(cy.getElementById(m[0]), true); });
      ul.appendChild(li);
    });
    body.appendChild(ul);
    cy.elements().addClass("faded");
    var lit = members().filter(function (n) { return !!moved[n.id()]; });
    lit.removeClass("faded").addClass("moved");
    return lit.map(function (n) { return n.id(); });
  }
  if (D.diff) {
    document.getElementById("show-diff").hidden = false;
    document.getElementById("show-diff").addEventListener("click", showDiff);
  }

  // ---- why does A depend on B: the shortest path through the shown edges, with evidence --------------
  function findNode(text) {
    var q = text.trim().toLowerCase();
    if (!q) return cy.collection();
    var exact = members().filter(function (n) { return n.id().toLowerCase() === q; });
    if (exact.nonempty()) return exact[0];
    var m = members().filter(function (n) { return n.id().toLowerCase().indexOf(q) >= 0; });
    return m.nonempty() ? m.sort(function (a, b) { return a.id().length - b.id().length || (a.id() < b.id() ? -1 : 1); })[0] : cy.collection();
  }
  function showPath(fromText, toText) {
    setView("graph");
    clearHighlight();
    var body = document.getElementById("panel-body");
    body.textContent = "";
    var a = findNode(fromText), b = findNode(toText);
    body.appendChild(el("h2", null, "Why does " + (a.nonempty() ? a.id() : fromText) + " depend on " + (b.nonempty() ? b.id() : toText) + "?"));
    if (a.empty() || b.empty()) { body.appendChild(el("p", { id: "path-none" }, "No node matches " + (a.empty() ? fromText : toText) + ".")); return null; }
    var eles = members().union(drawn().filter(function (e) { return !e.hasClass("hidden"); }));
    var found = eles.aStar({ root: a, goal: b, directed: true });
    if (!found.found) { body.appendChild(el("p", { id: "path-none" }, "No dependency path from " + a.id() + " to " + b.id() + " through the shown edges.")); return null; }
    cy.elements().addClass("faded");
    found.path.removeClass("faded").addClass("path");
    found.path.nodes().parents().removeClass("faded");
    var ol = el("ol", { id: "path-steps" });
    found.path.edges().forEach(function (e) {
      var li = el("li", { "class": "edge" });
      li.appendChild(el("span", { "class": "path-step" }, e.source().id() + " → " + e.target().id()));
      shownKinds(pairs[e.data("idx")]).forEach(function (i) {
        var x = D.edges[i];
        var row = el("div", { "class": "kind-row", "data-kind": x.k });
        row.appendChild(kindBadge(x.k));
        row.appendChild(el("span", { "class": "muted" }, "weight " + x.w));
        row.appendChild(evidenceList(x.ev, x.more));
        li.appendChild(row);
      });
      ol.appendChild(li);
    });
    body.appendChild(ol);
    cy.animate({ fit: { eles: found.path, padding: 60 } }, { duration: 200 });
    return found.path.nodes().map(function (n) { return n.id(); });
  }
  document.getElementById("path-go").addEventListener("click", function () {
    showPath(document.getElementById("path-from").value, document.getElementById("path-to").value);
  });

  // ---- export: the current view as PNG, the shown edges' evidence as CSV -----------------------------
  function download(blob, name) {
    var a = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  function csv() {
    var q = function (v) { v = String(v); return /[",\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v; };
    var rows = [["source", "target", "kind", "weight", "path", "line", "symbol"]];
    drawn().filter(function (e) { return !e.hasClass("hidden"); }).forEach(function (e) {
      shownKinds(pairs[e.data("idx")]).forEach(function (i) {
        var x = D.edges[i];
        x.ev.forEach(function (ev) { rows.push([x.s, x.t, x.k, x.w, ev[0], ev[1], ev[2] || ""]); });
      });
    });
    return rows.map(function (r) { return r.map(q).join(","); }).join("\n") + "\n";
  }
  document.getElementById("export-csv").addEventListener("click", function () {
    download(new Blob([csv()], { type: "text/csv" }), "decompose-evidence.csv");
  });
  document.getElementById("export-png").addEventListener("click", function () {
    download(cy.png({ output: "blob", full: true, bg: "#ffffff", scale: D.large ? 1 : 2, maxWidth: 8000, maxHeight: 8000 }), "decompose-graph.png");
  });

  // ---- colour by / legend -----------------------------------------------
  var colorBy = document.getElementById("color-by");
  if (!D.hasProposal) colorBy.querySelector("option[value=service]").disabled = true;
  colorBy.value = state.colorBy;
  function renderLegend() {
    var box = document.getElementById("legend");
    box.textContent = "";
    box.appendChild(el("strong", null, state.colorBy === "service" ? "Proposed services" : "Apps"));
    var colors = D.groupColors[state.colorBy] || {};
    var names = Object.keys(colors).sort();
    var items = el("div", { "class": "items" + (names.length > 8 ? " two" : "") });
    names.forEach(function (g) {
      var row = el("div", { "class": "legend-item", "data-group": g });
      var dot = el("span", { "class": "dot" });
      dot.style.background = colors[g];
      row.appendChild(dot); row.appendChild(document.createTextNode(" " + g));
      items.appendChild(row);
    });
    box.appendChild(items);
    if (D.edges.some(function (e) { return e.f; })) {
      var row = el("div", { id: "legend-cut" });
      var sw = el("span", { "class": "swatch" }); sw.style.background = CYCLE; sw.style.height = "5px";
      row.appendChild(sw); row.appendChild(document.createTextNode(" dependency to cut to break the app cycles"));
      box.appendChild(row);
      row = el("div");
      var dot = el("span", { "class": "dot" }); dot.style.border = "2px solid " + CYCLE_BORDER; dot.style.background = "#fff";
      row.appendChild(dot); row.appendChild(document.createTextNode(" app in a cycle"));
      box.appendChild(row);
    }
    box.appendChild(el("div", { "class": "muted" }, D.merged ? "one edge per pair, drawn as its strongest kind" : "one edge per kind"));
  }
  colorBy.addEventListener("change", function () {
    state.colorBy = colorBy.value;
    cy.batch(function () {
      members().forEach(function (n) { n.data("color", colorOf(n.data())); });
    });
    renderLegend();
  });
  renderLegend();

  // ---- adjacency matrix (DSM) -------------------------------------------
  state.dsmLevel = "app";
  function dsmSwitch(box) {
    if (!D.mdsm) return;
    var bar = el("div", { id: "dsm-level" });
    ["app", "module"].forEach(function (lvl) {
      var b = el("button", { type: "button", "class": "tab" + (state.dsmLevel === lvl ? " active" : ""), id: "dsm-" + lvl }, lvl === "app" ? "Apps" : "Modules");
      b.addEventListener("click", function () { state.dsmLevel = lvl; renderDsm(); });
      bar.appendChild(b);
    });
    box.appendChild(bar);
  }
  function renderModuleDsm(box) {
    var M = D.mdsm, n = M.modules.length;
    box.appendChild(el("p", { "class": "muted" }, "Row depends on column (summed weight). Modules come after what they depend on, so a mark above the diagonal (outlined red) is a dependency inside a cycle."));
    var table = el("table", { "class": "dsm mdsm" });
    var head = el("tr");
    head.appendChild(el("th"));
    var gStart = function (i) { return i > 0 && M.groups[i] !== M.groups[i - 1]; };
    M.modules.forEach(function (m, j) { head.appendChild(el("th", { "class": "col" + (gStart(j) ? " svc-start-col" : ""), title: m }, m)); });
    table.appendChild(head);
    var byRow = {};
    M.cells.forEach(function (c) { (byRow[c[0]] = byRow[c[0]] || {})[c[1]] = c; });
    for (var i = 0; i < n; i++) {
      var tr = el("tr", { "class": gStart(i) ? "svc-start-row" : "" });
      tr.appendChild(el("th", { "class": "row" }, M.modules[i] + "  [" + M.groups[i] + "]"));
      var row = byRow[i] || {};
      for (var j = 0; j < n; j++) {
        var td = el("td", { "class": gStart(j) ? "svc-start-col " : "" });
        if (i === j) td.className += "diag";
        else if (row[j]) {
          var c = row[j];
          td.className += "cell" + (j > i ? " cycle above" : "");
          td.textContent = c[2];
          td.style.background = "rgba(31,119,180," + (0.2 + 0.8 * Math.min(1, Math.log(1 + c[2]) / Math.log(30))).toFixed(2) + ")";
          td.title = M.modules[i] + " → " + M.modules[j] + ": weight " + c[2];
          td.addEventListener("click", (function (a, b) { return function () { setView("graph"); showPath(a, b); }; })(M.modules[i], M.modules[j]));
        }
        tr.appendChild(td);
      }
      table.appendChild(tr);
    }
    box.appendChild(table);
  }
  function renderDsm() {
    var box = document.getElementById("dsm");
    if (box.hidden) return;
    box.textContent = "";
    dsmSwitch(box);
    if (state.dsmLevel === "module" && D.mdsm) { renderModuleDsm(box); return; }
    var M = D.dsm, n = M.apps.length;
    var cells = {};
    var max = 1;
    M.cells.forEach(function (c) {
      var w = 0;
      Object.keys(c.k).forEach(function (k) { if (!state.hiddenKinds[k]) w += c.k[k]; });
      if (w > 0) { cells[c.r + "," + c.c] = { w: w, cell: c }; max = Math.max(max, w); }
    });
    box.appendChild(el("p", { "class": "muted" }, "Row depends on column (summed weight of the shown edge kinds). Apps ordered by "
      + (M.services ? "proposed service" : "name") + "; red outline: the two apps depend on each other."));
    var table = el("table", { "class": "dsm" });
    var head = el("tr");
    head.appendChild(el("th"));
    var svcStart = function (i) { return M.services && i > 0 && M.services[i] !== M.services[i - 1]; };
    M.apps.forEach(function (a, j) {
      var th = el("th", { "class": "col" + (svcStart(j) ? " svc-start-col" : ""), title: a }, a);
      head.appendChild(th);
    });
    table.appendChild(head);
    for (var i = 0; i < n; i++) {
      var tr = el("tr", { "class": svcStart(i) ? "svc-start-row" : "" });
      var label = M.apps[i] + (M.services ? "  [" + M.services[i] + "]" : "");
      tr.appendChild(el("th", { "class": "row" }, label));
      for (var j = 0; j < n; j++) {
        var td = el("td", { "class": (svcStart(j) ? "svc-start-col " : "") });
        if (i === j) { td.className += "diag"; tr.appendChild(td); continue; }
        var v = cells[i + "," + j];
        if (v) {
          td.textContent = v.w;
          td.className += "cell" + (cells[j + "," + i] ? " cycle" : "");
          var a = 0.15 + 0.85 * Math.log(1 + v.w) / Math.log(1 + max);
          td.style.background = "rgba(31,119,180," + a.toFixed(2) + ")";
          if (a > 0.6) td.style.color = "#fff";
          td.title = M.apps[i] + " → " + M.apps[j] + ": " + Object.keys(v.cell.k).map(function (k) { return k + " " + v.cell.k[k]; }).join(", ");
          td.addEventListener("click", showCell.bind(null, v.cell));
        }
        tr.appendChild(td);
      }
      table.appendChild(tr);
    }
    box.appendChild(table);
  }
  function showCell(c) {
    var M = D.dsm, body = document.getElementById("panel-body");
    body.textContent = "";
    body.appendChild(el("h2", null, M.apps[c.r] + " → " + M.apps[c.c]));
    var ul = el("ul");
    Object.keys(c.k).sort().forEach(function (k) {
      if (state.hiddenKinds[k]) return;
      var li = el("li", { "class": "edge", "data-kind": k });
      li.appendChild(kindBadge(k));
      li.appendChild(el("span", { "class": "muted" }, "weight " + c.k[k]));
      li.appendChild(evidenceList(c.ev[k] || [], c.k[k] - (c.ev[k] || []).length));
      ul.appendChild(li);
    });
    body.appendChild(ul);
  }
  function setView(v) {
    state.view = v;
    document.getElementById("cy").hidden = v !== "graph";
    document.getElementById("cy").style.display = v === "graph" ? "" : "none";
    document.getElementById("dsm").hidden = v !== "dsm";
    document.getElementById("legend").hidden = v !== "graph";
    document.getElementById("view-graph").classList.toggle("active", v === "graph");
    document.getElementById("view-dsm").classList.toggle("active", v === "dsm");
    if (v === "dsm") renderDsm(); else { cy.resize(); }
  }
  document.getElementById("view-graph").addEventListener("click", function () { setView("graph"); });
  document.getElementById("view-dsm").addEventListener("click", function () { setView("dsm"); });
  document.getElementById("fit").addEventListener("click", function () { cy.fit(undefined, 20); });

  // For scripted checks (tests, benchmarks): the live graph and timings.
  window.decompose = { cy: cy, select: select, setView: setView, state: state, data: D, timings: {},
    showCycles: showCycles, showPath: showPath, showDiff: showDiff, csv: csv, toggleBox: function (id) { toggleBox(cy.getElementById(id)); } };
  cy.ready(function () {
    if (cy.zoom() > 1.4) { cy.zoom(1.4); cy.center(); }
    window.decompose.timings.init = performance.now() - t0;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        window.decompose.timings.firstRender = performance.now() - t0;
        window.decompose.ready = true;
        document.body.setAttribute("data-ready", "true");
      });
    });
  });
})();
