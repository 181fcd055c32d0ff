// Progressive enhancement for the award application: the server enforces every rule without this file.

// A polite live region beside `element` that says `text` once the person has stopped typing for a second.
const quietly = (element) => {
  const region = document.createElement("div");
  region.className = "visually-hidden";
  region.setAttribute("aria-live", "polite");
  element.insertAdjacentElement("afterend", region);
  let timer;
  return (text) => {
    clearTimeout(timer);
    timer = setTimeout(() => { region.textContent = text; }, 1000);
  };
};
document.addEventListener("DOMContentLoaded", () => {
  // Word counters for every text box with a word limit are in portal.js (they are on other pages too).

  // Running total of the cost lines, against the call's maximum.
  const total = document.querySelector("[data-costs-total]");
  if (total) {
    const max = Number(total.dataset.max);
    // "£85,000" for whole pounds, "£85,000.50" with pence: the way the server writes amounts (core/money.py).
    const whole = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", maximumFractionDigits: 0 });
    const pence = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP", minimumFractionDigits: 2 });
    const fmt = { format: (n) => (Number.isInteger(Math.round(n * 100) / 100) ? whole : pence).format(n) };
    const live = document.createElement("p");
    live.className = "fw-semibold";
    total.insertAdjacentElement("afterend", live);
    const announce = quietly(live);
    const update = (event) => {
      let sum = 0;
      document.querySelectorAll("[data-cost-amount]").forEach((input) => {
        const row = input.closest("fieldset");
        const removed = row && row.querySelector("input[name$='-DELETE']:checked");
        const value = Number(String(input.value).replace(/[£,\s]/g, ""));
        if (!removed && Number.isFinite(value)) sum += value;
      });
      live.textContent = `Running total: ${fmt.format(sum)}${sum > max ? `, which is more than the maximum of ${fmt.format(max)}` : ""}`;
      live.classList.toggle("text-danger", sum > max);
      if (event) announce(live.textContent);
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
