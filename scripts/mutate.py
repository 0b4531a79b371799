#!/usr/bin/python3
"""Mutation sweep: applies each deliberate bug of scripts/mutations.txt, alone, to a scratch copy
of the tree, rebuilds, runs the tests that should notice it and reports which bugs survived.

Not part of the default test command (it rebuilds once per bug). Run through scripts/mutate.sh.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse(path):
    """The mutation blocks: dicts with id, file, occurrence, tests, old, new."""
    mutations, block, part = [], None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if block is None:
                if line.startswith("@ "):
                    fields = line.split()
                    if len(fields) != 5:
                        sys.exit(f"mutate: {path}: bad header line: {line.strip()}")
                    block = dict(id=fields[1], file=fields[2], occurrence=int(fields[3]),
                                 tests=fields[4], old=[], new=[])
                    part = "old"
                continue
            if line.rstrip("\n") == "====":
                part = "new"
            elif line.rstrip("\n") == "@@":
                mutations.append(block)
                block = None
            else:
                block[part].append(line)
    if block is not None:
        sys.exit(f"mutate: {path}: block {block['id']} has no closing @@")
    return mutations


def apply(text, m):
    """text with the m['occurrence']-th match of m's old text replaced, or None if absent."""
    old, new = "".join(m["old"]), "".join(m["new"])
    at = -1
    for _ in range(m["occurrence"]):
        at = text.find(old, at + 1)
        if at < 0:
            return None
    return text[:at] + new + text[at + len(old):]


def run(cmd, cwd, log, timeout):
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        out.flush()
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                  timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            return 124


def first_failure(log):
    """The first failed ctest entry named in the log, for the report."""
    with open(log, encoding="utf-8", errors="replace") as f:
        for line in f:
            hit = re.search(r"\d+ - (\S+) \((Failed|Timeout|SEGFAULT|Subprocess aborted)", line)
            if hit:
                return hit.group(1)
    return "?"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--check", action="store_true",
                        help="check that every mutation applies to the tree, and exit")
    parser.add_argument("--only", default="", help="regex: run only the mutations it matches")
    parser.add_argument("--scratch", default="/tmp/dlbfgs-mutate", help="scratch directory")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per mutation's tests")
    args = parser.parse_args()

    mutations = parse(os.path.join(ROOT, "scripts", "mutations.txt"))
    if args.only:
        mutations = [m for m in mutations if re.search(args.only, m["id"])]
    if args.list:
        for m in mutations:
            print(f"{m['id']:36} {m['file']:22} {m['tests']}")
        return 0
    bad = []
    for m in mutations:
        with open(os.path.join(ROOT, m["file"]), encoding="utf-8") as f:
            if apply(f.read(), m) is None:
                bad.append(m["id"])
    if bad:
        print("mutate: these mutations no longer apply (their text changed): " + ", ".join(bad),
              file=sys.stderr)
        return 2
    if args.check:
        print(f"all {len(mutations)} mutations apply")
        return 0

    # A scratch copy of what git tracks or would track, and one build tree for every mutation.
    tree, build = os.path.join(args.scratch, "tree"), os.path.join(args.scratch, "build")
    shutil.rmtree(tree, ignore_errors=True)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        if os.path.isfile(os.path.join(ROOT, name)):
            os.makedirs(os.path.dirname(os.path.join(tree, name)) or tree, exist_ok=True)
            shutil.copy2(os.path.join(ROOT, name), os.path.join(tree, name))
    log_dir = os.path.join(args.scratch, "logs")
    os.makedirs(log_dir, exist_ok=True)
    jobs = str(os.cpu_count() or 2)
    setup_log = os.path.join(log_dir, "setup.log")
    if run(["cmake", "-S", tree, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
            "-DMPIEXEC_MAX_NUMPROCS=4", "-DDLBFGS_BUILD_TESTS=ON"], tree, setup_log, 600) or \
            run(["cmake", "--build", build, "--parallel", jobs], tree, setup_log, 3600):
        print(f"mutate: the unmutated tree does not build: {setup_log}", file=sys.stderr)
        return 1

    results = []
    for m in mutations:
        path = os.path.join(tree, m["file"])
        with open(path, encoding="utf-8") as f:
            original = f.read()
        log = os.path.join(log_dir, m["id"] + ".log")
        open(log, "w").close()
        start = time.time()
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(apply(original, m))
            if run(["cmake", "--build", build, "--parallel", jobs], tree, log, 1800) != 0:
                outcome, by = "no-build", "-"
            else:
                status = run(["ctest", "-R", m["tests"], "--stop-on-failure", "--timeout", "120"],
                             build, log, args.timeout)
                outcome, by = ("killed", first_failure(log)) if status else ("SURVIVED", "-")
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)
        results.append((m["id"], outcome, by, time.time() - start))
        print(f"{m['id']:36} {outcome:9} {by:50} {results[-1][3]:6.0f} s", flush=True)
    run(["cmake", "--build", build, "--parallel", jobs], tree, setup_log, 1800)  # back to clean

    killed = sum(1 for r in results if r[1] == "killed")
    survived = [r[0] for r in results if r[1] == "SURVIVED"]
    counted = killed + len(survived)
    rate = 100.0 * killed / counted if counted else 0.0
    print(f"\n{killed} of {counted} mutations killed ({rate:.0f}%); "
          f"{sum(1 for r in results if r[1] == 'no-build')} did not build; logs in {log_dir}")
    if survived:
        print("survived: " + ", ".join(survived))
    return 0 if not survived else 3


if __name__ == "__main__":
    sys.exit(main())
