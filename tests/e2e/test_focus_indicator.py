"""The focus indicator on every kind of form control has at least 3:1 contrast (WCAG 1.4.11, 2.4.7).

Measured the way a person sees it: the same screen area is photographed before and after the control takes focus
from the keyboard, and the pixels that changed by a contrast of 3:1 or more must make up at least a 2 CSS px ring
around the control (the area WCAG 2.4.13 asks of an indicator). Bootstrap's own focus style, a pale blue glow at
1.3:1, changes no pixel by 3:1 and fails.
"""

import base64

import pytest

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARGIN = 12  # CSS px photographed around the control: room for an outline and a ring outside it

# Which pixels changed by 3:1 or more between two PNGs of the same area (decoded by the browser itself).
CHANGED_PIXELS_JS = """async ([before, after]) => {
  const pixels = async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));  // no fetch: the page's CSP forbids it
    const bitmap = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d'); ctx.drawImage(bitmap, 0, 0);
    return ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
  };
  const lum = (d, i) => { const c = [d[i], d[i + 1], d[i + 2]].map(v => { v /= 255;
    return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]; };
  const a = await pixels(before), b = await pixels(after);
  let changed = 0;
  for (let i = 0; i < a.length; i += 4) {
    const l1 = lum(a, i), l2 = lum(b, i);
    if ((Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05) >= 3) changed++;
  }
  return changed; }"""

CONTROLS = {
    "text input": "main input[type=text]",
    "email input": "main input[type=email]",
    "select": "main select",
    "textarea": "main textarea",
    "checkbox": "main input[type=checkbox]",
    "radio button": "main input[type=radio]",
    "file input": "main input[type=file]",
    "summary": "main summary",
    "account menu": "button#account-menu",
    "button": "main button[type=submit]",
}


def _indicator_area(page, selector: str) -> tuple[int, int]:
    """(pixels changed by 3:1 or more when the control takes keyboard focus, the area of a 2px ring around it)."""
    control = page.locator(selector).locator("visible=true").first
    control.scroll_into_view_if_needed()
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.mouse.move(0, 0)
    box = control.bounding_box()
    clip = {
        "x": max(box["x"] - MARGIN, 0),
        "y": max(box["y"] - MARGIN, 0),
        "width": box["width"] + 2 * MARGIN,
        "height": box["height"] + 2 * MARGIN,
    }
    before = page.screenshot(clip=clip, animations="disabled")
    page.keyboard.press("Shift")  # the last input came from the keyboard, so focus is shown as :focus-visible
    control.focus()
    assert control.evaluate("el => el.matches(':focus-visible')"), f"{selector} did not take keyboard focus"
    after = page.screenshot(clip=clip, animations="disabled")
    changed = page.evaluate(CHANGED_PIXELS_JS, [base64.b64encode(before).decode(), base64.b64encode(after).decode()])
    ring = 2 * 2 * (box["width"] + box["height"])
    return changed, int(ring)


def test_every_kind_of_form_control_shows_focus_with_3_to_1_contrast(live_server, page):
    from tests.awards.factories import AwardCallFactory, application
    from tests.factories import person

    applicant = person(email="focus@example.org", full_name="Fola Focus")
    call = AwardCallFactory()
    call.faqs.create(question="Can the placement be part-time?", answer="Yes.", order=0)  # shown as <details>
    application(call=call, applicant=applicant)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(applicant.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/")

    where = {
        "/accounts/profile/": ("text input", "select", "textarea", "checkbox", "button", "account menu"),
        f"/awards/{call.slug}/": ("radio button", "summary"),
        f"/awards/{call.slug}/apply/documents/": ("file input", "email input"),
    }
    measured = {}
    for path, kinds in where.items():
        page.goto(live_server.url + path)
        for kind in kinds:
            measured[kind] = _indicator_area(page, CONTROLS[kind])
    assert set(measured) == set(CONTROLS)
    weak = {
        kind: f"{changed} px changed by 3:1, need {ring}"
        for kind, (changed, ring) in measured.items()
        if changed < ring
    }
    assert not weak, f"focus indicators below 3:1 over a 2px ring: {weak}"
