"""Crawl the portal the way each kind of person can, and check every page it reaches.

The crawler knows no page by name: it starts at the home page (and the admin index for staff-like roles), follows
every same-site link it finds, and visits each URL pattern (the resolved URL name, so a new view is covered the day
it is linked) a bounded number of times. On each page it checks, in a real Chromium:

- axe-core finds no WCAG 2.2 A/AA violation;
- nothing scrolls sideways at 320 CSS px (WCAG 1.4.10 reflow);
- the title names the page and the service, is not shared with any other page of the crawl, and starts with
  "Error:" exactly when the page shows errors;
- no label or legend marks a required field with an asterisk ("Full name*"): "(optional)" marks the others.

What counts as one page (`identity_of`): a sorted list (`?o=2`) is the list itself, the same rows in another
order, and carries its title; so is a change page opened from a sorted or filtered list (`_changelist_filters`)
and the first page of a paged list (`?page=1`, `?p=1`). A filter, a search or a later page is a page of its own
and names itself in the title (docs/accessibility.md, "What is one page").

Then it submits each form it found once, emptied, to reach the form's error state, and checks that page too; and,
last (they change data), it runs each admin action once from its change list to reach the action's own pages.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit

from django.urls import Resolver404, resolve
from playwright.sync_api import Error as PlaywrightError

from tests.e2e.conftest import WCAG_TAGS, _axe

SERVICE = "Cross-Sector Programme"
# Query parameters that show the same page differently (sorted: "o"; or carrying where to go next or the list
# it was opened from) rather than a different page: they do not make a new page for the title rule, and are not
# crawled again. The first page of a paged list ("page=1", "p=1") is the list itself.
SAME_PAGE_PARAMS = {"o", "next", "_changelist_filters", "_popup", "_to_field", "_facets"}
PAGE_PARAMS = {"page", "p"}
# Never followed: signing out would end the role's session; downloads are not pages.
SKIP_NAMES = {"account_logout"}
# Forms never submitted empty: what they do cannot be undone, and an empty submission is a valid one.
SKIP_FORM_WORDS = ("logout", "withdraw", "cancel", "delete", "deactivate", "regenerate", "unfollow", "block", "decline")

HAS_ERRORS_JS = """() => !!document.querySelector(
  '.error-summary, .errornote, ul.errorlist, .is-invalid, [aria-invalid="true"]')"""
OVERFLOW_JS = """() => { const d = document.documentElement, edge = d.clientWidth + 1;
  const over = (el) => el.getBoundingClientRect().right > edge && el.getBoundingClientRect().width > 0;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  return {scroll: d.scrollWidth, client: d.clientWidth,
    culprits: Array.from(document.querySelectorAll('body *')).filter(el => over(el) && !over(el.parentElement))
      .slice(0, 3).map(el => name(el.parentElement) + ' > ' + name(el))}; }"""
# axe-core's WCAG 2.2 A/AA rules, answering only with the violations (and where the first three are).
AXE_JS = """(options) => axe.run(document, {...options, resultTypes: ['violations']}).then(r => r.violations.map(v => ({
  id: v.id, help: v.help, at: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"""
# Labels and legends that mark a field with an asterisk (crispy's span, or typed).
ASTERISK_JS = """() => Array.from(document.querySelectorAll('label, legend, .asteriskField'))
  .filter(el => el.classList.contains('asteriskField') || /\\*\\s*$/.test(el.textContent))
  .slice(0, 3).map(el => (el.closest('label, legend') || el).textContent.trim().slice(0, 40))"""
LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'))
  .map(a => new URL(a.getAttribute('href'), document.baseURI).href)"""
# Forms worth submitting empty: they have a field a person types into or chooses from.
FORMS_JS = """() => Array.from(document.forms).map((f, i) => ({index: i, method: (f.method || 'get').toLowerCase(),
  action: f.action, fields: Array.from(f.elements).filter(e => e.offsetParent !== null && (
    e.tagName === 'TEXTAREA' || e.tagName === 'SELECT' ||
    (e.tagName === 'INPUT' && !['hidden', 'submit', 'button', 'image', 'reset'].includes(e.type))
  )).length, submit: !!f.querySelector('button:not([type=button]):not([type=reset]), input[type=submit]')}))"""
EMPTY_AND_SUBMIT_JS = """(index) => { const f = document.forms[index]; f.noValidate = true;
  for (const e of f.elements) {
    if (e.offsetParent === null) continue;
    if (e.tagName === 'TEXTAREA' || (e.tagName === 'INPUT' &&
        !['hidden', 'submit', 'button', 'checkbox', 'radio', 'image', 'reset', 'file'].includes(e.type))) e.value = '';
    if (e.tagName === 'SELECT' && !e.multiple) { const blank = Array.from(e.options).find(o => o.value === '');
      if (blank) e.value = ''; }
  }
  const button = f.querySelector('button:not([type=button]):not([type=reset]), input[type=submit]');
  button.click(); }"""


@dataclass
class Role:
    name: str
    email: str = ""
    password: str = ""
    totp_secret: str = ""
    start: tuple[str, ...] = ("/",)


@dataclass
class Visit:
    role: str
    url: str
    identity: str
    pattern: str
    title: str
    state: str = "page"  # "page", "error state of ...", "action ..."


@dataclass
class CrawlReport:
    visits: list[Visit] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    violations: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def pages_per_role(self) -> dict[str, Counter]:
        out: dict[str, Counter] = defaultdict(Counter)
        for v in self.visits:
            kind = "error states" if v.state.startswith("error") else "actions" if v.state != "page" else "pages"
            out[v.role][kind] += 1
        return out

    def summary(self) -> str:
        lines = [f"{role}: {dict(c)} in {self.seconds.get(role, 0):.0f}s" for role, c in self.pages_per_role().items()]
        lines.append(f"{len({v.pattern for v in self.visits})} URL patterns, {len(self.visits)} checks")
        if self.violations:
            lines.append("axe rules violated: " + ", ".join(f"{k} x{n}" for k, n in self.violations.most_common()))
        return "\n".join(lines)


def identity_of(url: str) -> str:
    """The page a URL shows: its path and the query parameters that change what is shown."""
    parts = urlsplit(url)
    if parts.path.startswith("/admin/") and parts.path.endswith("/add/"):
        return parts.path  # the admin's add form takes its initial values from the query: the same page
    query = sorted(
        (k, v)
        for k, v in parse_qsl(parts.query)  # a blank value is no filter
        if k not in SAME_PAGE_PARAMS and not (k in PAGE_PARAMS and v == "1")
    )
    return parts.path + ("?" + urlencode(query) if query else "")


def pattern_of(url: str) -> str | None:
    """The URL pattern a URL resolves to (namespaced URL name, or the route when unnamed); None if none."""
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    name = match.view_name if match.url_name else match.route
    later = any(k in PAGE_PARAMS and v != "1" for k, v in parse_qsl(parts.query))
    return name + (" (a later page)" if later else "")


class Crawler:
    def __init__(self, *, base_url: str, report: CrawlReport, per_pattern: int = 2, per_admin_object: int = 1):
        self.base = base_url.rstrip("/")
        self.report = report
        self.per_pattern = per_pattern
        self.per_admin_object = per_admin_object
        self.titles: dict[tuple[str, str], str] = {}  # (role, title) -> the page that has it

    # --- checks on the page as it is now --------------------------------------------------------------------
    def check(self, page, *, role: str, state: str = "page", identity: str = "") -> Visit:
        """`identity`: which page this is when the URL does not say (every refused token of one kind of link)."""
        url = page.url
        visit = Visit(role, url, identity or identity_of(url), pattern_of(url) or "?", page.title(), state)
        where = f"[{role}] {visit.identity}" + (f" ({state})" if state != "page" else "")
        if not page.evaluate("typeof axe !== 'undefined'"):
            page.evaluate(_axe.axe_script)
        for violation in page.evaluate(AXE_JS, {"runOnly": {"type": "tag", "values": WCAG_TAGS}}):
            self.report.violations[violation["id"]] += 1
            self.report.problems.append(f"{where}: axe {violation['id']}: {violation['help']} at {violation['at']}")
        page.set_viewport_size({"width": 320, "height": 640})
        try:
            width = page.evaluate(OVERFLOW_JS)
        finally:
            page.set_viewport_size({"width": 1280, "height": 800})
        if width["scroll"] > width["client"] + 1:
            self.report.problems.append(
                f"{where}: scrolls sideways at 320px ({width['scroll']}px wide; {width['culprits']})"
            )
        self.check_title(page, visit, where)
        if marked := page.evaluate(ASTERISK_JS):
            self.report.problems.append(f"{where}: fields marked with an asterisk: {marked}")
        self.report.visits.append(visit)
        return visit

    def check_title(self, page, visit: Visit, where: str) -> None:
        title = visit.title
        if not title.endswith(SERVICE) and f"– {SERVICE} –" not in title and f"| {SERVICE}" not in title:
            self.report.problems.append(f"{where}: title {title!r} does not name the service")
        has_errors = page.evaluate(HAS_ERRORS_JS)
        if has_errors != title.startswith("Error:"):
            self.report.problems.append(
                f"{where}: title {title!r} "
                + (
                    "lacks 'Error:' but the page shows errors"
                    if has_errors
                    else "says 'Error:' but the page shows none"
                )
            )
        key = visit.identity + ("#" + visit.state if visit.state != "page" else "")
        other = self.titles.setdefault((visit.role, title), key)  # among the pages one person can reach
        if other != key:
            self.report.problems.append(f"{where}: title {title!r} is also the title of {other}")

    # --- following links ---------------------------------------------------------------------------------------
    def _limit(self, pattern: str) -> int:
        if pattern.startswith("admin:") and pattern.endswith(("_change", "_history", "_delete")):
            return self.per_admin_object
        return self.per_pattern

    def crawl(self, page, role: Role) -> list[tuple[str, int, str]]:
        """Visit every page reachable from the role's start pages; return the forms found, one per kind."""
        queue = [(self.base + path, "start") for path in role.start]
        seen: set[str] = set()
        per_pattern: Counter = Counter()
        forms: dict[tuple[str, str], tuple[str, int, str]] = {}
        while queue:
            url, came_from = queue.pop(0)
            ident = identity_of(url)
            pattern = pattern_of(url)
            if ident in seen or pattern is None or per_pattern[pattern] >= self._limit(pattern):
                continue
            seen.add(ident)
            try:
                response = page.goto(url)
            except PlaywrightError as exc:  # a download: not a page
                if "Download is starting" not in str(exc):
                    self.report.problems.append(f"[{role.name}] {ident}: {exc}")
                continue
            if response is None or "text/html" not in (response.headers.get("content-type") or ""):
                continue
            if response.status >= 400:
                self.report.problems.append(
                    f"[{role.name}] {ident}: a link on {came_from} leads to HTTP {response.status}"
                )
            landed = identity_of(page.url)
            landed_pattern = pattern_of(page.url) or "?"
            if landed != ident and (landed in seen or per_pattern[landed_pattern] >= self._limit(landed_pattern)):
                continue  # a redirect to a page already checked
            seen.add(landed)
            per_pattern[landed_pattern] += 1
            visit = self.check(page, role=role.name)
            for form in page.evaluate(FORMS_JS):
                action = identity_of(form["action"])
                key = (landed_pattern, pattern_of(form["action"]) or action)
                wanted = form["method"] == "post" and form["fields"] and form["submit"] and key not in forms
                if wanted and not any(word in (key[1] + action).lower() for word in SKIP_FORM_WORDS):
                    forms[key] = (page.url, form["index"], key[1])
            for href in page.evaluate(LINKS_JS):
                parts = urlsplit(href)
                if f"{parts.scheme}://{parts.netloc}" != self.base or href.endswith(".ics"):
                    continue
                link = f"{self.base}{parts.path}" + (f"?{parts.query}" if parts.query else "")
                link_pattern = pattern_of(link)
                if link_pattern is None or link_pattern.split(":")[-1] in SKIP_NAMES:
                    continue
                if identity_of(link) not in seen:
                    queue.append((link, visit.identity))
        return list(forms.values())

    # --- error states ------------------------------------------------------------------------------------------
    def submit_empty(self, page, role: Role, forms: list[tuple[str, int, str]]) -> None:
        for url, index, action in forms:
            page.goto(url)
            with page.expect_navigation():
                page.evaluate(EMPTY_AND_SUBMIT_JS, index)
            self.check_after_post(page, role, f"error state of {action}")

    def check_after_post(self, page, role: Role, state: str, *, same_page_state: str = "") -> None:
        """The page a form or action answered with: an error state, a page of its own (checked under the form's
        name when it stays at the same address), or a page the crawl has already checked."""
        if "text/html" not in (page.evaluate("document.contentType") or ""):
            return  # a download
        if page.evaluate(HAS_ERRORS_JS):
            self.check(page, role=role.name, state=state)
        elif same_page_state:
            self.check(page, role=role.name, state=same_page_state)
        elif identity_of(page.url) not in {v.identity for v in self.report.visits if v.role == role.name}:
            self.check(page, role=role.name)  # the form accepted an empty answer and moved on

    # --- admin actions -----------------------------------------------------------------------------------------
    def admin_actions(self, page, role: Role) -> None:
        """Each admin action once, on the first row of its change list: its confirmation or form pages."""
        changelists = sorted(
            {
                v.url.split("?")[0]
                for v in self.report.visits
                if v.role == role.name and v.pattern.startswith("admin:") and v.pattern.endswith("_changelist")
            }
        )
        for url in changelists:
            page.goto(url)
            select = page.locator("select[name=action]")
            if not select.count() or not page.locator("input.action-select").count():
                continue
            actions = [v for v in select.locator("option").evaluate_all("os => os.map(o => o.value)") if v]
            for number, action in enumerate(actions):
                if number:  # the first runs from the list as loaded above
                    page.goto(url)
                page.locator("input.action-select").first.check()
                page.locator("select[name=action]").select_option(action)
                try:
                    with page.expect_navigation():
                        page.locator("button[name=index]").click()
                except PlaywrightError:
                    continue  # a download
                if page.locator("select[name=action]").count():
                    continue  # done at once, back on the change list
                on_list = page.url.split("?")[0] == url  # the action answered with its own page
                state = f"action {action}"
                self.check_after_post(page, role, state, same_page_state=state if on_list else "")
                forms = [f for f in page.evaluate(FORMS_JS) if f["method"] == "post" and f["fields"] and f["submit"]]
                if on_list and forms:  # the action's own form, answered empty
                    with page.expect_navigation():
                        page.evaluate(EMPTY_AND_SUBMIT_JS, forms[0]["index"])
                    self.check_after_post(page, role, f"error state of action {action}")


def crawl_all(page_for_role, *, base_url: str, roles: list[Role], sign_in) -> CrawlReport:
    """Crawl as each role, then submit each role's forms empty, then run the admin actions (they change data)."""
    report = CrawlReport()
    crawler = Crawler(base_url=base_url, report=report)
    found = {}
    for role in roles:
        started = time.monotonic()
        page = page_for_role(role)
        page.context.add_init_script(_axe.axe_script)  # in every page the role opens, before it is checked
        if role.email:
            sign_in(page, role)
        found[role.name] = crawler.crawl(page, role)
        report.seconds[role.name] = time.monotonic() - started
    for role in roles:
        started = time.monotonic()
        crawler.submit_empty(page_for_role(role), role, found[role.name])
        report.seconds[role.name] += time.monotonic() - started
    for role in roles:
        if role.totp_secret and "/admin/" in role.start:
            started = time.monotonic()
            crawler.admin_actions(page_for_role(role), role)
            report.seconds[role.name] += time.monotonic() - started
    return report
