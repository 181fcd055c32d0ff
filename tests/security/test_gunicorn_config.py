"""gunicorn.conf.py: the control socket is never the shared per-user default path."""

import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.mark.parametrize("home_default", ["/root/.gunicorn/gunicorn.ctl", "/run/user/1000/gunicorn.ctl"])
def test_control_socket_is_off_unless_an_instance_path_is_given(monkeypatch, home_default):
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    conf = runpy.run_path(str(CONF))
    assert conf["control_socket_disable"] is True
    assert conf.get("control_socket") != home_default


def test_control_socket_uses_the_instance_path_owner_only(monkeypatch):
    monkeypatch.setenv("GUNICORN_CONTROL_SOCKET", "/run/crossector/web.ctl")
    conf = runpy.run_path(str(CONF))
    assert conf["control_socket"] == "/run/crossector/web.ctl"
    assert conf["control_socket_mode"] == 0o600
    assert not conf.get("control_socket_disable", False)
