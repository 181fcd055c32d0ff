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
