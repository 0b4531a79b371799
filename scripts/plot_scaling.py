#!/usr/bin/env python3
"""Plots a scaling study written by scripts/scaling.sh: time per iteration and speed-up over the
smallest rank count, for each two-loop variant. Usage: plot_scaling.py RESULTS.jsonl OUT.png"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(path, out):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    runs.sort(key=lambda r: r["ranks"])
    ranks = [r["ranks"] for r in runs]
    fig, (ax_time, ax_speed) = plt.subplots(1, 2, figsize=(11, 4.2))
    for variant, style in (("fused", "o-"), ("classic", "s--")):
        t = [r["variants"][variant]["seconds_per_iteration"] * 1e3 for r in runs]
        ax_time.plot(ranks, t, style, label=variant)
        ax_speed.plot(ranks, [t[0] / x for x in t], style, label=variant)
    bound = [r["bound_seconds_per_iteration"] * 1e3 for r in runs]
    ax_time.plot(ranks, bound, ":", color="gray", label="bandwidth bound 8(4m+7)n / triad")
    ax_speed.plot(ranks, [r / ranks[0] for r in ranks], ":", color="gray", label="ideal")
    for ax in (ax_time, ax_speed):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ranks)
        ax.set_xticklabels([str(r) for r in ranks])
        ax.set_xlabel("MPI ranks")
        ax.grid(True, alpha=0.3)
        ax.legend()
    ax_time.set_yscale("log")
    ax_time.set_ylabel("ms per iteration")
    ax_speed.set_ylabel("speed-up over %d rank(s)" % ranks[0])
    first = runs[0]
    fig.suptitle("dlbfgs %s, n = %d, m = %d" % (first["problem"], first["n"], first["history_size"]))
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    print("wrote", out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
