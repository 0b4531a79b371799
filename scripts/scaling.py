#!/usr/bin/python3
"""Strong and weak scaling of the dlbfgs program, with repeats, on any cluster.

Runs `dlbfgs solve` (a built-in problem) or `dlbfgs train` (a generated data set) at each rank
count under mpirun or srun, next to the triad bandwidth measured by `dlbfgs-bench --triad-only`
at the same rank count just before and just after each solve. Writes NAME.csv (one row per run),
NAME-summary.csv (medians and ranges per point) and, when Debian's python3 has matplotlib, four
PNGs: time per iteration, parallel efficiency, fraction of time in communication, and fraction of
the bandwidth bound reached. Points with more ranks than cores are marked oversubscribed.
Run with --help for the options; --plot CSV redraws the plots of an existing CSV.
"""

import argparse
import csv
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys

from script_support import OneLineParser, pyplot

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The `train` workload's command lines. Fields: {dlbfgs} the program, {rows} {features} {nnz}
# {classes} {seed} the data set, {data} its file. train takes the classes from the data.
GEN_DATA = ("{dlbfgs} gen-data --rows {rows} --features {features} --nnz-per-row {nnz} "
            "--classes {classes} --seed {seed} --out {data}")
TRAIN = "{dlbfgs} train --data {data}"


def train_parameters(features, classes):
    """Variables of the train problem (the solver's n): K = 1 output for two classes, else one
    per class, for each feature and the intercept."""
    return (features + 1) * (1 if classes == 2 else classes)


COLUMNS = [
    "mode", "workload", "problem", "n", "rows", "n_per_rank", "ranks", "cores", "oversubscribed",
    "history_size", "two_loop", "repeat", "reason", "iterations", "evaluations", "seconds",
    "seconds_per_iteration", "allreduce_calls", "allreduce_seconds", "communication_fraction",
    "triad_bytes_per_second", "triad_bytes_per_second_min", "triad_bytes_per_second_max",
    "bound_bytes_per_iteration", "bound_seconds_per_iteration", "bound_fraction", "launcher",
    "command",
]
SUMMARY_COLUMNS = [
    "mode", "workload", "problem", "n_per_rank", "n", "rows", "ranks", "cores", "oversubscribed",
    "history_size", "two_loop", "runs", "iterations", "seconds_per_iteration",
    "seconds_per_iteration_min", "seconds_per_iteration_max", "efficiency", "efficiency_min",
    "efficiency_max", "communication_fraction", "communication_fraction_min",
    "communication_fraction_max", "triad_bytes_per_second", "bound_fraction", "bound_fraction_min",
    "bound_fraction_max",
]


class Failure(Exception):
    """A run that cannot go on: one line for the user, and the exit status."""

    def __init__(self, message, status=1):
        super().__init__(message)
        self.status = status


def log(message):
    print("[scaling.py] " + message, file=sys.stderr, flush=True)


def count(text):
    """A whole number >= 1, also written as 1e6 or 2.5e7 (as `dlbfgs solve --n` accepts)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a number" % text) from None
    if not (1 <= value <= 9e15) or value != int(value):
        raise argparse.ArgumentTypeError("must be a whole number in [1, 9e15], got '%s'" % text)
    return int(value)


def whole(text):
    """A whole number >= 0 (history size: 0 is steepest descent once the solver accepts it)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("'%s' is not a number" % text) from None
    if not (0 <= value <= 9e15) or value != int(value):
        raise argparse.ArgumentTypeError("must be a whole number >= 0, got '%s'" % text)
    return int(value)


def count_list(text):
    items = [item for item in text.replace(",", " ").split() if item]
    if not items:
        raise argparse.ArgumentTypeError("empty list")
    return [count(item) for item in items]


def variant_list(text):
    items = [item for item in text.replace(",", " ").split() if item]
    for item in items:
        if item not in ("fused", "classic"):
            raise argparse.ArgumentTypeError("'%s' is not fused or classic" % item)
    if not items:
        raise argparse.ArgumentTypeError("empty list")
    return items


def default_cores():
    """Cores this job may use: Slurm's allocation when inside one, else this process's CPUs."""
    slurm = os.environ.get("SLURM_NTASKS") or os.environ.get("SLURM_NPROCS")
    if slurm and slurm.isdigit():
        return int(slurm)
    return len(os.sched_getaffinity(0))


def join_flag_values(argv):
    """`--launcher-flags "--cpu-bind=cores"` as `--launcher-flags=--cpu-bind=cores`: argparse
    would take a value that starts with - for an option of its own."""
    joined = []
    words = iter(argv)
    for word in words:
        if word in ("--launcher-flags", "--solver-flags"):
            word += "=" + next(words, "")
        joined.append(word)
    return joined


def parse_args(argv):
    p = OneLineParser(
        prog="scaling.py", description=__doc__.split("\n\n")[0],
        epilog="Example: scripts/scaling.py --mode weak --sizes 2e6 --ranks 1,2,4,8,16 "
        "--repeats 3 --two-loop fused,classic --launcher srun --output-dir results")
    p.add_argument("--mode", choices=("strong", "weak"), default="strong",
                   help="strong: --sizes are n; weak: --sizes are n per rank (default strong)")
    p.add_argument("--workload", choices=("solve", "train"), default="solve",
                   help="`dlbfgs solve` on --problem, or `dlbfgs train` on generated data")
    p.add_argument("--problem", default="rosenbrock", help="built-in problem (solve)")
    p.add_argument("--sizes", type=count_list, default=[2000000],
                   help="comma-separated; strong: n (train: rows), weak: per rank (default 2e6)")
    p.add_argument("--ranks", type=count_list, default=[1, 2],
                   help="comma-separated rank counts (default 1,2)")
    p.add_argument("--repeats", type=count, default=3, help="runs per point (default 3)")
    p.add_argument("--history", type=whole, default=10,
                   help="history size m, passed as --history (default 10)")
    p.add_argument("--two-loop", type=variant_list, default=["fused"],
                   help="comma-separated: fused, classic (default fused)")
    p.add_argument("--solver-flags", default="",
                   help="more flags for `dlbfgs solve`/`train`, e.g. \"--grad-tol 1e-6\"")
    p.add_argument("--features", type=count, default=100000, help="train: features (1e5)")
    p.add_argument("--nnz-per-row", type=count, default=20, help="train: non-zeros a row (20)")
    p.add_argument("--classes", type=count, default=2, help="train: classes (2)")
    p.add_argument("--launcher", choices=("mpirun", "srun"), default="mpirun",
                   help="mpirun -np P, or srun --ntasks P (default mpirun)")
    p.add_argument("--launcher-flags", default=os.environ.get("DLBFGS_MPIEXEC_FLAGS", ""),
                   help="extra launcher flags (default $DLBFGS_MPIEXEC_FLAGS); with mpirun, "
                   "ranks are bound to cores when P <= cores unless these name --bind-to")
    p.add_argument("--cores", type=count, default=default_cores(),
                   help="cores available; more ranks than this is oversubscribed (default: "
                   "$SLURM_NTASKS, else the CPUs this process may run on: %(default)s)")
    p.add_argument("--dlbfgs", default=os.environ.get("DLBFGS_PROGRAM",
                                                      os.path.join(ROOT, "build/apps/dlbfgs")),
                   help="the dlbfgs program (default $DLBFGS_PROGRAM or build/apps/dlbfgs)")
    p.add_argument("--bench", default=os.environ.get("DLBFGS_BENCH",
                                                     os.path.join(ROOT, "build/bench/dlbfgs-bench")),
                   help="dlbfgs-bench, for the triad (default $DLBFGS_BENCH or "
                   "build/bench/dlbfgs-bench)")
    p.add_argument("--output-dir", default=os.path.join(ROOT, "bench-results"),
                   help="where the CSVs and PNGs go (default bench-results/)")
    p.add_argument("--name", help="file name stem (default scaling-MODE-WORKLOAD-PROBLEM)")
    p.add_argument("--plot", metavar="CSV",
                   help="only redraw the summary and plots of an existing CSV of this script")
    args = p.parse_args(join_flag_values(argv))
    for option in ("launcher_flags", "solver_flags"):
        try:
            shlex.split(getattr(args, option))
        except ValueError as e:
            p.error("--%s: %s" % (option.replace("_", "-"), e))
    if args.launcher == "srun" and names_bind_to(shlex.split(args.launcher_flags)):
        p.error("--launcher-flags: --bind-to is an mpirun flag, not srun's")
    return args


def names_bind_to(flags):
    return any(flag.startswith("--bind-to") for flag in flags)


def launcher_command(args, ranks):
    """The launcher and its flags for `ranks` ranks."""
    extra = shlex.split(args.launcher_flags)
    if args.launcher == "srun":
        return ["srun", "--ntasks=%d" % ranks] + extra
    mpirun = os.environ.get("DLBFGS_MPIEXEC", "mpirun")
    if not names_bind_to(extra):
        extra = ["--bind-to", "core" if ranks <= args.cores else "none"] + extra
    return [mpirun, "-np", str(ranks)] + extra


def run_json(command, what):
    """Runs command; returns (exit status, the JSON object on the last line of its output)."""
    proc = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode == 2:
        message = (proc.stderr.strip().splitlines() or ["no message"])[-1]
        raise Failure("%s refused its input: %s (%s)" % (what, message, shlex.join(command)), 2)
    try:
        result = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise Failure("%s exited %d without a JSON line: %s (%s)"
                      % (what, proc.returncode, tail, shlex.join(command))) from None
    return proc.returncode, result


def has_subcommand(dlbfgs, name):
    """Whether `dlbfgs --help` lists the subcommand (`dlbfgs NAME --help` exits 0 either way:
    it prints the program's help when NAME is unknown)."""
    proc = subprocess.run([dlbfgs, "--help"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True)
    lines = proc.stdout.split("Subcommands:", 1)[-1].splitlines()
    return proc.returncode == 0 and any(line.split()[:1] == [name] for line in lines)


def triad(args, ranks, n):
    command = launcher_command(args, ranks) + [args.bench, "--triad-only", "--n", str(n),
                                               "--repeats", "10"]
    return run_json(command, "dlbfgs-bench --triad-only")[1]


def workload_command(args, n, data):
    """The dlbfgs command line of one run (without the launcher)."""
    if args.workload == "solve":
        base = [args.dlbfgs, "solve", "--problem", args.problem, "--n", str(n)]
    else:
        base = shlex.split(TRAIN.format(dlbfgs=shlex.quote(args.dlbfgs), data=shlex.quote(data),
                                        classes=args.classes))
    return base + ["--history", str(args.history), "--quiet", "--json"] + shlex.split(
        args.solver_flags)


def generate_data(args, rows):
    """Writes the train data set of `rows` rows once (serial run of gen-data); its path."""
    data = os.path.join(args.output_dir, "data",
                        "rows%d-d%d-z%d-k%d.txt" % (rows, args.features, args.nnz_per_row,
                                                    args.classes))
    if not os.path.exists(data):
        os.makedirs(os.path.dirname(data), exist_ok=True)
        command = shlex.split(GEN_DATA.format(
            dlbfgs=shlex.quote(args.dlbfgs), rows=rows, features=args.features,
            nnz=args.nnz_per_row, classes=args.classes, seed=1, data=shlex.quote(data)))
        log("generating " + shlex.join(command))
        if subprocess.run(command).returncode != 0:
            raise Failure("gen-data failed: " + shlex.join(command))
    return data


def bound_bytes(args, n):
    """Bytes an iteration must stream at least, as dlbfgs-bench counts them: 8(4m+7)n for the
    solver's vectors. Train's data traffic is left out (it depends on `train`'s data layout), so
    its bound fraction counts the solver's vectors only: a lower estimate."""
    return 8.0 * (4 * args.history + 7) * n


def measure(args):
    """Runs every point and repeat; returns the rows of the CSV."""
    for tool in (args.dlbfgs, args.bench):
        if not (os.path.isfile(tool) and os.access(tool, os.X_OK)):
            raise Failure("%s is not an executable file (build first: cmake --build build, or "
                          "give --dlbfgs/--bench)" % tool, 2)
    if args.launcher == "srun" and shutil.which("srun") is None:
        raise Failure("--launcher srun: srun is not on PATH", 2)
    problem = args.problem
    if args.workload == "train":
        if not has_subcommand(args.dlbfgs, "train"):
            log("%s has no `train` subcommand: the train workload is skipped" % args.dlbfgs)
            return None
        problem = "train-d%d-z%d-k%d" % (args.features, args.nnz_per_row, args.classes)
    rows = []
    # Repeats are the outer loop, so that a drift of a shared machine hits every point alike.
    for repeat in range(args.repeats):
        for size in args.sizes:
            for ranks in args.ranks:
                total = size * ranks if args.mode == "weak" else size
                data = generate_data(args, total) if args.workload == "train" else ""
                n = (train_parameters(args.features, args.classes)
                     if args.workload == "train" else total)
                for variant in args.two_loop:
                    rows.append(one_run(args, repeat, problem, n, total, ranks, variant, data))
    return rows


def one_run(args, repeat, problem, n, total, ranks, variant, data):
    """One solve (total: n, or the rows of train's data) between two triads, as a CSV row.
    The triad streams n doubles (train: rows x non-zeros a row) over all ranks."""
    triad_n = total * args.nnz_per_row if args.workload == "train" else n
    command = launcher_command(args, ranks) + workload_command(args, n, data) + [
        "--two-loop", variant]
    oversubscribed = ranks > args.cores
    log("repeat %d/%d, %d rank(s)%s: %s" % (repeat + 1, args.repeats, ranks,
                                            " (oversubscribed)" if oversubscribed else "",
                                            shlex.join(command)))
    before = triad(args, ranks, triad_n)
    status, result = run_json(command, "dlbfgs " + args.workload)
    after = triad(args, ranks, triad_n)
    if status != 0:
        log("  stopped without converging (%s): timed all the same" % result.get("reason"))
    iterations = max(1, int(result.get("iterations") or 0))
    seconds = float(result["seconds"])
    per_iteration = seconds / iterations
    bandwidth = 0.5 * (before["triad_bytes_per_second"] + after["triad_bytes_per_second"])
    bound = bound_bytes(args, n)
    bound_seconds = bound / bandwidth
    return {
        "mode": args.mode, "workload": args.workload, "problem": problem, "n": n,
        "rows": total if args.workload == "train" else 0, "n_per_rank": total // ranks,
        "ranks": ranks,
        "cores": args.cores, "oversubscribed": int(oversubscribed),
        "history_size": args.history, "two_loop": variant, "repeat": repeat + 1,
        "reason": result.get("reason"), "iterations": result.get("iterations"),
        "evaluations": result.get("evaluations"), "seconds": seconds,
        "seconds_per_iteration": per_iteration,
        "allreduce_calls": result.get("allreduce_calls"),
        # The solver's allreduce time in the iterations (communication_seconds; older builds
        # report only allreduce_seconds, which also holds the start-up check's wait).
        "allreduce_seconds": result.get("communication_seconds", result.get("allreduce_seconds")),
        "communication_fraction": float(result.get("communication_seconds",
                                                   result.get("allreduce_seconds")) or 0) / seconds
        if seconds > 0 else "",
        "triad_bytes_per_second": bandwidth,
        "triad_bytes_per_second_min": min(before["triad_bytes_per_second_min"],
                                          after["triad_bytes_per_second_min"]),
        "triad_bytes_per_second_max": max(before["triad_bytes_per_second_max"],
                                          after["triad_bytes_per_second_max"]),
        "bound_bytes_per_iteration": bound, "bound_seconds_per_iteration": bound_seconds,
        "bound_fraction": bound_seconds / per_iteration, "launcher": args.launcher,
        "command": shlex.join(command),
    }


def write_csv(path, columns, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def read_csv(path):
    try:
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise Failure("%s: not a CSV of scaling.py (no column %s)" % (path, missing[0]),
                              2)
            rows = list(reader)
    except OSError as e:
        raise Failure("%s: %s" % (path, e.strerror), 2) from None
    if not rows:
        raise Failure("%s: no runs" % path, 2)
    for row in rows:
        for key in ("n", "rows", "n_per_rank", "ranks", "cores", "oversubscribed",
                    "history_size"):
            row[key] = int(row[key])
        for key in ("seconds_per_iteration", "communication_fraction",
                    "triad_bytes_per_second", "bound_fraction"):
            row[key] = float(row[key]) if row[key] != "" else float("nan")
    return rows


def series_key(row):
    """The points of one curve: same mode, workload, problem, size (n, or train's rows; per
    rank when weak), m and variant."""
    size = row["n_per_rank"] if row["mode"] == "weak" else row["rows"] or row["n"]
    return (row["mode"], row["workload"], row["problem"], size, row["history_size"],
            row["two_loop"])


def summarize(rows):
    """Medians and ranges per point; parallel efficiency against the curve's fewest ranks:
    strong T(p0)·p0 / (T(p)·p), weak T(p0) / T(p), per iteration."""
    points = {}
    for row in rows:
        points.setdefault(series_key(row) + (int(row["ranks"]),), []).append(row)
    summary = []
    for key in sorted(points):
        runs = points[key]
        t = [float(r["seconds_per_iteration"]) for r in runs]
        comm = [float(r["communication_fraction"]) for r in runs]
        frac = [float(r["bound_fraction"]) for r in runs]
        first = runs[0]
        summary.append({
            "mode": first["mode"], "workload": first["workload"], "problem": first["problem"],
            "n_per_rank": first["n_per_rank"], "n": first["n"], "rows": first["rows"],
            "ranks": first["ranks"],
            "cores": first["cores"], "oversubscribed": first["oversubscribed"],
            "history_size": first["history_size"], "two_loop": first["two_loop"],
            "runs": len(runs), "iterations": statistics.median(int(r["iterations"]) for r in runs),
            "seconds_per_iteration": statistics.median(t), "seconds_per_iteration_min": min(t),
            "seconds_per_iteration_max": max(t),
            "communication_fraction": statistics.median(comm),
            "communication_fraction_min": min(comm), "communication_fraction_max": max(comm),
            "triad_bytes_per_second": statistics.median(
                float(r["triad_bytes_per_second"]) for r in runs),
            "bound_fraction": statistics.median(frac), "bound_fraction_min": min(frac),
            "bound_fraction_max": max(frac), "_key": key[:-1], "_t": t,
        })
    for point in summary:
        base = min((s for s in summary if s["_key"] == point["_key"]), key=lambda s: s["ranks"])
        scale = base["ranks"] / point["ranks"] if point["mode"] == "strong" else 1.0
        eff = [base["seconds_per_iteration"] * scale / x for x in point["_t"]]
        point.update(efficiency=statistics.median(eff), efficiency_min=min(eff),
                     efficiency_max=max(eff))
    return summary


def print_table(summary):
    print("%-6s %-10s %-22s %12s %5s %3s %-7s %12s %11s %6s %6s %6s"
          % ("mode", "workload", "problem", "n", "ranks", "m", "variant", "ms/iter",
             "range", "eff", "comm", "bound"))
    for s in summary:
        print("%-6s %-10s %-22s %12d %5d %3d %-7s %12.4f %5.4g-%-5.4g %6.2f %6.2f %6.2f%s"
              % (s["mode"], s["workload"], s["problem"], s["n"], s["ranks"], s["history_size"],
                 s["two_loop"], s["seconds_per_iteration"] * 1e3,
                 s["seconds_per_iteration_min"] * 1e3, s["seconds_per_iteration_max"] * 1e3,
                 s["efficiency"], s["communication_fraction"], s["bound_fraction"],
                 "  oversubscribed" if s["oversubscribed"] else ""))


def markdown(summary):
    """The summary as a Markdown table (the numbers behind the plots)."""
    lines = ["| mode | problem | n | ranks | m | variant | iterations | ms/iter (range) | "
             "efficiency | comm. fraction | bound fraction (range) | triad GB/s |",
             "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for s in summary:
        lines.append("| %s | %s | %d | %d%s | %d | %s | %g | %.3f (%.3f–%.3f) | %.2f | %.2f | "
                     "%.2f (%.2f–%.2f) | %.1f |"
                     % (s["mode"], s["problem"], s["n"], s["ranks"],
                        " (oversubscribed)" if s["oversubscribed"] else "", s["history_size"],
                        s["two_loop"], s["iterations"], s["seconds_per_iteration"] * 1e3,
                        s["seconds_per_iteration_min"] * 1e3, s["seconds_per_iteration_max"] * 1e3,
                        s["efficiency"], s["communication_fraction"], s["bound_fraction"],
                        s["bound_fraction_min"], s["bound_fraction_max"],
                        s["triad_bytes_per_second"] / 1e9))
    return "\n".join(lines) + "\n"


def plot(summary, stem):
    """Four PNGs next to the CSV; None when matplotlib is missing (said in one line)."""
    plt = pyplot(log)
    if plt is None:
        return None
    figures = [
        ("time", "time per iteration (ms)", "seconds_per_iteration", 1e3, True),
        ("efficiency", "parallel efficiency", "efficiency", 1.0, False),
        ("communication", "fraction of time in allreduce", "communication_fraction", 1.0, False),
        ("bandwidth", "fraction of the bandwidth bound 8(4m+7)n / triad", "bound_fraction",
         1.0, False),
    ]
    curves = {}
    for s in summary:
        curves.setdefault(s["_key"], []).append(s)
    written = []
    for name, label, field, scale, log_y in figures:
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        ranks_seen = set()
        for key, points in curves.items():
            points.sort(key=lambda s: s["ranks"])
            mode, workload, problem, size, m, variant = key
            x = [s["ranks"] for s in points]
            ranks_seen.update(x)
            y = [s[field] * scale for s in points]
            lo = [s.get(field + "_min", s[field]) * scale for s in points]
            hi = [s.get(field + "_max", s[field]) * scale for s in points]
            text = "%s n%s=%.3g m=%d %s" % (problem, "/p" if mode == "weak" else "", size, m,
                                             variant)
            line = ax.errorbar(x, y, yerr=[[a - b for a, b in zip(y, lo)],
                                           [b - a for a, b in zip(y, hi)]],
                               marker="o", capsize=3, label=text)
            over = [i for i, s in enumerate(points) if s["oversubscribed"]]
            if over:
                ax.plot([x[i] for i in over], [y[i] for i in over], "o", markersize=11,
                        markerfacecolor="none", markeredgecolor=line[0].get_color())
        if any(s["oversubscribed"] for s in summary):
            ax.plot([], [], "o", markersize=11, markerfacecolor="none", markeredgecolor="gray",
                    label="oversubscribed (ranks > %d cores)" % summary[0]["cores"])
        if field in ("efficiency", "bound_fraction"):
            ax.axhline(1.0, color="gray", linestyle=":", linewidth=1)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(ranks_seen))
        ax.set_xticklabels([str(r) for r in sorted(ranks_seen)])
        ax.minorticks_off()
        if log_y:
            ax.set_yscale("log")
        ax.set_xlabel("MPI ranks")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
        first = summary[0]
        ax.set_title("dlbfgs %s scaling, %s (median of %d, range bars)"
                     % (first["mode"], first["workload"], first["runs"]), fontsize=9)
        fig.tight_layout()
        path = "%s-%s.png" % (stem, name)
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written


def report(rows, stem):
    summary = summarize(rows)
    write_csv(stem + "-summary.csv", SUMMARY_COLUMNS, summary)
    with open(stem + "-summary.md", "w") as f:
        f.write(markdown(summary))
    log("summary in %s-summary.csv and .md" % stem)
    print_table(summary)
    for path in plot(summary, stem) or []:
        log("plot in " + path)


def main(argv):
    args = parse_args(argv)
    try:
        if args.plot:
            report(read_csv(args.plot), os.path.splitext(args.plot)[0])
            return 0
        os.makedirs(args.output_dir, exist_ok=True)
        name = args.name or "scaling-%s-%s%s" % (
            args.mode, args.workload, "-" + args.problem if args.workload == "solve" else "")
        stem = os.path.join(args.output_dir, name)
        rows = measure(args)
        if rows is None:
            return 0
        write_csv(stem + ".csv", COLUMNS, rows)
        log("runs in %s.csv" % stem)
        report(read_csv(stem + ".csv"), stem)
    except Failure as e:
        log(str(e))
        return e.status
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
