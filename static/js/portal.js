// Progressive enhancement only: every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to an error summary so screen-reader and keyboard users hear what went wrong.
  const summary = document.querySelector("[data-error-summary]");
  if (summary) summary.focus();

  // Word counters under text boxes with a word limit (the server checks the limit; this only counts).
  // The visible count changes as you type; a screen reader hears it, politely, only when the count crosses
  // a threshold (half, 50 left, 10 left, the limit, over it) or when typing pauses, not on every key.
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  document.querySelectorAll("textarea[data-word-limit]").forEach((box) => {
    const limit = Number(box.dataset.wordLimit);
    const counter = document.createElement("p");
    counter.className = "word-count form-text mt-1";
    counter.id = `${box.id}_count`;
    counter.setAttribute("aria-hidden", "true");
    const spoken = document.createElement("p");
    spoken.className = "visually-hidden";
    spoken.setAttribute("aria-live", "polite");
    spoken.dataset.wordCountLive = "";
    box.insertAdjacentElement("afterend", counter);
    // Read with the box when it is focused (aria-describedby reads hidden text too).
    box.setAttribute("aria-describedby", `${box.getAttribute("aria-describedby") || ""} ${counter.id}`.trim());
    counter.insertAdjacentElement("afterend", spoken);
    const words = () => (box.value.match(/\S+/g) || []).length;
    const message = () => {
      const left = limit - words();
      return left >= 0 ? `You have ${plural(left, "word")} remaining` : `You have ${plural(-left, "word")} too many`;
    };
    const band = (n) => {
      const left = limit - n;
      if (left < 0) return 4;
      if (left === 0) return 3;
      if (left <= 10) return 2;
      if (left <= 50 || n >= limit / 2) return 1;
      return 0;
    };
    let lastBand = band(words());
    let pause;
    // Spoken with the box's name, so it is clear which answer the count belongs to.
    const label = document.querySelector(`label[for="${box.id}"]`);
    const name = label ? label.textContent.replace(/\*/g, "").trim() : "";
    const say = () => {
      const left = limit - words();
      const count = left >= 0 ? `${plural(left, "word")} remaining` : `${plural(-left, "word")} too many`;
      spoken.textContent = name ? `${name}: ${count}` : count;
    };
    const update = () => {
      counter.textContent = message();
      counter.classList.toggle("over", words() > limit);
      counter.classList.toggle("text-danger", words() > limit);
      const now = band(words());
      if (now !== lastBand) { lastBand = now; say(); }
      clearTimeout(pause);
      pause = setTimeout(say, 1500);
    };
    box.addEventListener("input", update);
    counter.textContent = message();
    counter.classList.toggle("over", words() > limit);
  });

  // Leaving a form with changes not yet saved asks first (forms marked data-unsaved-warning).
  document.querySelectorAll("form[data-unsaved-warning]").forEach((form) => {
    let dirty = false;
    form.addEventListener("input", () => { dirty = true; });
    form.addEventListener("change", () => { dirty = true; });
    form.addEventListener("submit", () => { dirty = false; });
    window.addEventListener("beforeunload", (event) => {
      if (!dirty) return;
      event.preventDefault();
      event.returnValue = "";
    });
  });
});

// An error summary's link brings the field's label or question into view, not just the box under it.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  const field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
  if (!field) return;
  const legend = field.closest("fieldset")?.querySelector("legend");
  const label = document.querySelector(`label[for="${CSS.escape(field.id)}"]`);
  const grouped = field.type === "radio" || field.type === "checkbox";  // the question is the group's legend
  event.preventDefault();
  ((grouped ? legend || label : label || legend) || field).scrollIntoView();
  field.focus({ preventScroll: true });
});
