"""The web inbox in a real headless Chromium against a real server on an ephemeral port.

Needs Debian's ``chromium`` (``/usr/bin/chromium``) and the ``playwright`` Python package (its
own browser download is not used). Skips, saying so, only when no Chromium is installed.
Screenshots of the list and of a detail view go to ``tests/artifacts/``.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mockserver import __version__
from tests.conftest import services_of
from tests.webui.conftest import send_sample

CHROMIUM = os.environ.get("MOCKSERVER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
THAI = "สวัสดีครับ รหัสผ่านของคุณคือ 4821 กรุณาอย่าบอกใคร"
VIETNAMESE = "Xin chào! Mã xác thực của bạn là 4821, có hiệu lực trong 5 phút."

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: apt-get install chromium chromium-driver"
)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT = 10_000  # ms, for every wait on the page


@pytest.fixture
async def browser_page(tmp_path):
    try:
        from playwright.async_api import async_playwright
    except ImportError:  # Chromium is there, so the browser tests must run: say what is missing
        pytest.fail("Chromium is installed but the playwright package is not: pip install playwright")
    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1440, "height": 900},
            locale="en-GB",
        )
        page = context.pages[0] if context.pages else await context.new_page()
        page.set_default_timeout(TIMEOUT)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        try:
            yield page
        finally:
            await context.close()
        assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
async def inbox(aiohttp_client, make_app, scenario_dir):
    """A real server whose messages take ~1.5 s to be delivered (so a person, or a test, can
    watch the status move) and a client of it."""
    app = make_app({"delivery": {"sent_after": 0.3, "final_after": 1.5}})
    return await aiohttp_client(app)


def base_of(client) -> str:
    return f"http://{client.host}:{client.port}"


async def rows(page) -> int:
    return await page.locator("[data-testid=row]").count()


@pytest.mark.slow  # about 7 s in Chromium
async def test_inbox_live_filter_detail_callbacks_scenario_clock(browser_page, inbox, receiver):
    page, client = browser_page, inbox
    base = base_of(client)
    await page.goto(f"{base}/_mock/ui/")
    # The header says which build this is (as /_mock/health and `mockserver --version` do).
    await page.wait_for_function("document.querySelector('[data-testid=version]').textContent !== ''")
    assert await page.locator("[data-testid=version]").inner_text() == f"v{__version__}"

    # Empty state: one curl line per vendor, live stream connected.
    await page.locator("[data-testid=live].on").wait_for()
    empty = page.locator("[data-testid=empty]")
    await empty.wait_for()
    await page.screenshot(path=str(_artifact("inbox-empty.png")))
    for vendor in services_of(client).vendors:
        assert (await page.locator(f"[data-testid=sample-{vendor}] pre").inner_text()).startswith(
            f"curl -sS -X POST {base}/"
        )

    # Messages sent through two vendors' own APIs appear without a reload.
    await page.evaluate("window.__same_page = true")
    v = services_of(client).vendors["ants"]
    sample = v.sample_send(v.sample_recipient(0), THAI)
    body = json.loads(sample.body)
    body["messages"][0]["notifyUrl"] = receiver.url
    sent = await client.post(
        sample.path, headers=dict(sample.headers), data=json.dumps(body, ensure_ascii=False).encode()
    )
    ants_id = (await sent.json())["details"][0]["messageId"]
    sent = await send_sample(client, "thaibulksms", n=0, text=VIETNAMESE)
    tbs_id = (await sent.json())["phone_number_list"][0]["message_id"]

    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 2")
    assert await page.evaluate("window.__same_page === true"), "the page reloaded"
    assert await empty.is_hidden()
    first = page.locator("[data-testid=row]").first  # newest first
    assert await first.get_attribute("data-id") == tbs_id
    assert VIETNAMESE[:20] in await first.inner_text()
    ants_row = page.locator(f"[data-testid=row][data-id='{ants_id}']")
    assert THAI[:10] in await ants_row.inner_text()
    assert await page.locator("[data-testid=count-ants] b").inner_text() == "1"
    assert await page.locator("[data-testid=count-thaibulksms] b").inner_text() == "1"
    # (that Thai and Vietnamese render with real glyphs: test_thai_and_vietnamese_render_with_real_glyphs)

    # Filters: vendor, then free text; the URL keeps them, a reload shows the same.
    await page.select_option("[data-testid=f-vendor]", "ants")
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 1")
    assert "vendor=ants" in page.url
    await page.reload()
    await page.locator("[data-testid=live].on").wait_for()
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 1")
    assert await page.locator("[data-testid=f-vendor]").input_value() == "ants"
    await page.evaluate("window.__same_page = true")  # from here on, no reload either
    await page.locator("[data-testid=f-clear]").click()
    await page.locator("[data-testid=f-q]").fill("Mã xác")
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 1")
    assert await page.locator("[data-testid=row]").first.get_attribute("data-id") == tbs_id
    assert "q=M%C3%A3" in page.url
    await page.locator("[data-testid=f-clear]").click()
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 2")
    await page.screenshot(path=str(_artifact("inbox-list.png")))

    # A new message: open it at once and watch its status reach delivered, live.
    sample = v.sample_send(v.sample_recipient(0), "Watch me: " + THAI)
    body = json.loads(sample.body)
    body["messages"][0]["notifyUrl"] = receiver.url
    sent = await client.post(
        sample.path, headers=dict(sample.headers), data=json.dumps(body, ensure_ascii=False).encode()
    )
    watch_id = (await sent.json())["details"][0]["messageId"]
    row = page.locator(f"[data-testid=row][data-id='{watch_id}']")
    await row.click()
    status = page.locator("[data-testid=detail-status]")
    await status.wait_for()
    assert await status.inner_text() != "delivered"
    await page.wait_for_function("document.querySelector('[data-testid=detail-status]').textContent === 'delivered'")
    assert await row.locator("[data-testid=row-status]").inner_text() == "delivered"
    assert f"id={watch_id}" in page.url
    timeline = await page.locator("[data-testid=timeline] li").all_inner_texts()
    assert [t.split("\n")[0].strip() for t in timeline] == ["accepted", "sent", "delivered"]
    assert await page.locator("[data-testid=detail-text]").inner_text() == "Watch me: " + THAI
    assert await page.locator("[data-testid=fact-encoding]").inner_text() == "UCS-2"
    assert "notifyUrl" in await page.locator("[data-testid=request-body]").inner_text()
    assert watch_id in await page.locator("[data-testid=response-body]").inner_text()

    # Its delivery report reaches the receiver; replay it from the page.
    callback = page.locator("[data-testid=callback]")
    await page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=callback-state]')].some(e => e.textContent === 'delivered')"
    )
    before = len(receiver.requests)
    await page.locator("[data-testid=replay]").first.click()
    await page.wait_for_function("document.querySelectorAll('[data-testid=callback]').length === 2")
    await receiver.wait_for(before + 1)
    await page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=callback-state]')].every(e => e.textContent === 'delivered')"
    )
    assert await callback.count() == 2
    await page.set_viewport_size({"width": 1440, "height": 1500})
    await page.locator("[data-testid=detail]").evaluate("e => { e.scrollTop = 0; }")
    await page.screenshot(path=str(_artifact("inbox-detail.png")))
    await page.set_viewport_size({"width": 1440, "height": 900})

    # Mark a delivered message failed by hand.
    await page.locator(f"[data-testid=row][data-id='{tbs_id}']").click()
    await page.wait_for_function(f"new URLSearchParams(location.search).get('id') === {json.dumps(tbs_id)}")
    await page.wait_for_function("document.querySelector('[data-testid=detail-status]')?.textContent === 'delivered'")
    await page.locator("[data-testid=mark-failed]").click()
    await page.wait_for_function("document.querySelector('[data-testid=detail-status]').textContent === 'failed'")
    assert services_of(client).store.get_message(tbs_id).status == "failed"

    # An OTP message shows its code large.
    sent = await send_sample(client, "voiceotp")
    otp_id = (await sent.text()).split(",")[-1]
    await page.locator(f"[data-testid=row][data-id='{otp_id}']").click()
    code = page.locator("[data-testid=otp-code]")
    await code.wait_for()
    assert await code.inner_text() == services_of(client).store.get_message(otp_id).text
    assert float((await code.evaluate("e => getComputedStyle(e).fontSize")).rstrip("px")) >= 32
    await page.screenshot(path=str(_artifact("inbox-otp.png")))

    # Switch the scenario: the next message fails.
    select = page.locator("[data-testid=scenario]")
    await page.wait_for_function(
        "[...document.querySelectorAll('[data-testid=scenario] option')].some(o => o.value === 'always-fail')"
    )
    await select.select_option("always-fail")
    await page.wait_for_function("document.querySelector('[data-testid=scenario]').dataset.active === 'always-fail'")
    rules = (await (await client.get("/_mock/scenario")).json())["rules"]
    assert [r["name"] for r in rules] == ["fail everything"]
    sent = await send_sample(client, "smartsmsbulk")
    ref = (await sent.json())["refId"]
    await page.wait_for_function(
        f"document.querySelector(\"[data-testid=row][data-id='{ref}'] [data-testid=row-status]\")"
        "?.textContent === 'failed'"
    )

    # Advance the virtual clock by an hour from the header.
    before_now = float(await page.locator("[data-testid=clock]").get_attribute("data-now"))
    await page.locator("[data-testid=advance-hour]").click()
    await page.wait_for_function(
        f"Number(document.querySelector('[data-testid=clock]').dataset.now) >= {before_now + 3600}"
    )
    server_now = (await (await client.get("/_mock/clock")).json())["now"]
    assert server_now >= before_now + 3600
    await page.locator("[data-testid=advance-min]").click()
    await page.wait_for_function(
        f"Number(document.querySelector('[data-testid=clock]').dataset.now) >= {before_now + 3660}"
    )

    # Vendors & credentials panel: base URLs and demo credentials with copy buttons.
    await page.locator("[data-testid=toggle-connect]").click()
    card = page.locator("[data-testid=vendor-smartsmsbulk]")
    await card.wait_for()
    text = await card.inner_text()
    assert f"{base}/smartsmsbulk" in text and "demo-smartsmsbulk-key-42" in text
    assert await card.locator(".copy").count() >= 3
    await page.screenshot(path=str(_artifact("inbox-credentials.png")))

    # Reset (two clicks: arm, confirm) empties the page live.
    await page.locator("[data-testid=reset]").click()
    await page.locator("[data-testid=reset]").click()
    await empty.wait_for()
    assert await rows(page) == 0
    await page.wait_for_function("document.querySelector('[data-testid=scenario]').dataset.active !== 'always-fail'")
    assert await page.evaluate("window.__same_page === true")


async def test_shared_link_opens_filtered_list_and_message(browser_page, inbox):
    page, client = browser_page, inbox
    await send_sample(client, "smartsmsbulk", text="first")
    sent = await send_sample(client, "ants", text=THAI)
    ants_id = (await sent.json())["details"][0]["messageId"]
    await send_sample(client, "ants", text="other")
    phone = services_of(client).vendors["ants"].sample_recipient(0)
    await page.goto(
        f"{base_of(client)}/_mock/ui/?vendor=ants&q=%E0%B8%AA%E0%B8%A7%E0%B8%B1%E0%B8%AA&phone={phone}&id={ants_id}"
    )
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 1")
    assert await page.locator("[data-testid=row]").get_attribute("data-id") == ants_id
    assert await page.locator("[data-testid=detail-text]").inner_text() == THAI
    assert await page.locator("[data-testid=f-phone]").input_value() == phone
    await page.keyboard.press("Escape")
    await page.locator("[data-testid=detail]").wait_for(state="hidden")
    assert "id=" not in page.url


def _artifact(name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


async def test_send_as_subscriber_and_the_numbers_thread(browser_page, inbox, aiohttp_server):
    """SMS 2-way from the inbox: the header's box sends a subscriber's SMS, the customer's reply
    shows in the number's thread, and the thread's own box sends the next one."""
    from aiohttp import web

    answers = iter([None, b"not json at all"])

    async def customer(request: web.Request) -> web.Response:
        sent = await request.json()
        garbage = next(answers, None)
        if garbage is not None:
            return web.Response(body=garbage, content_type="text/plain")
        reply = {
            "TRAIN_ID": sent["TRAN_ID"],
            "RESULT_CODE": "00",
            "RESULT_NAME": "SUCCESS",
            "MESSAGE": "ขอบคุณครับ: registered",
        }
        return web.json_response(reply)

    app = web.Application()
    app.router.add_post("/2way", customer)
    server = await aiohttp_server(app)
    page, client = browser_page, inbox
    await page.goto(f"{base_of(client)}/_mock/ui/")
    await page.locator("[data-testid=live].on").wait_for()

    toggle = page.locator("[data-testid=toggle-subscriber]")
    await toggle.click()
    assert await page.locator("[data-testid=s-vendor] option").all_inner_texts() == ["ANTS"]  # vendors with inbound
    await page.locator("[data-testid=s-from]").fill("0812345678")
    await page.locator("[data-testid=s-text]").fill("ANTS REGISTER")
    await page.locator("[data-testid=s-url]").fill(str(server.make_url("/2way")))
    await page.locator("[data-testid=s-send]").click()

    # The reply SMS opens with the conversation: the subscriber's SMS, then the customer's reply.
    thread = page.locator("[data-testid=thread]")
    await thread.wait_for()
    await page.wait_for_function("document.querySelectorAll('[data-testid=thread] li').length === 2")
    items = page.locator("[data-testid=thread] li")
    assert await items.nth(0).get_attribute("data-testid") == "thread-in"
    assert "ANTS REGISTER" in await items.nth(0).inner_text()
    assert "00 SUCCESS" in await page.locator("[data-testid=thread-in-outcome]").inner_text()
    assert await items.nth(1).get_attribute("data-testid") == "thread-out"
    assert "ขอบคุณครับ" in await items.nth(1).inner_text()
    assert await page.locator("[data-testid=detail-text]").inner_text() == "ขอบคุณครับ: registered"
    assert await page.locator("[data-testid=reply-keyword]").input_value() == "ANTS"
    assert await page.locator("[data-testid=row]").count() == 1  # the reply is in the list too

    # The thread's own box: this time the customer answers garbage, shown as its violation.
    await page.locator("[data-testid=reply-text]").fill("ANTS STOP")
    await page.locator("[data-testid=reply-send]").click()
    await page.wait_for_function("document.querySelectorAll('[data-testid=thread-in]').length === 2")
    last_in = page.locator("[data-testid=thread-in]").nth(1)
    assert "ANTS STOP" in await last_in.inner_text()
    assert await last_in.locator("[data-testid=thread-in-status]").inner_text() == "invalid"
    assert "breaks the contract" in await last_in.inner_text()
    store = services_of(client).store
    assert [r.status for r in store.inbound.values()] == ["answered", "invalid"]
    await page.screenshot(path=str(_artifact("inbox-two-way.png")))


# Glyph probe, run in the page with the font of the inbox's message rows. With no font for a
# script, every letter of it is the same box (tofu): the width of the .notdef glyph, which is
# also what a private-use code point gets. With a font, Thai consonants have widths of their own,
# and a Vietnamese letter with stacked diacritics (ệ, ở) keeps the advance of its base letter.
GLYPH_PROBE = """(font) => {
  const c = document.createElement('canvas').getContext('2d');
  c.font = font;
  const w = (s) => c.measureText(s).width;
  return {
    notdef: w('\\ue000'),
    thai: ['ก', 'ม', 'ส', 'ว', 'ด'].map(w),
    vietnamese: [['ệ', 'e'], ['ở', 'o'], ['ữ', 'u'], ['ặ', 'a']].map(([v, base]) => [w(v), w(base)]),
  };
}"""


def thai_has_glyphs(probe: dict) -> bool:
    widths = probe["thai"]
    return len({round(x, 2) for x in widths}) >= 2 and all(abs(x - probe["notdef"]) > 0.01 for x in widths)


def vietnamese_has_glyphs(probe: dict) -> bool:
    return all(abs(v - base) < 0.01 and abs(v - probe["notdef"]) > 0.01 for v, base in probe["vietnamese"])


async def probe_inbox_fonts(base: str, tmp_path: Path, env: dict[str, str] | None = None) -> dict:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        context = await pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=env
        )
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            page.set_default_timeout(TIMEOUT)
            await page.goto(f"{base}/_mock/ui/")
            row = page.locator("[data-testid=row]").first
            await row.wait_for()
            font = await row.evaluate("(el) => getComputedStyle(el).font")
            return await page.evaluate(GLYPH_PROBE, font)
        finally:
            await context.close()


async def test_thai_and_vietnamese_render_with_real_glyphs(inbox, tmp_path):
    """With the fonts the README asks for (TLWG Loma/Waree, DejaVu), the inbox draws Thai and
    Vietnamese text with real glyphs; and the probe does tell boxes apart: under a fontconfig
    that offers DejaVu only, Thai turns into boxes, and with TLWG only, Vietnamese does."""
    await send_sample(inbox, "ants", text=THAI)
    await send_sample(inbox, "fpt", text=VIETNAMESE)
    base = base_of(inbox)
    probe = await probe_inbox_fonts(base, tmp_path / "system")
    assert thai_has_glyphs(probe), f"Thai renders as boxes: install fonts-tlwg-loma-ttf fonts-tlwg-waree-ttf ({probe})"
    assert vietnamese_has_glyphs(probe), f"Vietnamese renders as boxes: install fonts-dejavu-core ({probe})"

    # Negative controls: fontconfig offering one of the two font packages only
    fonts = Path("/usr/share/fonts/truetype")
    for name, thai, vietnamese in (("dejavu", False, True), ("tlwg", True, False)):
        if not (fonts / name).is_dir():
            continue
        conf = tmp_path / f"{name}.conf"
        conf.write_text(
            f"<fontconfig><dir>{fonts / name}</dir><cachedir>{tmp_path / 'fc' / name}</cachedir></fontconfig>"
        )
        control = await probe_inbox_fonts(base, tmp_path / name, {**os.environ, "FONTCONFIG_FILE": str(conf)})
        assert (thai_has_glyphs(control), vietnamese_has_glyphs(control)) == (thai, vietnamese), (name, control)


async def _active(page) -> dict:
    """What has the keyboard focus: its data-testid, a row's data-id, or the tag name."""
    return await page.evaluate(
        "(() => { const e = document.activeElement;"
        " return {testid: e?.dataset?.testid || null, id: e?.dataset?.id || null, tag: e?.tagName || null}; })()"
    )


async def test_escape_closes_the_focused_or_newest_panel_and_keeps_the_focus(browser_page, inbox):
    """Escape closes one panel per press: the one holding the focus, else the one opened last.
    Focus goes back to what opened it (the header button, the message's row), never to <body>;
    a search box with text is cleared by the browser first, not a reason to close anything."""
    page, client = browser_page, inbox
    first = (await (await send_sample(client, "smartsmsbulk", text="first")).json())["refId"]
    await send_sample(client, "smartsmsbulk", text="second")
    await page.goto(f"{base_of(client)}/_mock/ui/")
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 2")
    connect, detail, subscriber = (page.locator(f"[data-testid={t}]") for t in ("connect", "detail", "subscriber"))

    await page.locator("[data-testid=toggle-connect]").click()
    await page.locator(f"[data-testid=row][data-id='{first}']").click()
    await page.locator("[data-testid=detail-status]").wait_for()
    await page.locator("[data-testid=toggle-subscriber]").click()
    assert (await _active(page))["testid"] == "s-from"  # the form opens with the focus in it
    for panel in (connect, detail, subscriber):
        assert await panel.is_visible()

    await page.keyboard.press("Escape")  # the form holds the focus: it goes first
    await subscriber.wait_for(state="hidden")
    assert (await _active(page))["testid"] == "toggle-subscriber"
    assert await page.locator("[data-testid=toggle-subscriber]").get_attribute("aria-expanded") == "false"
    assert await detail.is_visible() and await connect.is_visible()

    await page.keyboard.press("Escape")  # then the newest open one: the detail (opened after the panel)
    await detail.wait_for(state="hidden")
    assert "id=" not in page.url and await connect.is_visible()
    assert (await _active(page))["testid"] == "toggle-subscriber"  # the focus was not in it: left alone
    await page.keyboard.press("Escape")
    await connect.wait_for(state="hidden")
    assert await page.locator("[data-testid=toggle-connect]").get_attribute("aria-expanded") == "false"
    await page.keyboard.press("Escape")  # nothing open: nothing happens

    # Closed with the focus inside, the detail hands it to the message's row, which Enter reopens.
    row = page.locator(f"[data-testid=row][data-id='{first}']")
    await row.click()
    await page.locator("[data-testid=close-detail]").focus()
    await page.keyboard.press("Escape")
    await detail.wait_for(state="hidden")
    assert (await _active(page))["id"] == first
    await page.keyboard.press("Enter")
    await page.locator("[data-testid=detail-status]").wait_for()
    assert f"id={first}" in page.url

    # A live re-render of the detail keeps the focused button focused.
    button = page.locator("[data-testid=mark-delivered]")
    await page.evaluate("window.__before = document.querySelector('[data-testid=mark-delivered]')")
    await button.click()  # the answer re-renders the detail
    await page.wait_for_function("document.querySelector('[data-testid=mark-delivered]') !== window.__before")
    assert (await _active(page))["testid"] == "mark-delivered"
    copy_id = "document.querySelector('#detail .d-title .copy')"  # a control with no test id
    await page.locator("#detail .d-title .copy").focus()
    await page.evaluate(f"window.__before = {copy_id}")
    assert (await client.post(f"/_mock/messages/{first}/deliver", json={"status": "failed"})).status == 200
    await page.wait_for_function(f"{copy_id} !== window.__before")  # re-rendered by the live event
    assert await page.evaluate(f"document.activeElement === {copy_id}")

    # In a search box with text, Escape is the browser's: it clears the box; the next one closes.
    search = page.locator("[data-testid=f-q]")
    await search.fill("first")
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 1")
    await page.keyboard.press("Escape")
    await page.wait_for_function("document.querySelector('[data-testid=f-q]').value === ''")
    assert await detail.is_visible()
    await page.keyboard.press("Escape")
    await detail.wait_for(state="hidden")
    assert (await _active(page))["testid"] == "f-q"  # typing on where it was


CUT_PROBE = """() => {
  const cut = [];
  for (const td of document.querySelectorAll('[data-testid=row] td.c-vendor')) {
    const tag = td.querySelector('.tag').getBoundingClientRect(), cell = td.getBoundingClientRect();
    const room = cell.right - parseFloat(getComputedStyle(td).paddingRight);
    if (td.scrollWidth > td.clientWidth || tag.left < cell.left || tag.right > room + 0.5) {
      cut.push(['row', td.textContent, td.scrollWidth, td.clientWidth]);
    }
  }
  for (const el of document.querySelectorAll('[data-testid^=count-], .tag')) {
    if (el.offsetParent !== null && el.scrollWidth > el.clientWidth) {
      cut.push(['chip', el.textContent, el.scrollWidth, el.clientWidth]);
    }
  }
  const text = document.querySelector('th.c-text').getBoundingClientRect().width;
  const table = document.querySelector('.messages').getBoundingClientRect().width;
  const pane = document.querySelector('[data-testid=list]').clientWidth;
  return {cut, text, overflow: table > pane + 0.5};
}"""


async def test_vendor_names_show_in_full_at_common_widths(browser_page, inbox):
    """With a message from every vendor, no vendor's name is cut in the rows, the count bar or
    the detail, at 1280 and 1024 px, with the detail closed and open; and the table fits its pane
    with room left for the message text (narrow lists drop Credits, From, Time instead)."""
    page, client = browser_page, inbox
    vendors = services_of(client).vendors
    for name in vendors:
        assert (await send_sample(client, name)).status == 200
    await page.goto(f"{base_of(client)}/_mock/ui/")
    await page.wait_for_function(f"document.querySelectorAll('[data-testid=row]').length === {len(vendors)}")
    titles = await page.locator("[data-testid=row] td.c-vendor").all_inner_texts()
    assert sorted(titles) == sorted(v.title for v in vendors.values())
    for width in (1280, 1024):
        await page.set_viewport_size({"width": width, "height": 800})
        for opened in (False, True):
            if opened:
                await page.locator("[data-testid=row]").first.click()
                await page.locator("[data-testid=detail-status]").wait_for()
            result = await page.evaluate(CUT_PROBE)
            assert result["cut"] == [], (width, opened, result)
            assert not result["overflow"] and result["text"] >= 100, (width, opened, result)
            if opened:
                await page.screenshot(path=str(_artifact(f"inbox-vendors-{width}.png")))
                await page.keyboard.press("Escape")
                await page.locator("[data-testid=detail]").wait_for(state="hidden")


async def test_delete_a_message_from_the_detail_and_every_inbox_drops_it(browser_page, inbox):
    page, client = browser_page, inbox
    keep = (await (await send_sample(client, "thaibulksms")).json())["phone_number_list"][0]["message_id"]
    gone = (await (await send_sample(client, "smartsmsbulk")).json())["refId"]  # still in flight
    other = await page.context.new_page()  # a second inbox, open meanwhile
    for p in (page, other):
        await p.goto(f"{base_of(client)}/_mock/ui/")
        await p.locator("[data-testid=live].on").wait_for()
        await p.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 2")
    assert await other.locator("[data-testid=count-smartsmsbulk] b").inner_text() == "1"

    await page.locator(f"[data-testid=row][data-id='{gone}']").click()
    await page.locator("[data-testid=delete-message]").click()
    await page.locator("[data-testid=detail]").wait_for(state="hidden")
    for p in (page, other):
        await p.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 1")
        assert await p.locator("[data-testid=row]").get_attribute("data-id") == keep
        await p.wait_for_function("document.querySelector('[data-testid=count-smartsmsbulk] b').textContent === '0'")
        assert await p.locator("[data-testid=count-all] b").inner_text() == "1"
        assert await p.locator("[data-testid=shown]").inner_text() == "1 shown · 1 in journal"
    assert "id=" not in page.url
    assert (await _active(page))["id"] == keep  # the focus went to the row next to the deleted one
    assert (await client.get(f"/_mock/messages/{gone}")).status == 404

    # Its lifecycle runs on (the clock fires its steps), and no inbox gets it back.
    assert (await client.post("/_mock/clock", json={"advance": "1m"})).status == 200
    await send_sample(client, "ants")  # a later event: everything before it has arrived
    for p in (page, other):
        await p.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 2")
        assert await p.locator(f"[data-testid=row][data-id='{gone}']").count() == 0
    await other.close()


# Contrast in the page: colours read back through a canvas (the browser resolves color-mix and
# custom properties), backgrounds composed over their ancestors', the WCAG 2 ratio.
CONTRAST_PROBE = """(selectors) => {
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = (css) => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = css; ctx.fillRect(0, 0, 1, 1);
    const d = ctx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255]; };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const backdrop = (el) => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] === 1) break; } }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]); };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const out = {body: {background: lum(rgba(getComputedStyle(document.body).backgroundColor)),
                      text: lum(rgba(getComputedStyle(document.body).color))}, low: [], checked: 0};
  for (const selector of selectors) for (const el of document.querySelectorAll(selector)) {
    if (!el.getClientRects().length) continue;
    const bg = backdrop(el), fg = over(rgba(getComputedStyle(el).color), bg);
    out.checked += 1;
    const r = ratio(fg, bg);
    if (r < 4.5) out.low.push([selector, el.textContent.trim().slice(0, 30), Math.round(r * 100) / 100]);
  }
  return out;
}"""
READ_ME = [
    "body",
    ".messages th",
    "td.c-text",
    "td.c-time",
    "td.c-to",
    ".tag.pill",
    ".status",
    ".count",
    ".shown",
    ".filters input",
    ".filters select",
    ".btn.link",
    ".panel-btn",
    ".d-title .mid",
    ".fact .k",
    ".fact .v",
    ".fulltext",
    ".d-section h4",
    ".timeline .when",
    "pre.code",
    ".otp-code",
    ".otp-meta",
    ".otp-flag",
    ".kv .k",
    ".kv .v",
    ".vcard .country",
    ".copy",
]
STATES = ["accepted", "scheduled", "sent", "pending", "delivered", "failed", "expired", "rejected", "cancelled"]
STATES += ["gave_up", "dropped", "refused", "answered", "invalid", "unanswered"]


async def test_dark_theme_follows_the_system_and_every_text_stays_readable(browser_page, inbox):
    """Light by default; dark under prefers-color-scheme: dark (dark background, light text).
    In both, the text of the list, the badges of every state, the chips, the detail and the
    vendors panel reach the WCAG AA contrast of 4.5:1 against what is behind them."""
    page, client = browser_page, inbox
    for name in services_of(client).vendors:
        await send_sample(client, name)
    await page.goto(f"{base_of(client)}/_mock/ui/")
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 5")
    await page.locator("[data-testid=toggle-connect]").click()
    otp_row = page.locator("[data-testid=row]").filter(has=page.locator(".otp-flag")).first
    await otp_row.click()  # selected row, detail with its OTP box
    await page.locator("[data-testid=otp-code]").wait_for()
    # Every state's badge, in the list and in the detail (what is behind them differs).
    await page.evaluate(
        "(states) => { for (const where of ['#rows td.c-status', '#detail .d-actions']) {"
        " const box = document.querySelector(where); for (const s of states) box.append(statusBadge(s)); } }",
        STATES,
    )
    for scheme in ("light", "dark"):
        await page.emulate_media(color_scheme=scheme)
        probe = await page.evaluate(CONTRAST_PROBE, READ_ME)
        body = probe["body"]
        if scheme == "light":
            assert body["background"] > 0.85 and body["text"] < 0.05, body
        else:
            assert body["background"] < 0.02 and body["text"] > 0.6, body
        assert probe["checked"] > 100 and probe["low"] == [], (scheme, probe["low"])
        await page.screenshot(path=str(_artifact(f"inbox-{scheme}.png")))


async def test_namespace_selector_shows_each_namespace_alone(browser_page, inbox):
    """One inbox page for every namespace: the selector lists them, and each shows its own."""
    page, client = browser_page, inbox
    await send_sample(client, "smartsmsbulk", text="in the default namespace")
    v = services_of(client).vendors["smartsmsbulk"]
    sample = v.sample_send(v.sample_recipient(0), "in job-7")
    async with client.session.request(
        sample.method, client.make_url("/ns/job-7" + sample.path), headers=dict(sample.headers), data=sample.body
    ) as resp:
        assert (await resp.json())["status"] == "OK"
    await page.goto(f"{base_of(client)}/_mock/ui/")
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 1")
    assert "in the default namespace" in await page.locator("[data-testid=row]").inner_text()
    options = await page.locator("[data-testid=namespace] option").all_inner_texts()
    assert options[:2] == ["default", "job-7"] and options[-1].startswith("New namespace")
    await page.locator("[data-testid=namespace]").select_option("job-7")
    await page.wait_for_url("**/_mock/ui/?ns=job-7")
    await page.wait_for_function("document.querySelectorAll('[data-testid=row]').length === 1")
    assert "in job-7" in await page.locator("[data-testid=row]").inner_text()
    assert await page.locator("[data-testid=namespace]").input_value() == "job-7"
    # A namespace's own /ui/ opens the same page on it; the vendors panel shows its base URLs.
    await page.goto(f"{base_of(client)}/ns/job-7/_mock/ui/")
    await page.wait_for_url("**/_mock/ui/?ns=job-7")
    await page.locator("[data-testid=toggle-connect]").click()
    assert "/ns/job-7/smartsmsbulk" in await page.locator("[data-testid=connect]").inner_text()
