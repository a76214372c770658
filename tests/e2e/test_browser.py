"""End-to-end in a real browser: headless Chromium driven by Selenium goes
through the clerk's day on jifen-web (SPEC section 12) with the real jifend
and the simulator behind it - log in, import a CSV (preview, confirm), add
a record, approve it as a committee member logged in by an SMS code read
from the simulator, print the 公示 list, send a notice.  A screenshot of
each page is written to BUILD/screenshots/ for a person to look at."""
import base64
import os
import re
import shutil
import tempfile
import unittest

import harness
from jifen import Village, TIMEOUT
from webfix import Web

try:
    from selenium import webdriver
    from selenium.common.exceptions import (
        StaleElementReferenceException, WebDriverException)
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    HAVE_SELENIUM = True
except ImportError:         # make check installs python3-selenium
    HAVE_SELENIUM = False

def gone(element):
    """ELEMENT no longer belongs to the page.  Like EC.staleness_of, but
    chromedriver may report a node of a page being replaced with a plain
    WebDriverException ("does not belong to the document") rather than
    StaleElementReferenceException: that is gone too."""
    try:
        element.is_enabled()
    except WebDriverException as e:
        if (isinstance(e, StaleElementReferenceException)
                or "does not belong to the document" in str(e)):
            return True
        raise
    return False


COMMITTEE = "13900000009"
SHOTS = os.path.join(harness.BUILD, "screenshots")
CSV = """household,name,phone,role,pin
N01,王建国家,13600000001,villager,
N01,王建国家,13600000011,villager,
N02,赵春花家,13600000002,villager,
N03,孙大勇家,13600000003,villager,
"""


def find_binary(*names):
    for n in names:
        p = shutil.which(n) or (n if os.path.exists(n) else None)
        if p:
            return p
    return None


class ClerkDay(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not HAVE_SELENIUM:
            raise AssertionError("python3-selenium is missing (make deps "
                                 "installs it with chromium-driver)")
        cls.v = Village()
        cls.w = Web(cls.v)
        cls.w.set_password()
        os.makedirs(SHOTS, exist_ok=True)
        cls.profile = tempfile.mkdtemp(prefix="jifen-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = find_binary("chromium", "chromium-browser",
                                           "/usr/bin/chromium")
        for a in ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-quic", "--no-first-run",
                  "--disable-background-networking",
                  "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1024,900",
                  "--lang=zh-CN", "--user-data-dir=" + cls.profile):
            opts.add_argument(a)
        service = Service(find_binary("chromedriver",
                                      "/usr/bin/chromedriver"))
        cls.d = webdriver.Chrome(service=service, options=opts)
        cls.d.set_page_load_timeout(TIMEOUT * 3)
        cls.d.implicitly_wait(5)

    @classmethod
    def tearDownClass(cls):
        try:
            cls.d.quit()
        finally:
            shutil.rmtree(cls.profile, ignore_errors=True)
            cls.w.close()
            cls.v.close()

    def shot(self, name):
        self.d.save_screenshot(os.path.join(SHOTS, name + ".png"))

    def go(self, path):
        self.d.get(self.w.base + path)

    def el(self, css):
        return self.d.find_element(By.CSS_SELECTOR, css)

    def submit(self, css):
        """Click a button and wait until the next page has loaded (the
        old page's <html> is gone): no fixed sleeps."""
        old = self.el("html")
        self.el(css).click()
        WebDriverWait(self.d, TIMEOUT).until(lambda d: gone(old))
        WebDriverWait(self.d, TIMEOUT).until(
            lambda d: d.execute_script("return document.readyState")
            == "complete")

    def body(self):
        return self.el("body").text

    def login_clerk(self):
        self.go("/login")
        self.el("#password").send_keys("clerk-secret-1")
        self.submit("#clerk-login")
        self.assertIn("总览", self.d.title)

    def logout(self):
        self.submit("#logout")
        self.assertIn("登录", self.d.title)

    def test_clerk_day(self):
        d = self.d
        # 1. log in as the clerk
        self.go("/records")
        self.assertIn("登录", d.title, "no page without a session")
        self.shot("01-login")
        self.login_clerk()
        self.shot("02-overview")
        self.assertIn("待审记录", self.body())

        # 2. import a CSV: preview, then confirm
        path = os.path.join(self.v.dir, "new-households.csv")
        with open(path, "w", encoding="utf-8") as f:
            f.write(CSV)
        self.go("/households")
        self.submit("#import-link")
        self.el("#csv").send_keys(path)
        self.submit("#preview")
        self.assertIn("导入预览", d.title)
        self.assertIn("王建国家", self.body())
        self.assertIn("将新增 4", self.el("#counts").text)
        self.shot("03-import-preview")
        self.assertEqual(self.v.query("SELECT count(*) FROM households WHERE "
                                      "id LIKE 'N%'")[0][0], 0,
                         "a preview writes nothing")
        self.submit("#confirm-import")
        self.assertIn("已新增 4", self.el("#counts").text)
        self.shot("04-import-done")
        self.assertEqual(self.v.query("SELECT count(*) FROM households WHERE "
                                      "id LIKE 'N%'")[0][0], 3)

        # 3. add a record
        self.go("/records")
        self.el("#rec-household").send_keys("N02")
        self.el("#rec-points").send_keys("5")
        self.el("#rec-reason").send_keys("清扫房前屋后")
        self.submit("#rec-add")
        self.assertIn("已新增记录", self.el("#note").text)
        no = self.v.query("SELECT no FROM records WHERE household = 'N02' "
                          "AND reason = '清扫房前屋后'")[0][0]
        self.shot("05-record-added")
        self.logout()

        # 4. a committee member logs in with a code texted to them
        before = len(self.v.sent(COMMITTEE))
        self.el("#phone").send_keys(COMMITTEE)
        self.submit("#send-code")
        self.shot("06-committee-code")
        msg = self.v.wait_sent(COMMITTEE, before + 1)[-1]["text"]
        code = re.search(r"(\d{6})", msg).group(1)
        self.el("#code").send_keys(code)
        self.submit("#verify")
        self.assertIn("总览", d.title)
        self.go("/records?status=pending")
        self.shot("07-review-list")
        notified = len(self.v.sent("13600000002"))
        self.submit("#approve-%d" % no)
        self.assertIn("已确认", self.el("#note").text)
        self.shot("08-approved")
        self.assertEqual(self.v.query(
            "SELECT status, reviewed_by FROM records WHERE no = ?",
            (no,))[0], ("approved", "+86" + COMMITTEE))
        # the household hears of it by SMS through jifend
        self.v.wait_sent("13600000002", notified + 1)
        self.logout()

        # 5. the clerk prints the 公示 list (A4)
        self.login_clerk()
        self.go("/publicity")
        self.assertIn("清扫房前屋后", self.el("#publicity").text)
        self.shot("09-publicity")
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        self.assertFalse(self.el("header").is_displayed(),
                         "no navigation on paper")
        self.shot("10-publicity-print")
        d.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        pdf = d.execute_cdp_cmd("Page.printToPDF", {
            "paperWidth": 8.27, "paperHeight": 11.69,
            "preferCSSPageSize": True})
        data = base64.b64decode(pdf["data"])
        self.assertTrue(data.startswith(b"%PDF"))
        with open(os.path.join(SHOTS, "10-publicity.pdf"), "wb") as f:
            f.write(data)

        # 6. a notice to all, its cost shown before anything is sent
        self.go("/messages")
        self.el("#notice-text").send_keys("明早8点村委会议室开会。")
        self.submit("#notice-preview")
        cost = self.el("#notice-cost").text
        self.assertIn("元", cost)
        households = self.v.query(
            "SELECT count(DISTINCT household) FROM phones")[0][0]
        self.assertIn("%d" % households, cost)
        self.shot("11-notice-cost")
        self.assertEqual(self.v.query("SELECT count(*) FROM outbox WHERE "
                                      "text LIKE '%明早8点%'")[0][0], 0)
        before = len(self.v.sent("13600000003"))
        self.submit("#notice-send")
        self.assertIn("通知已排队", self.el("#note").text)
        self.shot("12-notice-sent")
        self.v.wait_sent("13600000003", before + 1)
        self.assertEqual(self.v.query("SELECT count(*) FROM outbox WHERE "
                                      "text LIKE '%明早8点%'")[0][0],
                         households)

        # 7. the other pages, for a person to look at
        self.go("/statement?id=N02")
        self.assertIn("积分证明", d.title)
        self.shot("13-statement")
        self.go("/household?id=N01")
        self.shot("14-household")
        # a villager's matter (说事 by SMS), answered and closed on the
        # console: the state is the store's, the villager is texted
        villager = "13800000004"
        self.v.sms(villager, "说事 村口路灯坏了三天了")
        no = self.v.query("SELECT no FROM matters WHERE text = ?",
                          ("村口路灯坏了三天了",))[0][0]
        self.go("/matters")
        self.assertIn("办理中", self.el("#m%d .state" % no).text)
        self.shot("15-matters")
        before = len(self.v.sent(villager))
        self.el("#m%d input[name=text]" % no).send_keys("明天派电工来修")
        self.submit("#m%d form button" % no)
        self.assertIn("已回复", self.el("#m%d .state" % no).text)
        self.shot("15-matters-answered")
        self.assertIn("明天派电工来修",
                      self.v.wait_sent(villager, before + 1)[-1]["text"])
        self.submit("#m%d form[action='/matters/close'] button" % no)
        self.assertEqual(self.v.query("SELECT state FROM matters WHERE "
                                      "no = ?", (no,))[0][0], "closed")
        self.go("/matters?all=1")
        self.assertIn("已办结", self.el("#m%d .state" % no).text)
        self.shot("15-matters-closed")
        self.go("/messages")
        self.shot("16-messages")
        # every change is in the audit log with who made it
        audit = set(self.v.query("SELECT actor, action FROM audit WHERE "
                                 "actor LIKE 'web:%'"))
        for who, act in (("web:clerk", "household.import"),
                         ("web:clerk", "record.add"),
                         ("web:+86" + COMMITTEE, "web.review"),
                         ("web:clerk", "notice.send")):
            self.assertIn((who, act), audit)


if __name__ == "__main__":
    harness.main()
