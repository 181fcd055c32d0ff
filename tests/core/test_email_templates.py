"""Plain-text emails are not HTML: names and messages arrive as typed, while the HTML part stays escaped."""

import pytest

from crossector.core.services import email_render_template


@pytest.mark.parametrize("template", ["message", "network/request_received"])
def test_plain_text_part_is_not_html_escaped_but_the_html_part_is(template):
    context = {
        "name": "Siobhán O'Neill <Lab & Co>",
        "message": 'Tom & Jerry\'s "idea"',
        "sender_name": "Siobhán O'Neill <Lab & Co>",
        "sender_sector": "Industry",
        "request_path": "/network/requests/1/",
    }
    email = email_render_template(to="a@example.org", subject="s", template=template, context=context)
    assert "O'Neill" in email.body_text
    assert "&#x27;" not in email.body_text and "&amp;" not in email.body_text and "&lt;" not in email.body_text
    assert "<Lab & Co>" not in email.body_html
