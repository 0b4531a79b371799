#!/usr/bin/python3
"""Convergence plots from one or more `dlbfgs solve --trace FILE.csv` files.

Draws f - f* (with --f-star; otherwise f - min f over all the traces) and ||g|| against
iterations and against time, on a log scale, one curve per trace, in one PNG of four panels.
Also writes a summary, OUTPUT-summary.csv and .md (one row per trace: iterations, evaluations,
seconds, the last f - f* and ||g||); without matplotlib it writes only that and says in one
line that the plot was skipped. A trace is FILE.csv or FILE.csv=LABEL (default: the file name).
Example: plot_trace.py --f-star 0 --output rosenbrock.png m3.csv=m=3 m10.csv=m=10
"""

import csv
import math
import os
import sys

from script_support import OneLineParser, pyplot

COLUMNS = ("iteration", "f", "grad_norm", "step", "evaluations", "seconds")
SUMMARY_COLUMNS = ("label", "file", "iterations", "evaluations", "seconds", "f", "f_gap",
                   "grad_norm", "grad_norm_0")


class Failure(Exception):
    pass


def log(message):
    print("[plot_trace.py] " + message, file=sys.stderr, flush=True)


def read_trace(spec):
    """(label, path, columns as lists of floats) of FILE.csv[=LABEL]."""
    path, _, label = spec.partition("=")
    label = label or os.path.splitext(os.path.basename(path))[0]
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise Failure("%s: not a dlbfgs trace (no column %s; expected %s)"
                              % (path, missing[0], ",".join(COLUMNS)))
            rows = list(reader)
    except OSError as e:
        raise Failure("%s: %s" % (path, e.strerror)) from None
    if not rows:
        raise Failure("%s: the trace has no rows" % path)
    try:
        data = {c: [float(r[c]) for r in rows] for c in COLUMNS}
    except (TypeError, ValueError):
        raise Failure("%s: a row that is not numbers" % path) from None
    return label, path, data


def gaps(values, f_star):
    """f - f*, floored at a relative 1e-16 of max(1, |f*|) so that a log scale can show it (a
    trace that reaches f* to rounding ends on that floor)."""
    floor = 1e-16 * max(1.0, abs(f_star))
    return [max(v - f_star, floor) for v in values]


def summarize(traces, f_star):
    rows = []
    for label, path, d in traces:
        rows.append({"label": label, "file": path, "iterations": int(d["iteration"][-1]),
                     "evaluations": int(d["evaluations"][-1]), "seconds": d["seconds"][-1],
                     "f": d["f"][-1], "f_gap": d["f"][-1] - f_star,
                     "grad_norm": d["grad_norm"][-1], "grad_norm_0": d["grad_norm"][0]})
    return rows


def markdown(rows, reference):
    """The summary as a Markdown table."""
    gap = "f − f*" if reference == "f*" else "f − min f"
    lines = ["| trace | iterations | evaluations | seconds | last %s | last ‖g‖ | ‖g₀‖ |" % gap,
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append("| %s | %d | %d | %.3g | %.3g | %.3g | %.3g |"
                     % (r["label"], r["iterations"], r["evaluations"], r["seconds"], r["f_gap"],
                        r["grad_norm"], r["grad_norm_0"]))
    return "\n".join(lines) + "\n"


def plot(traces, f_star, reference, title, output):
    plt = pyplot(log)
    if plt is None:
        return False
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    for label, _, d in traces:
        gap = gaps(d["f"], f_star)
        axes[0][0].plot(d["iteration"], gap, label=label)
        axes[0][1].plot(d["seconds"], gap, label=label)
        axes[1][0].plot(d["iteration"], d["grad_norm"], label=label)
        axes[1][1].plot(d["seconds"], d["grad_norm"], label=label)
    f_label = "f - f*" if reference == "f*" else "f - min f over the traces"
    for row, name in ((0, f_label), (1, "||g||")):
        for col, x in ((0, "iteration"), (1, "seconds")):
            ax = axes[row][col]
            ax.set_yscale("log")
            ax.set_xlabel(x)
            ax.set_ylabel(name)
            ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.suptitle(title or "%s = %.6g" % (reference, f_star))
    fig.tight_layout()
    fig.savefig(output, dpi=90)
    plt.close(fig)
    return True


def main(argv):
    p = OneLineParser(prog="plot_trace.py", description=__doc__.split("\n\n")[0],
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("traces", nargs="+", metavar="FILE.csv[=LABEL]")
    p.add_argument("--f-star", type=float,
                   help="the known minimum f*; default: the least f over all the traces")
    p.add_argument("--title", help="the figure's title")
    p.add_argument("--output", default="trace.png",
                   help="the PNG (default trace.png); the summary goes to the same stem "
                   "with -summary.csv")
    args = p.parse_args(argv)
    if args.f_star is not None and not math.isfinite(args.f_star):
        p.error("--f-star must be a finite number")
    try:
        traces = [read_trace(spec) for spec in args.traces]
    except Failure as e:
        log(str(e))
        return 2
    if args.f_star is None:
        reference, f_star = "min f", min(min(d["f"]) for _, _, d in traces)
    else:
        reference, f_star = "f*", args.f_star
    stem = os.path.splitext(args.output)[0]
    rows = summarize(traces, f_star)
    with open(stem + "-summary.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    with open(stem + "-summary.md", "w") as f:
        f.write(markdown(rows, reference))
    log("summary in %s-summary.csv and .md" % stem)
    if plot(traces, f_star, reference, args.title, args.output):
        log("plot in " + args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
