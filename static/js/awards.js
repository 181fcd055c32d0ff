// Progressive enhancement for the award application: the server enforces every rule without this file.
document.addEventListener("DOMContentLoaded", () => {
  // Live word counters under text boxes with a word limit.
  document.querySelectorAll("textarea[data-word-limit]").forEach((box) => {
    const limit = Number(box.dataset.wordLimit);
    const counter = document.createElement("p");
    counter.className = "word-count mt-1";
    counter.id = `${box.id}_count`;
    counter.setAttribute("aria-live", "polite");
    box.insertAdjacentElement("afterend", counter);
    box.setAttribute("aria-describedby", `${box.getAttribute("aria-describedby") || ""} ${counter.id}`.trim());
    const update = () => {
      const words = (box.value.match(/\S+/g) || []).length;
      const left = limit - words;
      counter.textContent = left >= 0
        ? `You have ${left} word${left === 1 ? "" : "s"} remaining`
        : `You have ${-left} word${left === -1 ? "" : "s"} too many`;
      counter.classList.toggle("over", left < 0);
    };
    box.addEventListener("input", update);
    update();
  });

  // Running total of the cost lines, against the call's maximum.
  const total = document.querySelector("[data-costs-total]");
  if (total) {
    const max = Number(total.dataset.max);
    const fmt = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });
    const live = document.createElement("p");
    live.setAttribute("aria-live", "polite");
    live.className = "fw-semibold";
    total.insertAdjacentElement("afterend", live);
    const update = () => {
      let sum = 0;
      document.querySelectorAll("[data-cost-amount]").forEach((input) => {
        const row = input.closest("fieldset");
        const removed = row && row.querySelector("input[name$='-DELETE']:checked");
        const value = Number(String(input.value).replace(/[£,\s]/g, ""));
        if (!removed && Number.isFinite(value)) sum += value;
      });
      live.textContent = `Running total: ${fmt.format(sum)}${sum > max ? `, which is more than the maximum of ${fmt.format(max)}` : ""}`;
      live.classList.toggle("text-danger", sum > max);
    };
    document.addEventListener("input", update);
    document.addEventListener("change", update);
    update();
  }

  // A second press of Submit while the first is on its way does nothing (the server makes one submission anyway).
  document.querySelectorAll("[data-submit-once]").forEach((button) => {
    button.form.addEventListener("submit", (event) => {
      if (event.submitter === button) {
        if (button.dataset.sent) event.preventDefault();
        button.dataset.sent = "1";
      }
    });
  });
});
