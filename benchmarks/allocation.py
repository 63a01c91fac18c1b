"""Sly Park week allocation: a season of 30 weeks and 300 requests, solved exactly by CP-SAT.

Prints the time to a proven optimum (median of several runs), the optimality status, and how many
requests got their 1st, 2nd, ... choice or nothing, next to a first-come-first-served baseline
measured in the same run: requests in submitted order each take their best choice that still
fits (whole; a school that cannot share only takes an empty week; no splits; tiers ignored).

The season is seeded: spring weeks are the most popular, each school's choices cluster around a
favourite week, a few schools cannot share or may be split, three priority tiers, about 90 boys'
and 90 girls' beds a week, schools of 20-90 students.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections import Counter

from booking.slypark.allocation import Request, Settings, Week, allocate

CLOSED_ORDERS = {9, 15, 25}  # Thanksgiving, winter break, spring break


def season(seed: int, n_weeks: int, n_requests: int) -> tuple[list[Week], list[Request]]:
    rng = random.Random(seed)
    weeks = [
        Week(
            id=order,
            order=order,
            boys_beds=rng.randint(84, 96),
            girls_beds=rng.randint(84, 96),
            closed=order in CLOSED_ORDERS,
        )
        for order in range(1, n_weeks + 1)
    ]
    open_orders = [w.order for w in weeks if not w.closed]
    # Fall is fine, winter is cold, spring is what everyone wants (peaking late April / May).
    popularity = [
        1.0 if o <= n_weeks * 0.35 else 0.5 if o <= n_weeks * 0.6 else 2.0 + (o - n_weeks * 0.6) / 4
        for o in open_orders
    ]
    tiers = [0] * 25 + [1] * 50 + [2] * 25
    requests = []
    submitted = list(range(n_requests))
    rng.shuffle(submitted)
    for i in range(n_requests):
        students = rng.randint(20, 90)
        boys = sum(rng.random() < 0.5 for _ in range(students))
        favourite = rng.choices(open_orders, popularity)[0]
        n_choices = rng.choices([2, 3, 4, 5], [1, 3, 3, 3])[0]
        choices = [favourite]
        while len(choices) < n_choices:
            offset = rng.choices([1, 2, 3, 4, 6], [5, 4, 3, 2, 1])[0] * rng.choice([-1, 1])
            week = favourite + offset
            if week in open_orders and week not in choices:
                choices.append(week)
        requests.append(
            Request(
                id=f"R{i + 1:03d}",
                school=f"School {i + 1}",
                tier=rng.choice(tiers),
                boys=boys,
                girls=students - boys,
                choices=tuple(choices),
                can_share=rng.random() > 0.05,
                can_split=students >= 60 and rng.random() < 0.25,
                submitted_order=submitted[i],
            )
        )
    return weeks, requests


def first_come_first_served(weeks: list[Week], requests: list[Request]) -> dict[str, int | None]:
    by_id = {w.id: w for w in weeks}
    boys_left = {w.id: w.boys_beds for w in weeks}
    girls_left = {w.id: w.girls_beds for w in weeks}
    schools: dict[int, list[Request]] = {w.id: [] for w in weeks}
    ranks: dict[str, int | None] = {}
    for request in sorted(requests, key=lambda r: r.submitted_order):
        ranks[request.id] = None
        for rank, week_id in enumerate(request.choices, start=1):
            there = schools[week_id]
            if by_id[week_id].closed or any(not s.can_share for s in there) or (there and not request.can_share):
                continue
            if request.boys <= boys_left[week_id] and request.girls <= girls_left[week_id]:
                boys_left[week_id] -= request.boys
                girls_left[week_id] -= request.girls
                there.append(request)
                ranks[request.id] = rank
                break
    return ranks


def row(label: str, ranks: list[int | None], requests_by_tier: dict[int, list[str]], by_id: dict) -> str:
    counts = Counter(ranks)
    cells = " ".join(f"{counts.get(rank, 0):5d}" for rank in range(1, 6))
    firsts = " / ".join(str(sum(1 for rid in ids if by_id[rid] == 1)) for _, ids in sorted(requests_by_tier.items()))
    return f"{label:<22} {cells} {counts.get(None, 0):6d}     {firsts}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--weeks", type=int, default=30)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--split-penalty", type=int, default=20)
    args = parser.parse_args()

    weeks, requests = season(args.seed, args.weeks, args.requests)
    settings = Settings(weights=(100, 70, 45, 25, 10), split_penalty=args.split_penalty)
    demand = sum(r.boys + r.girls for r in requests)
    beds = sum(w.boys_beds + w.girls_beds for w in weeks if not w.closed)
    print(
        f"season: {args.weeks} weeks ({len(CLOSED_ORDERS & {w.order for w in weeks})} closed), {beds} beds in open weeks; "
        f"{args.requests} requests, {demand} students ({demand / beds:.1f}x the beds); "
        f"{sum(not r.can_share for r in requests)} cannot share, {sum(r.can_split for r in requests)} may split; "
        f"tiers {dict(sorted(Counter(r.tier for r in requests).items()))}; seed {args.seed}"
    )

    times, results = [], []
    for _ in range(args.runs):
        started = time.perf_counter()
        results.append(allocate(weeks, requests, settings))
        times.append(time.perf_counter() - started)
    result = results[0]
    same = all(r.outcomes == result.outcomes for r in results)
    started = time.perf_counter()
    baseline = first_come_first_served(weeks, requests)
    baseline_seconds = time.perf_counter() - started

    print(
        f"solver: {result.solver} {result.solver_version}, 1 worker; status {result.status} (gap {result.gap:.2%}); "
        f"identical result in all {args.runs} runs: {same}"
    )
    print(
        f"time to optimal: median {statistics.median(times):.2f} s, min {min(times):.2f} s, max {max(times):.2f} s; "
        f"stages: " + ", ".join(f"{s.name} {s.seconds:.2f} s ({s.work:.1f} work)" for s in result.stages)
    )
    print(f"first-come-first-served baseline: {baseline_seconds * 1000:.1f} ms")
    print()
    tiers: dict[int, list[str]] = {}
    for request in requests:
        tiers.setdefault(request.tier, []).append(request.id)
    optimal_ranks = {o.request_id: o.rank for o in result.outcomes}
    print(
        f"{'':<22} {'1st':>5} {'2nd':>5} {'3rd':>5} {'4th':>5} {'5th':>5} {'none':>6}     1st choices by tier "
        + "/".join(str(t) for t in sorted(tiers))
    )
    print(row("optimal (CP-SAT)", list(optimal_ranks.values()), tiers, optimal_ranks))
    print(row("first come, first served", list(baseline.values()), tiers, baseline))
    placed = sum(r.boys + r.girls for r in requests if optimal_ranks[r.id])
    placed_fcfs = sum(r.boys + r.girls for r in requests if baseline[r.id])
    print(
        f"students placed: optimal {placed}, first come {placed_fcfs}; splits made: {result.splits}; "
        f"objective by tier {dict(result.tier_scores)}"
    )
    fcfs_tiers = {
        t: sum(settings.weights[baseline[rid] - 1] for rid in ids if baseline[rid]) for t, ids in tiers.items()
    }
    print(f"first-come score by tier {dict(sorted(fcfs_tiers.items()))}")


if __name__ == "__main__":
    main()
