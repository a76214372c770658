"""Tiny TAP runner for the end-to-end suites (tests/e2e/test_*.py).

Each suite is a plain unittest module ending with ``harness.main()``; every
test method is printed as one TAP line so tests/run-tests.sh can count it.
Paths: JIFEN_BUILD points at the build directory (default ./build).
"""
import os
import sys
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("JIFEN_BUILD", os.path.join(TOP, "build"))


def binpath(name):
    return os.path.join(BUILD, name)


class _TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, ok, test, detail=None):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, test.id()),
              flush=True)
        if detail:
            for ln in detail.rstrip().splitlines():
                print("# " + ln, flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(False, test, self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self._line(False, test, self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, test.id(), reason),
              flush=True)


def main():
    suite = unittest.defaultTestLoader.loadTestsFromModule(
        sys.modules["__main__"])
    res = _TapResult()
    suite.run(res)
    sys.exit(0 if res.wasSuccessful() else 1)
