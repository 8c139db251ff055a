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
  // id prefix of the node drawn as a frame around an app's (or a service's) nodes, or as one node for them
  // all when the box is collapsed (a plain node, not a Cytoscape compound: adding nodes to a compound
  // restyles its other children, which made expanding a 187-module app take seconds)
  var BOX = "box:";

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
  // The page keeps the whole graph in D; Cytoscape holds only what is shown. A box (an app's or a
  // service's nodes, D.boxes) is either expanded (its nodes drawn inside it) or collapsed (one node,
  // its nodes not in Cytoscape at all, their edges summed onto it). Large pages start collapsed, so
  // the first render draws a few dozen boxes, not thousands of modules; a box expands on demand.
  var NODE = {}, BOXES = {}, boxNames = [];
  D.nodes.forEach(function (n) {
    NODE[n.id] = n;
    if (!n.box) return;
    if (!BOXES[n.box]) { BOXES[n.box] = { name: n.box, members: [] }; boxNames.push(n.box); }
    BOXES[n.box].members.push(n.id);
  });
  boxNames.sort();
  var collapsed = {};  // box id -> true when folded into one node
  var reserved = {};  // box id -> true when the space its nodes need is free around it (expanding moves nothing)
  boxNames.forEach(function (b) { if (D.collapsed) collapsed[BOX + b] = true; else reserved[BOX + b] = true; });
  // A box's nodes are drawn at its centre plus their offset: from the layout, then where they were
  // when the box was last collapsed (so a box expands where it is, as it was).
  var offset = {}, centre0 = {};
  boxNames.forEach(function (b) {
    var ids = BOXES[b].members, xs = [], ys = [];
    ids.forEach(function (id) { if (NODE[id].x !== undefined) { xs.push(NODE[id].x); ys.push(NODE[id].y); } });
    if (xs.length !== ids.length) return;
    var c = centre0[b] = { x: (Math.min.apply(null, xs) + Math.max.apply(null, xs)) / 2, y: (Math.min.apply(null, ys) + Math.max.apply(null, ys)) / 2 };
    ids.forEach(function (id) { offset[id] = { x: NODE[id].x - c.x, y: NODE[id].y - c.y }; });
  });
  function offsetOf(id) {
    if (!offset[id]) {  // never laid out (a browser layout started collapsed): a grid by name
      var ids = BOXES[NODE[id].box].members.slice().sort(), i = ids.indexOf(id), cols = Math.ceil(Math.sqrt(ids.length));
      offset[id] = { x: (i % cols - (cols - 1) / 2) * 160, y: (Math.floor(i / cols) - (cols - 1) / 2) * 40 };
    }
    return offset[id];
  }
  // The room a box's nodes take, labels (under the nodes) and the box's padding and title included.
  function regionSize(name) {
    var x1 = Infinity, x2 = -Infinity, y1 = Infinity, y2 = -Infinity;
    BOXES[name].members.forEach(function (id) {
      var o = offsetOf(id), half = Math.max(9, String(NODE[id].label).length * 2.7);
      x1 = Math.min(x1, o.x - half); x2 = Math.max(x2, o.x + half); y1 = Math.min(y1, o.y - 9); y2 = Math.max(y2, o.y + 24);
    });
    return { w: x2 - x1 + 50, h: y2 - y1 + 70 };
  }
  function boxColor(name) {
    return (D.groupColors[D.hasProposal ? "service" : "app"] || {})[name] || (name === "(external)" ? EXTERNAL : "#dddddd");
  }
  function boxElement(name) {
    var B = BOXES[name], n = B.members.length;
    var c = !!collapsed[BOX + name];
    var e = { group: "nodes", classes: "box" + (c ? " collapsed" : ""), data: { id: BOX + name, name: name, label: name, type: "box", box: true,
      color: boxColor(name), w: Math.max(60, 7.2 * Math.max(name.length, (n + " modules").length) + 18), h: Math.max(34, Math.min(90, 26 + 6 * Math.sqrt(n))),
      externals: [], cyc: B.members.some(function (id) { return NODE[id].cycle !== undefined && NODE[id].cycle !== null; }),
      lines: 0, modules: n } };
    e.data.fw = e.data.w; e.data.fh = e.data.h;  // the frame's size, once its nodes are drawn (updateFrames)
    var at = c && D.boxPos[name] ? { x: D.boxPos[name][0], y: D.boxPos[name][1] } : centre0[name];
    if (at) e.position = { x: at.x, y: at.y };
    return e;
  }
  function nodeElement(n, centre) {
    var longest = Math.max.apply(null, String(n.label).split("\n").map(function (l) { return l.length; }));
    var w = 18, h = 18;
    if (D.level === "app") {
      w = Math.max(60, 7.2 * longest + 18);
      h = Math.max(34, Math.min(90, 26 + 6 * Math.sqrt(n.modules || 1)));
    }
    var e = { group: "nodes", data: { id: n.id, label: n.label, type: n.type, app: n.app, service: n.service,
      lines: n.lines, modules: n.modules, path: n.path, color: colorOf(n), w: w, h: h,
      externals: n.externals || [], cyc: n.cycle !== undefined && n.cycle !== null } };
    if (n.box && centre) { var o = offsetOf(n.id); e.position = { x: centre.x + o.x, y: centre.y + o.y }; }
    else if (n.x !== undefined) e.position = { x: n.x, y: n.y };
    if (n.box) e.data.inBox = n.box;
    return e;
  }
  // the nodes drawn inside an expanded box; the frames around some nodes
  function kidsOf(box) {
    if (collapsed[box.id()]) return cy.collection();
    return cy.collection(BOXES[box.data("name")].members.map(function (id) { return cy.getElementById(id); }).filter(function (n) { return n.nonempty(); }));
  }
  function framesOf(nodes) {
    var ids = {};
    nodes.forEach(function (n) { if (n.data("inBox")) ids[BOX + n.data("inBox")] = true; });
    return cy.collection(Object.keys(ids).sort().map(function (id) { return cy.getElementById(id); }));
  }
  // an expanded box's frame: around its nodes and their labels
  var FRAME_PAD = 12;
  function updateFrames(boxes) {
    boxes.forEach(function (box) {
      if (collapsed[box.id()]) return;
      var kids = kidsOf(box);
      if (kids.empty()) return;
      var b = kids.boundingBox({ includeLabels: true, includeOverlays: false });
      box.position({ x: (b.x1 + b.x2) / 2, y: (b.y1 + b.y2) / 2 });
      box.data({ fw: b.w + 2 * FRAME_PAD, fh: b.h + 2 * FRAME_PAD });
    });
  }
  function shownNode(id) { var n = NODE[id]; return !n.box || !collapsed[BOX + n.box]; }
  function rep(id) { var n = NODE[id]; return n.box && collapsed[BOX + n.box] ? BOX + n.box : id; }

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
  var pairsOf = {};  // node id -> indices of the pairs it is an end of
  pairs.forEach(function (p, j) {
    (pairsOf[p.s] = pairsOf[p.s] || []).push(j);
    if (p.t !== p.s) (pairsOf[p.t] = pairsOf[p.t] || []).push(j);
  });
  function shownKinds(p) { return p.idx.filter(function (i) { return !state.hiddenKinds[D.edges[i].k]; }); }
  var maxWeight = 1;
  function pairData(p, all, anyKind) {
    var vis = anyKind ? p.idx : shownKinds(p);
    if (!vis.length) return null;
    var first = D.edges[vis[0]], w = 0, fb = false;
    vis.forEach(function (i) { w += D.edges[i].w; fb = fb || D.edges[i].f; });
    if (!all && w < state.minWeight) return null;
    return { kind: first.k, weight: w, feedback: fb,
      label: vis.map(function (i) { return D.abbrev[D.edges[i].k] + D.edges[i].w; }).join(" "),
      color: fb ? CYCLE : KIND[first.k].color, lstyle: fb ? "solid" : KIND[first.k].style, width: Math.min(8, 1 + Math.log2(w)) };
  }
  function edgeElement(j) {
    var p = pairs[j], d = pairData(p, true) || pairData(p, true, true);
    var hidden = pairData(p) === null;
    d.id = "e" + j; d.source = p.s; d.target = p.t; d.idx = j;
    return { group: "edges", classes: (d.feedback ? "feedback" : "") + (hidden ? " hidden" : ""), data: d };
  }
  pairs.forEach(function (p) {
    var w = 0;
    p.idx.forEach(function (i) { w += D.edges[i].w; });
    maxWeight = Math.max(maxWeight, w);
  });
  var elements = [];
  boxNames.forEach(function (b) { elements.push(boxElement(b)); });
  D.nodes.forEach(function (n) { if (shownNode(n.id)) elements.push(nodeElement(n, n.box ? centre0[n.box] : null)); });
  pairs.forEach(function (p, j) { if (shownNode(p.s) && shownNode(p.t)) elements.push(edgeElement(j)); });

  var large = D.large;
  var cy = cytoscape({
    container: document.getElementById("cy"),
    elements: elements,
    minZoom: 0.02, maxZoom: 4,
    textureOnViewport: large, hideEdgesOnViewport: large, pixelRatio: large ? 1 : "auto",
    style: [
      { selector: "node", style: {
        "label": "data(label)", "background-color": "data(color)", "border-width": 1, "border-color": "#777",
        "font-size": D.level === "app" ? 13 : 9, "text-valign": D.level === "app" ? "center" : "bottom",
        "text-halign": "center", "text-wrap": D.level === "app" ? "wrap" : "none",
        "width": "data(w)", "height": "data(h)",
        "shape": D.level === "app" ? "round-rectangle" : "ellipse",
        "min-zoomed-font-size": large ? 7 : 0, "z-index-compare": "manual", "z-index": 6 } },
      { selector: "node[type = 'external']", style: { "border-style": "dashed", "color": "#666" } },
      { selector: "node[?cyc]", style: { "border-width": 2, "border-color": CYCLE_BORDER } },
      { selector: "edge", style: {
        "line-color": "data(color)", "target-arrow-color": "data(color)", "target-arrow-shape": "triangle",
        "line-style": "data(lstyle)", "width": "data(width)", "arrow-scale": 0.8,
        "curve-style": large ? "straight" : "bezier", "opacity": 0.8, "z-index-compare": "manual", "z-index": 1 } },
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
        "font-weight": "bold", "text-wrap": "none", "min-zoomed-font-size": 0, "width": "data(fw)", "height": "data(fh)",
        "z-index": 0 } },
      { selector: "node[?box].collapsed", style: { "background-opacity": 0.55, "border-style": "solid", "width": "data(w)",
        "height": "data(h)", "text-valign": "center", "text-wrap": "wrap", "font-weight": "normal", "z-index": 6 } },
      { selector: "node[?box][?cyc]", style: { "border-width": 2, "border-color": CYCLE_BORDER } },
      { selector: "node.folded", style: { "display": "none" } },
      { selector: "node.moved", style: { "border-width": 4, "border-color": "#6a3d9a", "border-style": "double", "z-index": 10 } },
      { selector: ".path", style: { "opacity": 1, "border-width": 4, "border-color": "#ff7f00", "line-color": "#ff7f00",
        "target-arrow-color": "#ff7f00", "width": 4, "z-index": 20 } }
    ],
    layout: D.layout === "preset" ? { name: "preset", fit: false }
      : D.layout === "cose" ? { name: "cose", animate: false, randomize: false, nodeRepulsion: 9000, idealEdgeLength: 90, numIter: 1500 }
      : { name: "concentric", animate: false, concentric: function (n) { return n.degree(); }, levelWidth: function () { return 4; } }
  });

  // Show these elements whole, zoomed in no further than FOCUS_ZOOM: a small collapsed box fitted to
  // the window would zoom in 6 times, where the canvas takes seconds to dash edges thousands of pixels long.
  var FOCUS_ZOOM = 1.5;
  function focusOn(eles, padding) {
    var bb = eles.boundingBox();
    var z = Math.min(FOCUS_ZOOM, cy.width() / (bb.w + 2 * padding), cy.height() / (bb.h + 2 * padding));
    cy.animate({ zoom: z, center: { eles: eles } }, { duration: 200 });
  }
  function visibleEdges(coll) { return coll.filter(function (e) { return !e.hasClass("hidden"); }); }
  function drawn() { return cy.edges().not(".meta"); }
  // the pairs (indices in `pairs`) a drawn edge stands for: its own, or those summed onto a collapsed box
  function pairsDrawn(e) { return e.hasClass("meta") ? e.data("pidx") : [e.data("idx")]; }
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
  // each shown kind of a pair, with its evidence (an edge summed onto a collapsed box: of each of its pairs)
  var PAIRS_LISTED = 12;
  function pairRows(li, j, named) {
    if (named) li.appendChild(el("div", { "class": "path-step" }, pairs[j].s + " → " + pairs[j].t));
    shownKinds(pairs[j]).forEach(function (i) {
      var e = D.edges[i];
      var row = el("div", { "class": "kind-row", "data-kind": e.k });
      row.appendChild(kindBadge(e.k));
      row.appendChild(el("span", { "class": "muted" }, "weight " + e.w));
      row.appendChild(evidenceList(e.ev, e.more));
      li.appendChild(row);
    });
  }
  function pairList(li, pidx) {
    pidx.slice(0, PAIRS_LISTED).forEach(function (j) { pairRows(li, j, true); });
    if (pidx.length > PAIRS_LISTED) li.appendChild(el("div", { "class": "muted" }, "… and " + (pidx.length - PAIRS_LISTED) + " more module pairs"));
  }
  function peerItem(peerId, label, weight, feedback) {
    var li = el("li", { "class": "edge" });
    var peer = el("span", { "class": "peer" }, label);
    peer.addEventListener("click", function () { select(cy.getElementById(peerId), true); });
    li.appendChild(peer);
    li.appendChild(el("span", { "class": "muted" }, "  weight " + weight));
    if (feedback) li.appendChild(el("span", { "class": "cycle-note" }, "  cut to break an app cycle"));
    return li;
  }
  function edgeItem(edge, peerId) {
    var peerNode = cy.getElementById(peerId);
    var li = peerItem(peerId, peerNode.data("box") ? peerNode.data("name") + " (collapsed)" : peerId, edge.data("weight"), edge.data("feedback"));
    li.setAttribute("data-kind", edge.data("kind"));
    if (edge.hasClass("meta")) pairList(li, edge.data("pidx"));
    else pairRows(li, edge.data("idx"), false);
    return li;
  }
  function select(node, center) {
    clearHighlight();
    state.selected = node;
    var body = document.getElementById("panel-body");
    body.textContent = "";
    if (!node || node.empty() || node.removed()) { state.selected = null; return; }
    if (node.data("box")) { selectBox(node, center); return; }
    var out = visibleEdges(node.outgoers("edge"));
    var inc = visibleEdges(node.incomers("edge"));
    cy.elements().addClass("faded");
    node.removeClass("faded").addClass("focus");
    out.removeClass("faded").addClass("hl");
    out.targets().removeClass("faded").addClass("dep");
    inc.removeClass("faded").addClass("hl");
    inc.sources().removeClass("faded").addClass("rdep");
    framesOf(cy.nodes(".focus, .dep, .rdep")).removeClass("faded");
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
    if (center) cy.animate({ center: { eles: node }, zoom: Math.min(FOCUS_ZOOM, Math.max(cy.zoom(), 0.8)) }, { duration: 200 });
  }
  // A box: what its nodes depend on in other boxes (and what depends on them), summed box by box.
  function boxOf(id) { return NODE[id].box ? BOX + NODE[id].box : id; }
  function selectBox(box, center) {
    var body = document.getElementById("panel-body");
    var name = box.data("name"), c = !!collapsed[box.id()], ids = BOXES[name].members.slice().sort();
    var own = c ? box : kidsOf(box);
    var across = visibleEdges(own.connectedEdges()).filter(function (e) { return !(own.contains(e.source()) && own.contains(e.target())); });
    cy.elements().addClass("faded");
    box.removeClass("faded").addClass("focus");
    kidsOf(box).removeClass("faded");
    across.removeClass("faded").addClass("hl");
    framesOf(across.connectedNodes().removeClass("faded")).removeClass("faded");
    body.appendChild(el("h2", null, name));
    body.appendChild(el("div", { "class": "muted" }, boxLabel(name, true).split("\n")[1] + (c ? ", collapsed (double-click to expand)" : " (double-click to collapse)")));
    var toggle = el("button", { type: "button", id: "box-toggle" }, c ? "Expand" : "Collapse");
    toggle.addEventListener("click", function () { toggleBox(box); select(cy.getElementById(box.id()), false); });
    body.appendChild(toggle);
    var out = {}, inc = {};
    ids.forEach(function (id) {
      (pairsOf[id] || []).forEach(function (j) {
        var p = pairs[j], d = pairData(p), sb = boxOf(p.s), tb = boxOf(p.t);
        if (d === null || sb === tb) return;
        var side = sb === box.id() ? out : inc, other = sb === box.id() ? tb : sb;
        var a = side[other] = side[other] || { w: 0, fb: false, pidx: [] };
        if (a.pidx.indexOf(j) < 0) { a.pidx.push(j); a.w += d.weight; a.fb = a.fb || d.feedback; }
      });
    });
    [["Depends on", out, "box-deps"], ["Used by", inc, "box-rdeps"]].forEach(function (part) {
      var keys = Object.keys(part[1]).sort(function (a, b) { return part[1][b].w - part[1][a].w || (a < b ? -1 : 1); });
      body.appendChild(el("h3", null, part[0] + " (" + keys.length + ")"));
      var ul = el("ul", { id: part[2] });
      keys.forEach(function (k) {
        var a = part[1][k], li = peerItem(k, k.indexOf(BOX) === 0 ? k.slice(BOX.length) : k, a.w, a.fb);
        li.setAttribute("data-peer", k);
        pairList(li, a.pidx);
        ul.appendChild(li);
      });
      body.appendChild(ul);
    });
    body.appendChild(el("h3", null, "Modules (" + ids.length + ")"));
    var ul = el("ul", { id: "members" });
    ids.forEach(function (id) {
      var li = el("li", { "class": "edge" });
      var peer = el("span", { "class": "peer" }, id);
      peer.addEventListener("click", function () { reveal(id); select(cy.getElementById(id), true); });
      li.appendChild(peer);
      ul.appendChild(li);
    });
    body.appendChild(ul);
    if (center) focusOn(box, 40);
  }
  // Expand the boxes that hide these nodes.
  function reveal(ids) {
    var todo = [].concat(ids).filter(function (id) { return NODE[id] && !shownNode(id); });
    if (!todo.length) return;
    todo.forEach(function (id) { setCollapsed(BOX + NODE[id].box, false, true); });
    rebuildMeta();
  }

  // ---- boxes: collapse an app (or service) into one node, its edges summed --------------------------
  function boxLabel(name, c) {
    var n = BOXES[name].members.length;
    return c ? name + "\n" + n + (name === "(external)" ? " package" : " module") + (n === 1 ? "" : "s") : name;
  }
  function rebuildMeta() {
    cy.batch(function () {
      cy.edges(".meta").remove();
      cy.nodes("[?box]").forEach(function (b) {
        var c = !!collapsed[b.id()];
        b.toggleClass("collapsed", c);
        b.data("label", boxLabel(b.data("name"), c));
      });
      // every shown pair with an end in a collapsed box, summed per pair of drawn ends, kind by kind
      var agg = {}, keys = [];
      pairs.forEach(function (p, j) {
        var s = rep(p.s), t = rep(p.t);
        if ((s === p.s && t === p.t) || s === t || pairData(p) === null) return;
        var k = s + "\u0000" + t;
        if (!agg[k]) { agg[k] = { s: s, t: t, w: 0, fb: false, kinds: {}, pidx: [] }; keys.push(k); }
        var a = agg[k];
        a.pidx.push(j);
        shownKinds(p).forEach(function (i) {
          var e = D.edges[i];
          a.w += e.w; a.fb = a.fb || e.f; a.kinds[e.k] = (a.kinds[e.k] || 0) + e.w;
        });
      });
      var add = [];
      keys.sort().forEach(function (k, i) {
        var a = agg[k];
        var kinds = Object.keys(a.kinds).sort(function (x, y) { return STRENGTH[x] - STRENGTH[y]; });
        add.push({ group: "edges", classes: "meta" + (a.fb ? " feedback" : ""), data: { id: "meta" + i, source: a.s, target: a.t,
          weight: a.w, kind: kinds[0], kinds: a.kinds, pidx: a.pidx, feedback: a.fb,
          label: kinds.map(function (x) { return D.abbrev[x] + a.kinds[x]; }).join(" "),
          color: a.fb ? CYCLE : KIND[kinds[0]].color, lstyle: a.fb ? "solid" : KIND[kinds[0]].style,
          width: Math.min(8, 1 + Math.log2(a.w)) } });
      });
      cy.add(add);
    });
  }
  // Fold a box into one node (its nodes leave Cytoscape) or unfold it (its nodes and their edges come back).
  function setCollapsed(boxId, c, later) {
    var name = boxId.slice(BOX.length);
    if (!BOXES[name] || !!collapsed[boxId] === !!c) return;
    var box = cy.getElementById(boxId);
    cy.batch(function () {
      var centre = { x: box.position("x"), y: box.position("y") };
      if (c) {
        var kids = kidsOf(box);
        kids.forEach(function (k) { offset[k.id()] = { x: k.position("x") - centre.x, y: k.position("y") - centre.y }; });
        collapsed[boxId] = true;
        kids.remove();  // with their edges
        box.position(centre);
      } else {
        if (!reserved[boxId]) { var size = regionSize(name); makeRoom(box, size.w, size.h); reserved[boxId] = true; }
        collapsed[boxId] = false;
        var add = [], seen = {};
        BOXES[name].members.forEach(function (id) { add.push(nodeElement(NODE[id], centre)); });
        BOXES[name].members.forEach(function (id) {
          (pairsOf[id] || []).forEach(function (j) {
            if (!seen[j] && shownNode(pairs[j].s) && shownNode(pairs[j].t)) { seen[j] = true; add.push(edgeElement(j)); }
          });
        });
        cy.add(add);
      }
    });
    if (!later) { updateFrames(box); rebuildMeta(); }
  }
  // Move everything else away from a box about to expand, so that its nodes fit: what lies right of
  // its centre moves right, what lies left moves left (a box's nodes by the box's centre), the same
  // vertically. Each axis is stretched monotonically, so nothing that did not overlap comes to overlap.
  function makeRoom(box, w, h) {
    var c = { x: box.position("x"), y: box.position("y") };
    var gx = Math.max(0, w - box.width()) / 2, gy = Math.max(0, h - box.height()) / 2;
    if (!gx && !gy) return;
    var moves = [];
    cy.nodes().forEach(function (n) {
      if (n.same(box)) return;
      var ref = n.data("inBox") ? cy.getElementById(BOX + n.data("inBox")).position() : n.position();
      moves.push([n, n.position("x") + (ref.x > c.x ? gx : ref.x < c.x ? -gx : 0), n.position("y") + (ref.y > c.y ? gy : ref.y < c.y ? -gy : 0)]);
    });
    moves.forEach(function (m) { m[0].position({ x: m[1], y: m[2] }); });
  }
  function toggleBox(box) { setCollapsed(box.id(), !collapsed[box.id()]); }
  // Expand all: every box as laid out (the boxes packed side by side). Collapse all: every box one
  // node, where the app-level picture puts it when there is one (large pages), else where it is.
  function setAll(c) {
    var reset = boxNames.every(function (b) { return centre0[b]; });
    cy.batch(function () {
      boxNames.forEach(function (b) { setCollapsed(BOX + b, true, true); });
      if (c && Object.keys(D.boxPos).length) {
        boxNames.forEach(function (b) { reserved[BOX + b] = false; cy.getElementById(BOX + b).position({ x: D.boxPos[b][0], y: D.boxPos[b][1] }); });
      }
      if (!c) {
        boxNames.forEach(function (b) {
          if (reset) {
            BOXES[b].members.forEach(function (id) { offset[id] = { x: NODE[id].x - centre0[b].x, y: NODE[id].y - centre0[b].y }; });
            cy.getElementById(BOX + b).position(centre0[b]);
            reserved[BOX + b] = true;
          }
          setCollapsed(BOX + b, false, true);
        });
      }
    });
    updateFrames(cy.nodes("[?box]"));
    rebuildMeta();
    if (c || reset) cy.fit(undefined, 20);
    if (state.selected) select(cy.getElementById(state.selected.id()), false);
  }
  updateFrames(cy.nodes("[?box]"));
  rebuildMeta();
  if (D.layout === "preset") cy.fit(undefined, 20);
  // an expanded box's frame carries its nodes when dragged; a frame follows a node dragged inside it
  var dragAt = null;
  cy.on("grab", "node[?box]", function (evt) { dragAt = { x: evt.target.position("x"), y: evt.target.position("y") }; });
  cy.on("drag", "node[?box]", function (evt) {
    var box = evt.target, p = box.position();
    if (!dragAt || collapsed[box.id()]) return;
    var dx = p.x - dragAt.x, dy = p.y - dragAt.y;
    dragAt = { x: p.x, y: p.y };
    kidsOf(box).forEach(function (k) { k.position({ x: k.position("x") + dx, y: k.position("y") + dy }); });
  });
  cy.on("free", "node", function (evt) {
    dragAt = null;
    if (evt.target.data("inBox")) updateFrames(cy.getElementById(BOX + evt.target.data("inBox")));
  });
  if (boxNames.length) {
    document.getElementById("expand-all").hidden = false;
    document.getElementById("collapse-all").hidden = false;
    document.getElementById("expand-all").addEventListener("click", function () { setAll(false); });
    document.getElementById("collapse-all").addEventListener("click", function () { setAll(true); });
  }
  cy.on("dbltap", "node[?box]", function (evt) { toggleBox(evt.target); select(evt.target, false); });
  cy.on("tap", "node", function (evt) { select(evt.target, false); });
  cy.on("tap", function (evt) { if (evt.target === cy) { select(null); } });
  document.addEventListener("keydown", function (evt) {
    if (evt.key === "Escape" && state.view === "graph") { select(null); }
  });

  // ---- search -----------------------------------------------------------
  var search = document.getElementById("search");
  // Searches every node, shown or inside a collapsed box (the box is marked then; Enter expands it).
  var found = [];
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    cy.elements(".match").removeClass("match");
    found = q ? D.nodes.filter(function (n) { return n.id.toLowerCase().indexOf(q) >= 0; }).map(function (n) { return n.id; }) : [];
    found.forEach(function (id) { cy.getElementById(rep(id)).addClass("match"); });
    document.getElementById("search-count").textContent = q ? found.length + " found" : "";
    return found;
  }
  search.addEventListener("input", runSearch);
  search.addEventListener("keydown", function (evt) {
    if (evt.key !== "Enter") return;
    runSearch();
    var q0 = search.value.trim();
    var box = cy.getElementById(BOX + q0);
    if (box.nonempty()) { select(box, true); return; }  // an app's (service's) name: its box, not its empty __init__
    var hit = findNode(q0);
    if (hit) { reveal(hit); runSearch(); select(cy.getElementById(hit), true); }
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
  function appKey(id) { return NODE[id].type === "app" ? id : NODE[id].app; }
  function appOf(n) { return n.data("box") ? null : (n.data("type") === "app" ? n.id() : n.data("app")); }
  function highlightApps(apps, hops) {
    clearHighlight();
    var inApps = {};
    apps.forEach(function (a) { inApps[a] = true; });
    var hopSet = {};
    hops.forEach(function (h) { hopSet[h[0] + "\u0000" + h[1]] = true; });
    cy.elements().addClass("faded");
    var nodes = cy.nodes().filter(function (n) {
      if (!n.data("box")) return inApps[appOf(n)];
      return collapsed[n.id()] && BOXES[n.data("name")].members.some(function (id) { return inApps[appKey(id)]; });
    });
    nodes.removeClass("faded");
    framesOf(nodes).removeClass("faded");
    var edges = visibleEdges(cy.edges()).filter(function (e) {
      return pairsDrawn(e).some(function (j) { return hopSet[appKey(pairs[j].s) + "\u0000" + appKey(pairs[j].t)]; });
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
  // The node a text names: the exact id, else the shortest id containing it (every node, shown or folded).
  function findNode(text) {
    var q = text.trim().toLowerCase();
    if (!q) return null;
    var best = null;
    D.nodes.forEach(function (n) {
      var id = n.id, l = id.toLowerCase();
      if (l.indexOf(q) < 0) return;
      if (l === q) { if (!best || best.toLowerCase() !== q) best = id; return; }
      if (best && best.toLowerCase() === q) return;
      if (!best || id.length < best.length || (id.length === best.length && id < best)) best = id;
    });
    return best;
  }
  // The shortest path (fewest steps) through the shown pairs, on the whole graph: boxes on it expand.
  function shortestPath(a, b) {
    var prev = {}, queue = [a], head = 0;
    prev[a] = -1;
    while (head < queue.length && prev[b] === undefined) {
      var u = queue[head++];
      (pairsOf[u] || []).forEach(function (j) {
        var p = pairs[j];
        if (p.s !== u || prev[p.t] !== undefined || pairData(p) === null) return;
        prev[p.t] = j;
        queue.push(p.t);
      });
    }
    if (prev[b] === undefined) return null;
    var steps = [];
    for (var v = b; prev[v] !== -1; v = pairs[prev[v]].s) steps.unshift(prev[v]);
    return steps;
  }
  function showPath(fromText, toText) {
    setView("graph");
    clearHighlight();
    var body = document.getElementById("panel-body");
    body.textContent = "";
    var a = findNode(fromText), b = findNode(toText);
    body.appendChild(el("h2", null, "Why does " + (a || fromText) + " depend on " + (b || toText) + "?"));
    if (!a || !b) { body.appendChild(el("p", { id: "path-none" }, "No node matches " + (a ? toText : fromText) + ".")); return null; }
    var steps = a === b ? null : shortestPath(a, b);
    if (!steps) { body.appendChild(el("p", { id: "path-none" }, "No dependency path from " + a + " to " + b + " through the shown edges.")); return null; }
    var ids = [a].concat(steps.map(function (j) { return pairs[j].t; }));
    reveal(ids);
    var path = cy.collection();
    ids.forEach(function (id) { path = path.union(cy.getElementById(id)); });
    steps.forEach(function (j) { path = path.union(cy.getElementById("e" + j)); });
    cy.elements().addClass("faded");
    path.removeClass("faded").addClass("path");
    framesOf(path.nodes()).removeClass("faded");
    var ol = el("ol", { id: "path-steps" });
    steps.forEach(function (j) {
      var li = el("li", { "class": "edge" });
      li.appendChild(el("span", { "class": "path-step" }, pairs[j].s + " → " + pairs[j].t));
      pairRows(li, j, false);
      ol.appendChild(li);
    });
    body.appendChild(ol);
    focusOn(path, 60);
    return ids;
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
    var js = [];
    visibleEdges(cy.edges()).forEach(function (e) { js = js.concat(pairsDrawn(e)); });
    js.sort(function (a, b) { return a - b; }).forEach(function (j) {
      shownKinds(pairs[j]).forEach(function (i) {
        var x = D.edges[i];
        x.ev.forEach(function (ev) { rows.push([x.s, x.t, x.k, x.w, ev[0], ev[1], ev[2] || ""]); });
      });
    });
    return rows.map(function (r) { return r.map(q).join(","); }).join("\n") + "\n";
  }
  document.getElementById("export-csv").addEventListener("click", function () {
    download(new Blob([csv()], { type: "text/csv" }), "decompose-evidence.csv");
  });
  // The current view as SVG: what is drawn (boxes, edges, nodes, labels) with its current colours,
  // widths, dashes, highlights and fading, in the graph's coordinates (Cytoscape draws on a canvas).
  function svg() {
    var shown = function (x) { return x.style("display") !== "none"; };
    var esc = function (t) { return String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;"); };
    var num = function (v) { return (Math.round(v * 10) / 10).toString(); };
    var byId = function (a, b) { return a.id() < b.id() ? -1 : a.id() > b.id() ? 1 : 0; };
    var dash = function (style, w) { return style === "dashed" ? ' stroke-dasharray="' + num(3 * w + 3) + " " + num(2 * w + 2) + '"' : style === "dotted" ? ' stroke-dasharray="' + num(w) + " " + num(2 * w + 1) + '"' : ""; };
    var nodes = cy.nodes().filter(shown), edges = cy.edges().filter(shown);
    var bb = nodes.union(edges).boundingBox(), pad = 20;
    var w = Math.max(1, bb.w) + 2 * pad, h = Math.max(1, bb.h) + 2 * pad;
    var out = ['<svg xmlns="http://www.w3.org/2000/svg" width="' + num(w) + '" height="' + num(h) + '" viewBox="' + [bb.x1 - pad, bb.y1 - pad, w, h].map(num).join(" ") + '" font-family="Helvetica, Arial, sans-serif">',
      "<title>" + esc(D.title) + "</title>",
      '<rect x="' + num(bb.x1 - pad) + '" y="' + num(bb.y1 - pad) + '" width="' + num(w) + '" height="' + num(h) + '" fill="#ffffff"/>'];
    var label = function (x, cx, y, size, weight, color) {
      var text = x.pstyle("label").strValue;
      if (!text) return;
      var lines = String(text).split("\n");
      lines.forEach(function (line, i) {
        out.push('<text x="' + num(cx) + '" y="' + num(y + i * size * 1.2) + '" font-size="' + num(size) + '" text-anchor="middle"' + (weight ? ' font-weight="bold"' : "") + ' fill="' + color + '" opacity="' + num(x.effectiveOpacity()) + '">' + esc(line) + "</text>");
      });
    };
    var z = function (a, b) { return a.pstyle("z-index").value - b.pstyle("z-index").value || byId(a, b); };
    var frames = nodes.filter(function (n) { return n.pstyle("z-index").value < 1; }), others = nodes.not(frames);
    var drawNode = function (n) {
      var p = n.position(), nw = n.width(), nh = n.height(), bw = n.pstyle("border-width").pfValue;
      var paint = ' fill="' + n.pstyle("background-color").strValue + '" fill-opacity="' + num(n.pstyle("background-opacity").value) + '" stroke="' + n.pstyle("border-color").strValue + '" stroke-width="' + num(bw) + '"' + dash(n.pstyle("border-style").value, bw) + ' opacity="' + num(n.effectiveOpacity()) + '"';
      var kind = n.data("box") ? (collapsed[n.id()] ? "box collapsed" : "box") : "node";
      if (n.pstyle("shape").value === "ellipse") out.push('<ellipse class="' + kind + '" data-id="' + esc(n.id()) + '" cx="' + num(p.x) + '" cy="' + num(p.y) + '" rx="' + num(nw / 2) + '" ry="' + num(nh / 2) + '"' + paint + "/>");
      else out.push('<rect class="' + kind + '" data-id="' + esc(n.id()) + '" x="' + num(p.x - nw / 2) + '" y="' + num(p.y - nh / 2) + '" width="' + num(nw) + '" height="' + num(nh) + '" rx="6"' + paint + "/>");
      var size = n.pstyle("font-size").pfValue, lines = String(n.pstyle("label").strValue || "").split("\n").length, valign = n.pstyle("text-valign").value;
      var y = valign === "bottom" ? p.y + nh / 2 + size : valign === "top" ? p.y - nh / 2 - 5 : p.y - (lines - 1) * size * 0.6 + size * 0.35;
      label(n, p.x, y, size, n.pstyle("font-weight").strValue === "bold", n.pstyle("color").strValue);
    };
    frames.sort(z).forEach(drawNode);  // expanded boxes, under everything
    edges.sort(byId).forEach(function (e) {
      var s = e.sourceEndpoint(), t = e.targetEndpoint(), m = e.midpoint();
      var c = { x: 2 * m.x - (s.x + t.x) / 2, y: 2 * m.y - (s.y + t.y) / 2 };
      var color = e.pstyle("line-color").strValue, lw = e.pstyle("width").pfValue, op = num(e.effectiveOpacity());
      out.push('<path class="edge" data-id="' + esc(e.id()) + '" d="M' + num(s.x) + " " + num(s.y) + " Q" + num(c.x) + " " + num(c.y) + " " + num(t.x) + " " + num(t.y) + '" fill="none" stroke="' + color + '" stroke-width="' + num(lw) + '"' + dash(e.pstyle("line-style").value, lw) + ' opacity="' + op + '"/>');
      var dx = t.x - c.x, dy = t.y - c.y, len = Math.sqrt(dx * dx + dy * dy) || 1, a = 4 + 1.5 * lw;
      dx /= len; dy /= len;
      out.push('<polygon points="' + [t.x, t.y, t.x - a * dx - a * 0.5 * dy, t.y - a * dy + a * 0.5 * dx, t.x - a * dx + a * 0.5 * dy, t.y - a * dy - a * 0.5 * dx].map(num).join(" ") + '" fill="' + color + '" opacity="' + op + '"/>');
      label(e, m.x, m.y, 10, false, "#222");
    });
    others.sort(z).forEach(drawNode);
    out.push("</svg>");
    return out.join("\n") + "\n";
  }
  document.getElementById("export-svg").addEventListener("click", function () {
    download(new Blob([svg()], { type: "image/svg+xml" }), "decompose-graph.svg");
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
    showCycles: showCycles, showPath: showPath, showDiff: showDiff, csv: csv, svg: svg,
    toggleBox: function (id) { toggleBox(cy.getElementById(id)); }, expandAll: function () { setAll(false); },
    collapseAll: function () { setAll(true); }, collapsed: collapsed };
  cy.ready(function () {
    if (cy.zoom() > 1.4) { cy.zoom(1.4); cy.center(); }
    window.decompose.timings.init = performance.now() - t0;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        // the first frame drawn: from the script's start, and from navigation start (performance's origin)
        window.decompose.timings.firstRender = performance.now() - t0;
        window.decompose.timings.scriptStart = t0;
        window.decompose.timings.firstRenderFromNavigation = performance.now();
        performance.mark("decompose-first-render");
        window.decompose.ready = true;
        document.body.setAttribute("data-ready", "true");
      });
    });
  });
})();
