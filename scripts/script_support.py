"""Shared helpers of scripts/scaling.py and scripts/plot_trace.py (not a script itself)."""

import argparse
import sys


class OneLineParser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line on standard error and exit 2."""

    def error(self, message):
        print("%s: error: %s (see --help)" % (self.prog, message), file=sys.stderr)
        sys.exit(2)


def pyplot(log):
    """matplotlib.pyplot on the Agg backend, or None after one line through log() saying why."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        log("plots skipped: %s has no matplotlib (%s; scripts/setup.sh installs "
            "python3-matplotlib)" % (sys.executable, e))
        return None
    return plt
