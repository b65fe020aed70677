// hipcare radiograph viewer (issue 6): place, drag and nudge landmarks on a film; draw
// Hilgenreiner's and Perkin's lines and the head edges live; compute the measures live with
// the SAME formulas as the server (a faithful port of src/hipcare/domain/radiograph.py:
// Reimers migration percentage as danielchyeh/hipscreen-ai calc_mi, acetabular index against
// Hilgenreiner's line, neck-shaft and head-shaft angles as obtuse angles). The server is the
// source of truth: saving sends the landmarks and the page then shows the server's values.
//
// Coordinates are pixels of the ORIGINAL film (x right, y down): the SVG's viewBox is the
// film's size, so the preview's own size never enters the landmarks. Zoom and pan change the
// viewBox; the window (brightness/contrast) asks the server for a preview re-windowed from
// the original pixels.
"use strict";

(() => {
  const root = document.getElementById("viewer");
  if (!root) return;

  // --- the domain's geometry (hipcare.domain.radiograph) ----------------------------------

  const MAXIMUM_HILGENREINER_TILT_DEG = 45.0;
  const RELATIVE_TOLERANCE = 1e-9;
  const SIDES = ["right", "left"];
  const HIP_LANDMARKS = [
    "acetabulum_lateral", "head_medial", "head_lateral", "shaft_proximal", "shaft_distal",
    "head_centre", "neck_base", "physis_medial", "physis_lateral",
  ];
  const REQUIRED = ["acetabulum_lateral", "head_medial", "head_lateral"];
  const NECK_SET = ["head_centre", "neck_base", "shaft_proximal", "shaft_distal"];
  const PHYSIS_SET = ["physis_medial", "physis_lateral", "shaft_proximal", "shaft_distal"];

  class MeasureProblem extends Error {
    constructor(field, problem) {
      super(`${field}: ${problem}`);
      this.field = field;
      this.problem = problem;
    }
  }

  const sub = (a, b) => ({ x: a.x - b.x, y: a.y - b.y });
  const dot = (a, b) => a.x * b.x + a.y * b.y;
  const length = (v) => Math.hypot(v.x, v.y);
  const degrees = (radians) => (radians * 180) / Math.PI;

  function toMm(point, spacing) {
    // spacing = [row_mm, column_mm] (DICOM order): x by the column spacing, y by the row.
    return spacing ? { x: point.x * spacing[1], y: point.y * spacing[0] } : point;
  }

  function hilgenreinerFrame(right, left) {
    const along = sub(right, left);
    const span = length(along);
    const scale = Math.max(1, ...[right.x, right.y, left.x, left.y].map(Math.abs));
    if (span <= RELATIVE_TOLERANCE * scale) {
      throw new MeasureProblem("landmarks.triradiate_left",
        "is at the same place as triradiate_right");
    }
    const unit = { x: along.x / span, y: along.y / span };
    const tilt = degrees(Math.atan2(Math.abs(unit.y), Math.abs(unit.x)));
    if (tilt >= MAXIMUM_HILGENREINER_TILT_DEG) {
      throw new MeasureProblem("landmarks.triradiate_left",
        `Hilgenreiner's line is tilted ${tilt.toFixed(0)} degrees; show the film head-up`);
    }
    const normal = { x: -unit.y, y: unit.x };
    const cranial = normal.y < 0 ? normal : { x: unit.y, y: -unit.x };
    const origin = { x: (right.x + left.x) / 2, y: (right.y + left.y) / 2 };
    return {
      origin, towardRight: unit, cranial, span,
      lateral(side, p) {
        const alongRight = dot(sub(p, origin), unit);
        return side === "right" ? alongRight : -alongRight;
      },
      height(p) { return dot(sub(p, origin), cranial); },
    };
  }

  function acuteAngleDeg(a, b) {
    const cosine = Math.abs(dot(a, b)) / (length(a) * length(b));
    return degrees(Math.acos(Math.min(1, cosine)));
  }

  // Same rounding as hipcare.services.radiograph._round (two decimals).
  const round2 = (value) => Math.round(value * 100) / 100 + 0;

  // _check_hip and _check_pairs of the domain: the first refusal, with the same field.
  function checkHip(frame, side, hip) {
    const prefix = `landmarks.${side}`;
    const tolerance = RELATIVE_TOLERANCE * frame.span;
    const perkin = frame.lateral(side, hip.acetabulum_lateral);
    if (perkin - frame.span / 2 <= tolerance) {
      throw new MeasureProblem(`${prefix}.acetabulum_lateral`,
        `is not lateral to triradiate_${side} along Hilgenreiner's line (right and left swapped?)`);
    }
    const width = frame.lateral(side, hip.head_lateral) - frame.lateral(side, hip.head_medial);
    if (Math.abs(width) <= tolerance) {
      throw new MeasureProblem(`${prefix}.head_lateral`, "is level with head_medial (head width zero)");
    }
    if (width < 0) {
      throw new MeasureProblem(`${prefix}.head_lateral`,
        "is nearer the midline than head_medial (are the two swapped?)");
    }
    const given = (name) => Boolean(hip[name]);
    const sets = [];
    if (given("head_centre") || given("neck_base")) sets.push(["the neck-shaft angle", NECK_SET]);
    if (given("physis_medial") || given("physis_lateral")) sets.push(["the head-shaft angle", PHYSIS_SET]);
    if ((given("shaft_proximal") || given("shaft_distal")) && !sets.length) {
      throw new MeasureProblem(`${prefix}.head_centre`,
        "the shaft axis needs the neck (head centre, neck base) or the capital physis");
    }
    for (const [what, names] of sets) {
      for (const name of names) {
        if (!given(name)) throw new MeasureProblem(`${prefix}.${name}`, `is missing; ${what} needs it`);
      }
    }
    for (const [first, second, what] of [["shaft_proximal", "shaft_distal", "the shaft axis"],
      ["head_centre", "neck_base", "the neck axis"], ["physis_medial", "physis_lateral", "the capital physis"]]) {
      if (given(first) && given(second) && length(sub(hip[first], hip[second])) === 0) {
        throw new MeasureProblem(`${prefix}.${second}`, `is at the same place as ${first}; ${what} needs two points`);
      }
    }
  }

  function measureHip(frame, side, triradiate, hip) {
    const perkin = frame.lateral(side, hip.acetabulum_lateral);
    const medial = frame.lateral(side, hip.head_medial);
    const lateral = frame.lateral(side, hip.head_lateral);
    const width = lateral - medial;
    const raw = (100 * (lateral - perkin)) / width;
    const rise = frame.height(hip.acetabulum_lateral) - frame.height(triradiate);
    const run = perkin - frame.lateral(side, triradiate);
    const result = {
      migration_percentage: round2(Math.min(100, Math.max(0, raw))),
      migration_percentage_raw: round2(raw),
      acetabular_index_deg: round2(degrees(Math.atan2(rise, run))),
      dislocated: medial >= perkin,
    };
    if (hip.head_centre && hip.neck_base && hip.shaft_proximal && hip.shaft_distal) {
      const acute = acuteAngleDeg(sub(hip.head_centre, hip.neck_base),
        sub(hip.shaft_distal, hip.shaft_proximal));
      result.neck_shaft_angle_deg = round2(180 - acute);
    }
    if (hip.physis_medial && hip.physis_lateral && hip.shaft_proximal && hip.shaft_distal) {
      const physis = sub(hip.physis_lateral, hip.physis_medial);
      const acute = acuteAngleDeg({ x: -physis.y, y: physis.x },
        sub(hip.shaft_distal, hip.shaft_proximal));
      result.head_shaft_angle_deg = round2(180 - acute);
    }
    return result;
  }

  // PelvisLandmarks checks the landmarks as given (image pixels); measure_film then builds
  // them again in millimetres, which checks them a second time, and measures those.
  function checkPelvis(marks) {
    const frame = hilgenreinerFrame(marks.triradiate_right, marks.triradiate_left);
    for (const side of SIDES) if (marks[side]) checkHip(frame, side, marks[side]);
  }

  function inMm(marks, filmSpacing) {
    const scaled = {};
    for (const [name, value] of Object.entries(marks)) {
      if (SIDES.includes(name)) {
        scaled[name] = {};
        for (const [key, p] of Object.entries(value)) scaled[name][key] = toMm(p, filmSpacing);
      } else {
        scaled[name] = toMm(value, filmSpacing);
      }
    }
    return scaled;
  }

  function measurePelvis(marks, filmSpacing) {
    checkPelvis(marks);
    const mm = inMm(marks, filmSpacing);
    if (filmSpacing) checkPelvis(mm);
    const frame = hilgenreinerFrame(mm.triradiate_right, mm.triradiate_left);
    const hips = {};
    for (const side of SIDES) {
      if (mm[side]) hips[side] = measureHip(frame, side, mm[`triradiate_${side}`], mm[side]);
    }
    return hips;
  }

  // The service's whole measure (hipcare.services.radiograph.measure_radiograph) for a film
  // document {landmarks: {...}, pixel_spacing_mm: [row, column]}: every hip's values, or the
  // first refusal with the same field. Exposed so the end-to-end tests can compare it with
  // the server on many landmark sets (tests/e2e/test_e2e_radiograph_viewer.py).
  function measureDocument(film) {
    const marks = {};
    for (const [name, value] of Object.entries(film.landmarks)) {
      if (SIDES.includes(name)) {
        marks[name] = {};
        for (const [key, pair] of Object.entries(value)) marks[name][key] = { x: pair[0], y: pair[1] };
      } else if (name.startsWith("triradiate_")) {
        marks[name] = { x: value[0], y: value[1] };
      }
    }
    return measurePelvis(marks, film.pixel_spacing_mm || null);
  }
  window.hipcareMeasureFilm = measureDocument;

  // --- state --------------------------------------------------------------------------------

  const columns = Number(root.dataset.columns);
  const rows = Number(root.dataset.rows);
  const spacing = JSON.parse(root.dataset.spacing || "null");
  const editable = root.dataset.editable === "true";
  const filmId = root.dataset.filmId;
  const points = new Map(); // "triradiate_right" or "right.head_medial" -> {x, y}
  const svg = document.getElementById("stage");
  const image = document.getElementById("film-image");
  const linesLayer = document.getElementById("lines");
  const pointsLayer = document.getElementById("points");
  const live = document.getElementById("live-values");
  const SVG_NS = "http://www.w3.org/2000/svg";
  let view = { x: 0, y: 0, width: columns, height: rows };

  const saved = JSON.parse(root.dataset.document || "null");
  if (saved && saved.landmarks) {
    for (const [name, value] of Object.entries(saved.landmarks)) {
      if (Array.isArray(value)) points.set(name, { x: value[0], y: value[1] });
      else for (const [key, p] of Object.entries(value)) points.set(`${name}.${key}`, { x: p[0], y: p[1] });
    }
  }

  const selected = () => {
    const checked = root.querySelector('input[name="landmark"]:checked');
    return checked ? checked.value : null;
  };

  const clampPoint = (p) => ({
    x: round2(Math.min(columns, Math.max(0, p.x))),
    y: round2(Math.min(rows, Math.max(0, p.y))),
  });

  // --- the document the server measures -----------------------------------------------------

  function filmDocument() {
    const landmarks = {};
    for (const name of ["triradiate_right", "triradiate_left", "iliac_crest_right", "iliac_crest_left"]) {
      const p = points.get(name);
      if (p) landmarks[name] = [p.x, p.y];
    }
    if (!(points.get("iliac_crest_right") && points.get("iliac_crest_left"))) {
      delete landmarks.iliac_crest_right;
      delete landmarks.iliac_crest_left;
    }
    for (const side of SIDES) {
      const hip = {};
      for (const name of HIP_LANDMARKS) {
        const p = points.get(`${side}.${name}`);
        if (p) hip[name] = [p.x, p.y];
      }
      if (REQUIRED.every((name) => hip[name])) landmarks[side] = hip;
    }
    return { landmarks };
  }

  function hipPoints(side) {
    const hip = {};
    for (const name of HIP_LANDMARKS) {
      const p = points.get(`${side}.${name}`);
      if (p) hip[name] = p;
    }
    return hip;
  }

  // Each hip is measured on its own (as the server would measure a film with only that hip),
  // so one hip's mistake does not hide the other's values. A hip whose optional landmarks
  // are incomplete still shows MP and AI from its three required ones, with the problem.
  function computeLive() {
    const right = points.get("triradiate_right");
    const left = points.get("triradiate_left");
    const result = { hips: {}, problems: [] };
    if (!right || !left) {
      result.problems.push("Place both triradiate cartilages (Hilgenreiner's line).");
      return result;
    }
    try {
      hilgenreinerFrame(right, left);
    } catch (error) {
      result.problems.push(error.message);
      return result;
    }
    for (const side of SIDES) {
      const hip = hipPoints(side);
      if (!REQUIRED.every((name) => hip[name])) continue;
      const marks = { triradiate_right: right, triradiate_left: left };
      try {
        result.hips[side] = measurePelvis({ ...marks, [side]: hip }, spacing)[side];
      } catch (error) {
        result.problems.push(error.message);
        const optional = !REQUIRED.some((name) => error.field === `landmarks.${side}.${name}`);
        if (optional) {
          const required = Object.fromEntries(REQUIRED.map((name) => [name, hip[name]]));
          try {
            result.hips[side] = measurePelvis({ ...marks, [side]: required }, spacing)[side];
          } catch (ignored) {
            // the required landmarks' own problem is already listed
          }
        }
      }
    }
    if (!Object.keys(result.hips).length && !result.problems.length) {
      result.problems.push("Place a hip's three landmarks: acetabulum lateral edge, head medial and lateral edges.");
    }
    return result;
  }

  // --- drawing ------------------------------------------------------------------------------

  function element(name, attributes, parent) {
    const node = document.createElementNS(SVG_NS, name);
    for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
    parent.appendChild(node);
    return node;
  }

  const fromMm = (p) => (spacing ? { x: p.x / spacing[1], y: p.y / spacing[0] } : p);
  const reach = () => 2 * Math.hypot(columns, rows) * (spacing ? Math.max(...spacing) : 1);

  function line(from, to, kind, parent) {
    element("line", {
      x1: from.x, y1: from.y, x2: to.x, y2: to.y,
      class: `line line-${kind}`, "vector-effect": "non-scaling-stroke",
    }, parent);
  }

  // A line through p (film pixels) along the unit direction d, given in mm space.
  function infiniteLine(p, d, kind) {
    const pm = toMm(p, spacing);
    const r = reach();
    line(fromMm({ x: pm.x - d.x * r, y: pm.y - d.y * r }), fromMm({ x: pm.x + d.x * r, y: pm.y + d.y * r }), kind, linesLayer);
  }

  const COLOURS = { hilgenreiner: "#f0e442", perkin: "#56b4e9", head: "#cc79a7", roof: "#e69f00", axis: "#009e73" };

  function drawLines() {
    linesLayer.replaceChildren();
    const right = points.get("triradiate_right");
    const left = points.get("triradiate_left");
    if (right && left) {
      const a = toMm(right, spacing);
      const b = toMm(left, spacing);
      const along = sub(a, b);
      const span = length(along);
      if (span > 0) {
        const unit = { x: along.x / span, y: along.y / span };
        const perpendicular = { x: -unit.y, y: unit.x };
        infiniteLine(right, unit, "hilgenreiner");
        for (const side of SIDES) {
          const acetabulum = points.get(`${side}.acetabulum_lateral`);
          if (acetabulum) {
            infiniteLine(acetabulum, perpendicular, "perkin");
            line(side === "right" ? right : left, acetabulum, "roof", linesLayer);
          }
          for (const edge of ["head_medial", "head_lateral"]) {
            const p = points.get(`${side}.${edge}`);
            if (p) infiniteLine(p, perpendicular, "head");
          }
        }
      }
    }
    for (const side of SIDES) {
      for (const [a, b] of [["shaft_proximal", "shaft_distal"], ["head_centre", "neck_base"], ["physis_medial", "physis_lateral"]]) {
        const p = points.get(`${side}.${a}`);
        const q = points.get(`${side}.${b}`);
        if (p && q) line(p, q, "axis", linesLayer);
      }
    }
    for (const node of linesLayer.children) {
      const kind = node.getAttribute("class").replace("line line-", "");
      node.setAttribute("stroke", COLOURS[kind] || "#ffffff");
      node.setAttribute("stroke-width", kind === "hilgenreiner" || kind === "perkin" ? 2.5 : 2);
      if (kind === "head") node.setAttribute("stroke-dasharray", "6 4");
    }
  }

  function pointRadius() {
    const box = svg.getBoundingClientRect();
    const unitsPerPixel = box.width > 0 ? Math.max(view.width / box.width, view.height / box.height) : 1;
    return 6 * unitsPerPixel;
  }

  function drawPoints() {
    pointsLayer.replaceChildren();
    const radius = pointRadius();
    const chosen = selected();
    for (const [name, p] of points) {
      const circle = element("circle", {
        cx: p.x, cy: p.y, r: name === chosen ? radius * 1.4 : radius,
        class: `landmark${name === chosen ? " landmark-selected" : ""}`,
        fill: name === chosen ? "#ffbf47" : "#009e73", stroke: "#000000",
        "stroke-width": 1.5, "vector-effect": "non-scaling-stroke",
        "data-landmark": name, "data-x": p.x, "data-y": p.y,
      }, pointsLayer);
      element("title", {}, circle).textContent = name.replace(".", " ").replaceAll("_", " ");
    }
  }

  function describeValue(value, unit) {
    return value === undefined ? "—" : `${value.toFixed(1)}${unit}`;
  }

  function showLive() {
    const result = computeLive();
    const parts = [];
    const sides = SIDES.filter((side) => result.hips[side]);
    if (sides.length) {
      parts.push('<table><caption class="visually-hidden">Measures computed from the landmarks as placed</caption>');
      parts.push('<thead><tr><th scope="col">Hip</th><th scope="col">MP</th><th scope="col">AI</th><th scope="col">NSA</th><th scope="col">HSA</th></tr></thead><tbody>');
      for (const side of sides) {
        const hip = result.hips[side];
        parts.push(`<tr data-side="${side}"><th scope="row">${side === "right" ? "Right" : "Left"}</th>`);
        parts.push(`<td data-measure="migration_percentage" data-value="${hip.migration_percentage}">${describeValue(hip.migration_percentage, "%")}${hip.dislocated ? " (head beyond Perkin's line)" : ""}</td>`);
        parts.push(`<td data-measure="acetabular_index_deg" data-value="${hip.acetabular_index_deg}">${describeValue(hip.acetabular_index_deg, "°")}</td>`);
        parts.push(`<td data-measure="neck_shaft_angle_deg">${describeValue(hip.neck_shaft_angle_deg, "°")}</td>`);
        parts.push(`<td data-measure="head_shaft_angle_deg">${describeValue(hip.head_shaft_angle_deg, "°")}</td></tr>`);
      }
      parts.push("</tbody></table>");
    }
    for (const problem of result.problems) {
      const text = document.createElement("p");
      text.className = "live-problem";
      text.textContent = problem;
      parts.push(text.outerHTML);
    }
    live.innerHTML = parts.join("");
  }

  function showCoordinates() {
    for (const span of root.querySelectorAll("[data-coordinates-for]")) {
      const p = points.get(span.dataset.coordinatesFor);
      span.textContent = p ? `(${p.x.toFixed(1)}, ${p.y.toFixed(1)})` : "not placed";
    }
  }

  function redraw() {
    drawLines();
    drawPoints();
    showLive();
    showCoordinates();
  }

  // --- zoom, pan and window -----------------------------------------------------------------

  function applyView() {
    svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.width} ${view.height}`);
    drawPoints();
    choosePreviewSize();
  }

  function zoom(factor, centre) {
    const c = centre || { x: view.x + view.width / 2, y: view.y + view.height / 2 };
    const width = Math.min(columns * 1.5, Math.max(columns / 40, view.width / factor));
    const height = (width / view.width) * view.height;
    view = { x: c.x - ((c.x - view.x) * width) / view.width, y: c.y - ((c.y - view.y) * height) / view.height, width, height };
    applyView();
  }

  function pan(dx, dy) {
    view = { ...view, x: view.x + dx, y: view.y + dy };
    applyView();
  }

  function toFilm(event) {
    const matrix = svg.getScreenCTM();
    const p = svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    const q = p.matrixTransform(matrix.inverse());
    return { x: q.x, y: q.y };
  }

  const windowCentre = document.getElementById("window-centre");
  const windowWidth = document.getElementById("window-width");
  let previewSize = 1024;
  let windowTimer = null;

  function previewUrl() {
    const query = new URLSearchParams({ max_size: String(previewSize) });
    const centre = Number(windowCentre.value);
    const width = Number(windowWidth.value);
    if (centre !== Number(root.dataset.windowCentre) || width !== Number(root.dataset.windowWidth)) {
      query.set("window_centre", String(centre));
      query.set("window_width", String(Math.max(1, width)));
    }
    return `/radiographs/${filmId}/preview.jpg?${query}`;
  }

  function choosePreviewSize() {
    const box = svg.getBoundingClientRect();
    const shown = (Math.max(box.width, box.height) * (window.devicePixelRatio || 1) * Math.max(columns, rows)) /
      Math.max(view.width, view.height);
    const wanted = shown > 1100 ? 2048 : 1024;
    if (wanted > previewSize) {
      previewSize = wanted;
      image.setAttribute("href", previewUrl());
    }
  }

  function scheduleWindow() {
    window.clearTimeout(windowTimer);
    windowTimer = window.setTimeout(() => image.setAttribute("href", previewUrl()), 200);
  }

  windowCentre.addEventListener("input", scheduleWindow);
  windowWidth.addEventListener("input", scheduleWindow);
  document.getElementById("window-reset").addEventListener("click", () => {
    windowCentre.value = root.dataset.windowCentre;
    windowWidth.value = root.dataset.windowWidth;
    image.setAttribute("href", previewUrl());
  });
  document.getElementById("zoom-in").addEventListener("click", () => zoom(1.5));
  document.getElementById("zoom-out").addEventListener("click", () => zoom(1 / 1.5));
  document.getElementById("zoom-reset").addEventListener("click", () => {
    view = { x: 0, y: 0, width: columns, height: rows };
    applyView();
  });
  svg.addEventListener("wheel", (event) => {
    event.preventDefault();
    zoom(event.deltaY < 0 ? 1.25 : 0.8, toFilm(event));
  }, { passive: false });

  // --- placing and moving landmarks ---------------------------------------------------------

  function place(name, p) {
    if (!editable || !name) return;
    points.set(name, clampPoint(p));
    redraw();
  }

  function select(name) {
    const input = root.querySelector(`input[name="landmark"][value="${name}"]`);
    if (input) input.checked = true;
    drawPoints();
  }

  let gesture = null; // {kind: "drag"|"maybe-place"|"pan", id, start, name, view}
  svg.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    const target = event.target.closest("circle[data-landmark]");
    svg.setPointerCapture(event.pointerId);
    const start = toFilm(event);
    if (target && editable) {
      select(target.dataset.landmark);
      gesture = { kind: "drag", id: event.pointerId, name: target.dataset.landmark };
    } else {
      gesture = { kind: "maybe-place", id: event.pointerId, client: { x: event.clientX, y: event.clientY }, start, view: { ...view } };
    }
    event.preventDefault();
  });
  svg.addEventListener("pointermove", (event) => {
    if (!gesture || gesture.id !== event.pointerId) return;
    if (gesture.kind === "drag") {
      place(gesture.name, toFilm(event));
    } else {
      const moved = Math.hypot(event.clientX - gesture.client.x, event.clientY - gesture.client.y);
      if (gesture.kind === "maybe-place" && moved > 5) {
        gesture.kind = "pan";
        svg.classList.add("panning");
      }
      if (gesture.kind === "pan") {
        const box = svg.getBoundingClientRect();
        const unitsPerPixel = Math.max(gesture.view.width / box.width, gesture.view.height / box.height);
        view = { ...gesture.view, x: gesture.view.x - (event.clientX - gesture.client.x) * unitsPerPixel, y: gesture.view.y - (event.clientY - gesture.client.y) * unitsPerPixel };
        svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.width} ${view.height}`);
      }
    }
  });
  const endGesture = (event) => {
    if (!gesture || gesture.id !== event.pointerId) return;
    if (gesture.kind === "maybe-place") place(selected(), gesture.start);
    if (gesture.kind === "pan") applyView();
    svg.classList.remove("panning");
    gesture = null;
  };
  svg.addEventListener("pointerup", endGesture);
  svg.addEventListener("pointercancel", (event) => {
    svg.classList.remove("panning");
    if (gesture && gesture.id === event.pointerId) gesture = null;
  });

  // Keyboard placing (issue 16): Tab once from the landmark list reaches the film; there
  // N / P choose the next / previous landmark, Enter places the chosen one at the centre of
  // the view, arrow keys move it one pixel of the film and Shift+arrow a large step (a
  // twentieth of the view's longer side, so zooming in makes it finer). The coordinates can
  // also be typed (the form below the film).
  const ARROWS = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
  const choices = () => [...root.querySelectorAll('input[name="landmark"]')];
  const largeStep = () => Math.max(2, Math.round(Math.max(view.width, view.height) / 20));
  const landmarkStatus = document.getElementById("landmark-status");
  function announce() {
    if (!landmarkStatus) return;
    const name = selected();
    const input = root.querySelector(`input[name="landmark"][value="${name}"]`);
    const label = input ? input.closest("label").querySelector("span").firstChild.textContent.trim() : name;
    const p = points.get(name);
    landmarkStatus.textContent = `${label}: ${p ? `at ${p.x.toFixed(0)}, ${p.y.toFixed(0)}` : "not placed; press Enter to place it"}`;
    root.dataset.largeStep = String(largeStep());
  }
  function step(by) {
    const all = choices();
    const index = all.findIndex((input) => input.checked);
    const next = all[(index + by + all.length) % all.length];
    select(next.value);
    showTyped();
    announce();
  }
  svg.addEventListener("keydown", (event) => {
    const name = selected();
    if (ARROWS[event.key]) {
      const [dx, dy] = ARROWS[event.key];
      event.preventDefault();
      if (event.altKey) {
        pan((dx * view.width) / 10, (dy * view.height) / 10);
        return;
      }
      const size = event.shiftKey ? largeStep() : 1;
      const p = points.get(name);
      if (p) place(name, { x: p.x + dx * size, y: p.y + dy * size });
      showTyped();
      announce();
    } else if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      if (!points.get(name)) place(name, { x: Math.round(view.x + view.width / 2), y: Math.round(view.y + view.height / 2) });
      showTyped();
      announce();
    } else if (event.key === "n" || event.key === "N" || event.key === "PageDown") {
      event.preventDefault();
      step(1);
    } else if (event.key === "p" || event.key === "P" || event.key === "PageUp") {
      event.preventDefault();
      step(-1);
    } else if (event.key === "+" || event.key === "=") {
      zoom(1.5);
      announce();
    } else if (event.key === "-") {
      zoom(1 / 1.5);
      announce();
    } else if ((event.key === "Delete" || event.key === "Backspace") && editable && name) {
      event.preventDefault();
      points.delete(name);
      redraw();
      showTyped();
      announce();
    }
  });

  // Typed coordinates: the chosen landmark's x and y in pixels of the original film.
  const typed = document.getElementById("typed-coordinates");
  const typedX = document.getElementById("typed-x");
  const typedY = document.getElementById("typed-y");
  const typedProblem = document.getElementById("typed-problem");
  function showTyped() {
    if (!typed) return;
    const p = points.get(selected());
    typedX.value = p ? String(p.x) : "";
    typedY.value = p ? String(p.y) : "";
    const input = root.querySelector(`input[name="landmark"]:checked`);
    const legend = document.getElementById("typed-landmark");
    if (legend && input) legend.textContent = input.closest("label").querySelector("span").firstChild.textContent.trim();
  }
  if (typed) {
    typed.addEventListener("submit", (event) => {
      event.preventDefault();
      const x = Number(typedX.value);
      const y = Number(typedY.value);
      const wrong = [];
      if (typedX.value.trim() === "" || !Number.isFinite(x) || x < 0 || x > columns) wrong.push(`x must be a number from 0 to ${columns}`);
      if (typedY.value.trim() === "" || !Number.isFinite(y) || y < 0 || y > rows) wrong.push(`y must be a number from 0 to ${rows}`);
      typedX.setAttribute("aria-invalid", String(wrong.some((text) => text.startsWith("x"))));
      typedY.setAttribute("aria-invalid", String(wrong.some((text) => text.startsWith("y"))));
      typedProblem.textContent = wrong.join("; ");
      if (wrong.length) return;
      place(selected(), { x, y });
      announce();
    });
  }
  for (const input of root.querySelectorAll('input[name="landmark"]')) {
    input.addEventListener("change", () => {
      drawPoints();
      showTyped();
      announce();
    });
  }
  const remove = document.getElementById("remove-landmark");
  if (remove) {
    remove.addEventListener("click", () => {
      points.delete(selected());
      redraw();
    });
  }

  // --- saving -------------------------------------------------------------------------------

  const saveButton = document.getElementById("save-reading");
  const status = document.getElementById("save-status");
  if (saveButton) {
    saveButton.addEventListener("click", async () => {
      status.textContent = "Saving…";
      saveButton.disabled = true;
      try {
        const response = await fetch(`/api/radiographs/${filmId}/readings`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf },
          body: JSON.stringify(filmDocument()),
          credentials: "same-origin",
        });
        const body = await response.json();
        if (response.ok) {
          status.textContent = "Saved. Showing the server's values…";
          window.location.reload();
          return;
        }
        status.textContent = `Not saved: ${body.field}: ${body.problem}`;
      } catch (error) {
        status.textContent = `Not saved: ${error.message}`;
      }
      saveButton.disabled = false;
    });
  }

  window.addEventListener("resize", drawPoints);
  redraw();
  showTyped();
  announce();
  choosePreviewSize();
  root.dataset.ready = "true";
})();
