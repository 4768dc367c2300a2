#!/usr/bin/env python3
"""Where a Gatehouse process's CPU goes, in µs per request, from an async-profiler collapsed profile.

    asprof -e cpu -i 1ms -d 20 -t -o collapsed -f gateway.txt <pid>      # under a known load
    bench/profile-parts.py gateway.txt --rps 4208 --seconds 20 --interval-us 1000

Three tables: by thread (pools folded: "#7", "-1-2" and tids dropped), by the innermost known part
of each sample (H2, Jackson, a Gatehouse package, gRPC, Netty, the JDK; kernel frames marked), and
by Gatehouse class anywhere on the stack (inclusive: a class's callees count for it too).
--threads narrows all three to threads whose name contains the given text (e.g. NettyServerTCPWorker).
Two profiles of the same process under two loads compare part by part (run 18 in bench/README.md).
"""
import argparse
import collections
import re

# Innermost match wins; order matters where prefixes nest (a Gatehouse package before io/gatehouse).
PARTS = [
    ("H2", "org/h2/"), ("Jackson", "com/fasterxml/"),
    ("masking", "io/gatehouse/processors/masking"), ("recording", "io/gatehouse/processors/recording"),
    ("policy", "io/gatehouse/processors/policy"), ("auth", "io/gatehouse/processors/auth"),
    ("limits", "io/gatehouse/processors/limits"), ("audit store", "io/gatehouse/store"),
    ("engine", "io/gatehouse/engine"), ("gateway pipeline", "io/gatehouse/gateway/pipeline"),
    ("gateway http", "io/gatehouse/gateway/http"), ("gateway other", "io/gatehouse/gateway"),
    ("agent client", "io/gatehouse/agent"), ("Gatehouse other", "io/gatehouse"),
    ("Camel", "org/apache/camel"), ("gRPC", "io/grpc"), ("Netty TLS", "io/netty/handler/ssl"),
    ("tcnative", "tcnative"), ("Netty HTTP/2", "io/netty/handler/codec/http2"),
    ("Netty HTTP", "io/netty/handler/codec/http"), ("Netty", "io/netty"),
    ("JDK crypto", "sun/security"), ("JDK crypto", "com/sun/crypto"),
    ("JDK concurrent", "java/util/concurrent"), ("JDK", "java/"), ("JDK", "jdk/"), ("JDK", "sun/"),
]
CLASS = re.compile(r"(io/gatehouse/[A-Za-z/]+?/[A-Z][A-Za-z0-9]*)[.$]")


def thread_pool(frame):
    name = re.sub(r"\s*tid=\d+\]?$", "", frame.strip("[]"))
    return re.sub(r"\s+", " ", re.sub(r"(#\d+|-\d+(-\d+)*)", "", name)).strip()


def part_of(frames):
    thread = frames[0]
    if "GC Thread" in thread or "G1 " in thread:
        return "GC"
    if "Compiler" in thread:
        return "JIT"
    for frame in reversed(frames):
        for name, prefix in PARTS:
            if prefix in frame:
                return name + (" (kernel)" if frames[-1].endswith("_[k]") else "")
    return "native, other" + (" (kernel)" if frames[-1].endswith("_[k]") else "")


def main():
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("profile", help="async-profiler collapsed output, recorded with -t")
    args.add_argument("--rps", type=float, required=True, help="requests per second during the profile")
    args.add_argument("--seconds", type=float, default=20, help="the profile's duration (-d)")
    args.add_argument("--interval-us", type=float, default=1000, help="the sampling interval (-i), in µs")
    args.add_argument("--threads", default="", help="only threads whose name contains this")
    args.add_argument("--top", type=int, default=25)
    a = args.parse_args()
    per_request = a.interval_us / (a.rps * a.seconds)  # µs of CPU per request that one sample stands for
    threads, parts, classes = collections.Counter(), collections.Counter(), collections.Counter()
    total = 0
    with open(a.profile) as f:
        for line in f:
            stack, count = line.rstrip("\n").rsplit(" ", 1)
            frames = stack.split(";")
            if a.threads not in frames[0]:
                continue
            n = int(count)
            total += n
            threads[thread_pool(frames[0])] += n
            parts[part_of(frames)] += n
            for cls in {m.group(1).rsplit("/", 1)[1] for fr in frames for m in [CLASS.match(fr)] if m}:
                classes[cls] += n
    print(f"total: {total * per_request:.1f} µs per request ({total} samples)")
    for title, counter in (("thread", threads), ("part (innermost)", parts), ("Gatehouse class (inclusive)", classes)):
        print(f"\n| {title} | µs/request | share |\n|---|---:|---:|")
        for key, n in counter.most_common(a.top):
            print(f"| {key} | {n * per_request:.1f} | {100 * n / max(total, 1):.1f} % |")


if __name__ == "__main__":
    main()
