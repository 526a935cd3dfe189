"""Signing in to a server in auth mode (`genaisys serve --auth`): the canvas asks for an API
token before it loads anything, says so when the token is wrong, loads the signed-in user's
graphs once it is right, and asks again after "Sign out". A share link needs no account to
be viewed; copying a fork link's graph asks for a sign-in, then copies."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import DIST, ROOT, Studio
from playwright.sync_api import Page, expect
from studio_page import StudioPage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SIGN_IN = "Sign in"


class AuthStudio(Studio):
    """A `genaisys serve --auth` with one user, alice, and her API token."""

    token: str = ""

    def users(self, action: str, name: str) -> str:
        """`genaisys users ACTION NAME`; the last line it printed (add, token: the token)."""
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", "users", action, name, "--data-dir", str(self.data_dir)],
            capture_output=True, text=True, cwd=ROOT, timeout=60,
        )
        assert done.returncode == 0, f"users {action} {name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        lines = done.stdout.strip().splitlines()
        return lines[-1].strip() if lines else ""

    def as_user(self, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {token or self.token}"})


@pytest.fixture(scope="module")
def auth_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuthStudio]:
    if not DIST.is_file():
        pytest.fail("the canvas is not built: run `npm ci && npm run build` in frontend/ first", pytrace=False)
    server = AuthStudio(tmp_path_factory.mktemp("auth-studio"), serve_args=["--auth"]).start()
    try:
        server.token = server.users("add", "alice")
        assert server.token, "users add printed no token"
        yield server
    finally:
        server.stop()


def sign_in_dialog(page: Page):  # noqa: ANN201 - a Playwright Locator
    return page.get_by_role("dialog", name=SIGN_IN)


def alices_graphs(studio: AuthStudio) -> list[dict[str, Any]]:
    with studio.as_user() as api:
        answer = api.get("/api/graphs", params={"limit": 200})
        assert answer.status_code == 200, answer.text
        return answer.json()["data"]


def share(studio: AuthStudio, mode: str) -> dict[str, Any]:
    graph = alices_graphs(studio)[0]
    with studio.as_user() as api:
        made = api.post(f"/api/graphs/{graph['id']}/shares", json={"mode": mode})
        assert made.status_code == 201, made.text
        return {**made.json(), "graph_name": graph["name"]}


def sign_in(page: Page, studio: AuthStudio) -> None:
    page.goto(f"{studio.url}/")
    dialog = sign_in_dialog(page)
    expect(dialog).to_be_visible(timeout=30_000)
    dialog.get_by_label("API token").fill(studio.token)
    dialog.get_by_label("API token").press("Enter")
    expect(page.locator(".palette-item").first).to_be_visible(timeout=30_000)


def test_sign_in_wrong_token_then_right_then_sign_out(page: Page, auth_studio: AuthStudio, shot) -> None:
    # the examples were seeded into the new database: they belong to the first user, alice
    graphs = alices_graphs(auth_studio)
    assert graphs, "no example graph belongs to alice"
    with httpx.Client(base_url=auth_studio.url) as anonymous:
        refused = anonymous.get("/api/graphs")
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "auth_required"

    page.goto(f"{auth_studio.url}/")
    dialog = sign_in_dialog(page)
    expect(dialog).to_be_visible(timeout=30_000)
    expect(page.locator(".toolbar")).to_have_count(0)  # nothing loads before signing in
    expect(dialog).to_contain_text("Ask the server's admin for a token: genaisys users add <name>")
    expect(dialog.get_by_role("button", name="Close")).to_have_count(0)  # it cannot be skipped
    field = dialog.get_by_label("API token")
    expect(field).to_have_attribute("type", "password")
    expect(field).to_be_focused()
    shot(page, "asked")

    # a wrong token (Enter submits): the server's message under the field, still asked
    field.fill("not-a-real-token")
    field.press("Enter")
    expect(dialog.get_by_role("alert")).to_be_visible()
    expect(dialog.get_by_role("alert")).not_to_be_empty()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()
    shot(page, "wrong-token")

    # the right one: the studio loads, alice in the toolbar, the session in an HttpOnly cookie
    field.fill(auth_studio.token)
    dialog.get_by_role("button", name=SIGN_IN, exact=True).click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toolbar")).to_be_visible(timeout=30_000)
    expect(page.locator(".palette-item").first).to_be_visible()
    expect(page.get_by_test_id("account")).to_contain_text("alice")
    cookies = page.context.cookies()
    assert cookies and all(c["httpOnly"] and c["sameSite"] == "Strict" for c in cookies), cookies
    assert page.evaluate("localStorage.length + sessionStorage.length") == 0  # the token is nowhere a script can read

    # her graphs, the seeded examples, in the Open dialog
    page.get_by_role("button", name="Open", exact=True).click()
    open_dialog = page.get_by_role("dialog", name="Open a graph")
    items = open_dialog.locator(".graph-item")
    expect(items).to_have_count(len(graphs))
    for graph in graphs:
        expect(open_dialog.locator(f".graph-item[data-graph='{graph['id']}']")).to_contain_text(graph["name"])
    shot(page, "signed-in-open-dialog")

    # open one: the canvas shows it, and it was validated (a cookie-authenticated POST)
    open_dialog.locator(f".graph-item[data-graph='{graphs[0]['id']}'] .graph-open").click()
    expect(page.get_by_label("graph name")).to_have_value(graphs[0]["name"])
    expect(page.locator(".react-flow__node").first).to_be_visible()
    expect(page.get_by_test_id("validity")).not_to_have_text("checking…", timeout=10_000)
    expect(page.get_by_test_id("validity")).not_to_have_text("validator unreachable")
    shot(page, "graph-open")

    # sign out: the dialog is back, the canvas cleared, the session gone (a reload asks again)
    page.locator(".toolbar").get_by_role("button", name="Sign out").click()
    StudioPage(page, auth_studio.url).confirm_if_asked()
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("API token")).to_have_value("")
    expect(page.get_by_test_id("account")).to_have_count(0)
    expect(page.locator(".react-flow__node")).to_have_count(0)
    assert page.evaluate("fetch('/api/graphs').then(r => r.status)") == 401
    shot(page, "signed-out")
    page.reload()
    expect(sign_in_dialog(page)).to_be_visible(timeout=30_000)
    expect(page.locator(".toolbar")).to_have_count(0)


def test_view_link_opens_without_signing_in(page: Page, auth_studio: AuthStudio, shot) -> None:
    link = share(auth_studio, "view")
    page.goto(f"{auth_studio.url}{link['url']}")
    banner = page.get_by_test_id("share-banner")
    expect(banner).to_be_visible(timeout=30_000)
    expect(banner).to_contain_text(link["graph_name"])
    expect(page.locator(".react-flow__node").first).to_be_visible()
    expect(page.get_by_test_id("validity")).not_to_have_text("checking…", timeout=10_000)
    expect(page.get_by_test_id("validity")).not_to_have_text("validator unreachable")
    expect(sign_in_dialog(page)).to_have_count(0)
    expect(page.get_by_test_id("account")).to_have_count(0)
    assert page.context.cookies() == []  # nobody signed in
    shot(page, "view-link")


def test_fork_link_asks_for_sign_in_then_copies(page: Page, auth_studio: AuthStudio, shot) -> None:
    link = share(auth_studio, "fork")
    page.goto(f"{auth_studio.url}{link['url']}")
    expect(page.get_by_test_id("share-banner")).to_be_visible(timeout=30_000)
    expect(sign_in_dialog(page)).to_have_count(0)

    # signed out: the copy asks for a sign-in, which a visitor may decline
    copy = page.get_by_role("button", name="Copy to my graphs")
    copy.click()
    dialog = sign_in_dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Sign in to copy this graph")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("share-banner")).to_be_visible()
    shot(page, "declined")

    # asked again, signed in: the copy is made and opens in the studio, hers
    before = {g["id"] for g in alices_graphs(auth_studio)}
    copy.click()
    dialog.get_by_label("API token").fill(auth_studio.token)
    dialog.get_by_label("API token").press("Enter")
    expect(page.locator(".toolbar:not(.share-banner)")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("account")).to_contain_text("alice")
    expect(page.get_by_label("graph name")).to_have_value(re.compile(re.escape(link["graph_name"])))  # "… (copy)"
    new_id = page.evaluate("(/[#&]graph=([^&]+)/.exec(location.hash) || [])[1] || null")
    assert new_id and new_id not in before
    assert new_id in {g["id"] for g in alices_graphs(auth_studio)}
    shot(page, "copied")



def test_a_revoked_session_asks_again_and_keeps_the_canvas(page: Page, auth_studio: AuthStudio, shot) -> None:
    sign_in(page, auth_studio)
    ui = StudioPage(page, auth_studio.url)
    name = alices_graphs(auth_studio)[0]["name"]
    ui.open_from_dialog(name)
    page.get_by_label("graph name").fill(f"{name}, edited")
    expect(page.get_by_test_id("file-state")).to_contain_text("unsaved")

    # the admin revokes alice's tokens (her session with them) and gives her a new one
    auth_studio.users("revoke", "alice")
    auth_studio.token = auth_studio.users("token", "alice")
    assert auth_studio.token

    # her next call is refused: the dialog says why, over the canvas, which stays as it was
    page.get_by_role("button", name="Open", exact=True).click()
    dialog = sign_in_dialog(page)
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Your session has ended")
    expect(page.get_by_label("graph name")).to_have_value(f"{name}, edited")
    shot(page, "session-ended")

    dialog.get_by_label("API token").fill(auth_studio.token)
    dialog.get_by_role("button", name=SIGN_IN, exact=True).click()
    expect(dialog).to_have_count(0)
    expect(page.get_by_test_id("account")).to_contain_text("alice")
    expect(page.get_by_label("graph name")).to_have_value(f"{name}, edited")
    expect(page.get_by_test_id("file-state")).to_contain_text("unsaved")

    # and the retry works
    page.get_by_role("dialog", name="Open a graph").get_by_role("button", name="Close").click()  # the one that failed
    page.get_by_role("button", name="Open", exact=True).click()
    expect(page.get_by_role("dialog", name="Open a graph").locator(".graph-item", has_text=name).first).to_be_visible()
    shot(page, "retried")


def test_api_snippets_in_auth_mode_read_the_token_from_the_environment(page: Page, auth_studio: AuthStudio, shot,
                                                                       tmp_path) -> None:
    import json
    import os

    sign_in(page, auth_studio)
    graph = next(g for g in alices_graphs(auth_studio) if g["name"].lower().startswith("prompt"))
    ui = StudioPage(page, auth_studio.url)
    ui.open_from_dialog(graph["name"])
    ui.toolbar_button("API").click()
    dialog = page.get_by_role("dialog", name="Run this graph from a program")
    expect(dialog).to_contain_text("GENAISYS_TOKEN")
    curl = dialog.locator("pre.snippet[data-lang='curl']").inner_text()
    dialog.get_by_role("tab", name="Python (httpx)").click()
    python = dialog.locator("pre.snippet[data-lang='python']").inner_text()
    shot(page, "api-dialog")
    assert auth_studio.token not in curl + python  # the token is never pasted into code
    env = {**os.environ, "GENAISYS_TOKEN": auth_studio.token}
    script = tmp_path / "call.py"
    script.write_text(python)
    ran = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, env=env)
    assert ran.returncode == 0 and ran.stdout.startswith("succeeded"), ran.stdout + ran.stderr
    ran = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=120, env=env)
    assert json.loads(ran.stdout)["status"] == "succeeded", ran.stdout
    refused = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=120,
                             env={**os.environ, "GENAISYS_TOKEN": "gsk_wrong"})
    assert json.loads(refused.stdout)["error"]["code"] == "invalid_token"
