// Accessibility fixes to what Django's admin scripts build after the page loads.
(() => {
  "use strict";
  // SelectFilter2 gives its help icons an aria-label on a plain <span>, which has no role to carry a name
  // (axe: aria-prohibited-attr). As an image, the icon's name is its help text.
  const fix = (root) => {
    root.querySelectorAll?.("span.help-tooltip[aria-label]:not([role])").forEach((icon) => icon.setAttribute("role", "img"));
  };
  new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => n.nodeType === 1 && fix(n.parentNode || n))))
    .observe(document.documentElement, { childList: true, subtree: true });
  document.addEventListener("DOMContentLoaded", () => fix(document));
})();

// An error summary (the review form's) takes focus, so a screen reader starts at what went wrong; its links bring
// the question into view with the answer.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelector("[data-error-summary]")?.focus();
});
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-error-summary] a[href^='#']");
  const field = link && document.getElementById(decodeURIComponent(link.hash.slice(1)));
  if (!field) return;
  const question = field.closest("fieldset")?.querySelector("legend") ||
    document.querySelector(`label[for="${CSS.escape(field.id)}"]`) || field;
  event.preventDefault();
  question.scrollIntoView();
  field.focus({ preventScroll: true });
});
