// The osteotomy planner inside the operation form (issue 16): "Run the planner" asks
// POST /api/osteotomy-plans and shows the answer in place, so nothing typed in the form is
// lost and the page does not reload. Without JavaScript the same button posts the whole form,
// which comes back with everything typed and the planner's answer (nothing is saved).
(function () {
  "use strict";
  const button = document.getElementById("run-planner");
  const output = document.getElementById("planner-output");
  if (!button || !output) return;
  const form = button.form;
  // With this script the button only plans: Enter in a field saves the operation plan again
  // (the form's default button is its first submit button).
  button.type = "button";
  const csrf = form.querySelector('input[name="csrf_token"]').value;
  const fields = [...form.querySelectorAll("[data-planner-field]")];
  const side = document.getElementById("planner-side");
  const angle = document.getElementById("planner-neck_shaft_angle_deg");
  const plate = document.getElementById("plate_angle_deg");

  // The hip chosen sets the starting angle, unless the angle was typed over.
  if (side && angle) {
    side.addEventListener("change", () => {
      const chosen = side.selectedOptions[0];
      const starts = [...side.options].map((option) => option.dataset.angle);
      if (chosen && (angle.value === "" || starts.includes(angle.value))) angle.value = chosen.dataset.angle;
    });
  }

  const text = (tag, content, className) => {
    const node = document.createElement(tag);
    node.textContent = content;
    if (className) node.className = className;
    return node;
  };
  const number = (value) => String(Math.round(value * 100) / 100);

  function show(plan) {
    const list = document.createElement("dl");
    list.className = "details";
    const rows = [
      ["Correction", `${number(plan.correction_deg)}° varus`],
      ["Chisel to neck", `${number(plan.chisel_to_neck_deg)}°`],
      ["Chisel to shaft (before the cut)", `${number(plan.chisel_to_shaft_deg)}°`],
      ["Derotation", plan.derotation_deg === null || plan.derotation_deg === undefined ? "not asked" : `${number(plan.derotation_deg)}°`],
      ["Neck-shaft angle after", `${number(plan.final_neck_shaft_angle_deg)}°`],
      ["Shortening (estimate)", `${number(plan.shortening_mm_estimate)} mm`],
    ];
    for (const [term, value] of rows) list.append(text("dt", term), text("dd", value));
    const heading = text("h2", "Planner result");
    heading.id = "planner-result";
    const parts = [heading, list];
    if (plan.notes && plan.notes.length) {
      const notes = document.createElement("ul");
      notes.className = "notes";
      for (const note of plan.notes) notes.append(text("li", note));
      parts.push(notes);
    }
    parts.push(text("p", plan.method, "meta"));
    output.replaceChildren(...parts);
  }

  button.addEventListener("click", async (event) => {
    event.preventDefault();
    const values = {};
    for (const input of fields) {
      const typed = input.value.trim();
      if (typed === "") continue;
      const value = Number(typed);
      if (!Number.isFinite(value)) {
        output.replaceChildren(text("p", `${input.labels[0].textContent}: ${JSON.stringify(typed)} is not a number`, "field-error"));
        input.focus();
        return;
      }
      values[input.dataset.plannerField] = value;
    }
    output.replaceChildren(text("p", "Planning…", "meta"));
    try {
      const response = await fetch("/api/osteotomy-plans", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(values),
        credentials: "same-origin",
      });
      const body = await response.json();
      if (!response.ok) {
        output.replaceChildren(text("p", `${body.field}: ${body.problem}`, "field-error"));
        return;
      }
      show(body);
      if (plate && plate.value.trim() === "" && values.plate_angle_deg !== undefined) plate.value = String(values.plate_angle_deg);
    } catch (error) {
      output.replaceChildren(text("p", `The planner did not answer: ${error.message}`, "field-error"));
    }
  });
})();
