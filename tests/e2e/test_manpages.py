"""The man pages (docs/man/*.scd) against the programs and the config keys.

Every option and command a program's --help prints must appear in its man
page, and every key of config/config.c's key table in jifen.conf(5), so
the pages cannot drift from the code.  Every program answers --help and
--version (the version is the Makefile's VERSION).  A program whose binary
is not built (yet) is skipped, and says so.
"""
import os
import re
import subprocess
import unittest

import harness

MAN = os.path.join(harness.TOP, "docs", "man")
PROGRAMS = {"jifend": "jifend.8", "jifenctl": "jifenctl.8",
            "jifen-web": "jifen-web.8", "jifen-sync": "jifen-sync.8"}


def makefile_version():
    with open(os.path.join(harness.TOP, "Makefile"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"VERSION\s*=\s*(\S+)", line)
            if m:
                return m.group(1)
    raise AssertionError("no VERSION in the Makefile")


def page_text(page):
    """The scdoc source without its bold markup and escapes."""
    with open(os.path.join(MAN, page + ".scd"), encoding="utf-8") as f:
        text = f.read()
    return re.sub(r"[*\\]", "", text)


def help_items(text):
    """Options (-x, --long) anywhere in --help, and commands: the leading
    lower-case words of an indented line that does not start with '-'."""
    items = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", text))
    for line in text.splitlines():
        # a command starts two spaces in; deeper lines continue a text
        m = re.match(r"  ([a-z][a-z-]*(?: [a-z][a-z-]*)?)(?=\s|$)", line)
        if m:
            words = m.group(1).split()
            items.add(words[0])
            # "record add" is a command, "import FILE" is not two words
            if len(words) > 1:
                items.add(" ".join(words))
    return items


def in_page(item, page):
    """ITEM as a whole word of PAGE ("init" is not found in "initial")."""
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(item),
                     page) is not None


def config_keys():
    with open(os.path.join(harness.TOP, "config", "config.c"),
              encoding="utf-8") as f:
        src = f.read()
    table = src[src.index("static const struct key keys[]"):]
    table = table[:table.index("};")]
    return re.findall(r"^\s*[A-Z]+\((\w+),\s*(\w+)", table, re.M)


class ManPages(unittest.TestCase):
    def run_prog(self, name, *args):
        path = harness.binpath(name)
        if not os.path.exists(path):
            self.skipTest("%s is not built yet" % name)
        return subprocess.run([path] + list(args), capture_output=True,
                              text=True, timeout=60)

    def check_program(self, name):
        page = page_text(PROGRAMS[name])
        r = self.run_prog(name, "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        missing = sorted(i for i in help_items(r.stdout)
                         if not in_page(i, page))
        self.assertEqual(missing, [],
                         "%s --help has items its man page lacks" % name)
        r = self.run_prog(name, "--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        # "NAME VERSION", optionally followed by more (a protocol)
        self.assertRegex(r.stdout.strip(), r"^%s %s( |$)" % (
            re.escape(name), re.escape(makefile_version())))

    def test_jifend(self):
        self.check_program("jifend")

    def test_jifenctl(self):
        self.check_program("jifenctl")

    def test_jifen_web(self):
        self.check_program("jifen-web")

    def test_jifen_sync(self):
        self.check_program("jifen-sync")

    def test_jifen_modemsim(self):
        """The simulator (a test tool: docs/SIMULATOR.md, no man page)
        answers --help and --version too, and its page lists its options."""
        with open(os.path.join(harness.TOP, "docs", "SIMULATOR.md"),
                  encoding="utf-8") as f:
            page = f.read()
        r = self.run_prog("jifen-modemsim", "--help")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("--link", r.stdout)
        missing = sorted(i for i in help_items(r.stdout)
                         if i.startswith("-") and not in_page(i, page))
        self.assertEqual(missing, [], "options missing from SIMULATOR.md")
        r = self.run_prog("jifen-modemsim", "--version")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(),
                         "jifen-modemsim %s" % makefile_version())
        r = self.run_prog("jifen-modemsim", "--no-such-option")
        self.assertEqual(r.returncode, 2)
        self.assertIn("usage: jifen-modemsim", r.stderr)

    def test_config_keys(self):
        page = page_text("jifen.conf.5")
        keys = config_keys()
        self.assertGreater(len(keys), 20)
        missing = ["%s.%s" % k for k in keys
                   if not in_page("%s.%s" % k, page)]
        self.assertEqual(missing, [], "keys missing from jifen.conf(5)")

    def test_drift_detected(self):
        """The checker itself: an option the page lacks is found."""
        items = help_items("usage: x\n  -Q, --quux  new\n  frob NAME  do\n")
        self.assertIn("--quux", items)
        self.assertIn("frob", items)
        self.assertFalse(in_page("--quux", page_text("jifend.8")))
        self.assertFalse(in_page("init", "initialised"))
        self.assertNotIn("comes", help_items("  -l ADDR  stay\n"
                                             "           comes from\n"))

    def test_pages_built(self):
        """make builds every page with scdoc, version filled in."""
        for page in list(PROGRAMS.values()) + ["jifen.conf.5"]:
            path = os.path.join(harness.BUILD, "man", page)
            if not os.path.exists(path):
                # the qemu wrapper directory of check-armhf has no pages
                path = os.path.join(harness.TOP, "build", "man", page)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            self.assertIn(".TH", text)
            self.assertIn(makefile_version(), text)
            self.assertNotIn("@VERSION@", text)


if __name__ == "__main__":
    harness.main()
