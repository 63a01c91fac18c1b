"""The Sly Park week allocation engine: pure, no database.

The solver's objective is checked against a brute force that enumerates every assignment on
small random instances; every constraint is checked on those and on a full-size season.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import replace

import pytest

from booking.slypark.allocation import (
    SOLVER_NAME,
    SOLVER_VERSION,
    AllocationResult,
    Request,
    Settings,
    Week,
    allocate,
)

# ---------------------------------------------------------------------------------------------
# Helpers: a plain brute force and a constraint checker, written from the rules, not the module.


def canonical(requests):
    return sorted(requests, key=lambda r: (r.submitted_order, repr(r.id)))


def brute_force(weeks, requests, settings):
    """The best objective vector over every assignment (None if no assignment satisfies the pins).

    Each request gets nothing, one of its open weeks, or (if it may split) two adjacent open
    weeks among its choices with its boys and girls divided in any way that leaves at least one
    student in each week; pinned requests get exactly their week; excluded ones nothing.
    Objective: total score per tier (ascending tier), then
    (n + 1) * sum(score * (n - position)) - number of splits."""
    week_by_id = {w.id: w for w in weeks}
    reqs = canonical(requests)
    n = len(reqs)
    weights = settings.weights
    alternatives = []  # per request: list of (weeks, rank, score, divisions)
    for r in reqs:
        if r.id in settings.excluded:
            alternatives.append([None])
            continue
        if r.id in settings.pinned:
            week_id = settings.pinned[r.id]
            rank = r.choices.index(week_id) + 1 if week_id in r.choices else None
            alternatives.append([((week_id,), rank, weights[rank - 1] if rank else 0, [((r.boys, r.girls),)])])
            continue
        alts = [None]
        for rank, week_id in enumerate(r.choices, start=1):
            if not week_by_id[week_id].closed:
                alts.append(((week_id,), rank, weights[rank - 1], [((r.boys, r.girls),)]))
        if r.can_split:
            for rank_a, a in enumerate(r.choices, start=1):
                for rank_b, b in enumerate(r.choices, start=1):
                    wa, wb = week_by_id[a], week_by_id[b]
                    if wb.order != wa.order + 1 or wa.closed or wb.closed:
                        continue
                    score = weights[max(rank_a, rank_b) - 1] - settings.split_penalty
                    if score <= 0:
                        continue
                    divisions = [
                        ((ba, ga), (r.boys - ba, r.girls - ga))
                        for ba in range(r.boys + 1)
                        for ga in range(r.girls + 1)
                        if ba + ga >= 1 and (r.boys - ba) + (r.girls - ga) >= 1
                    ]
                    if divisions:
                        alts.append(((a, b), max(rank_a, rank_b), score, divisions))
        alternatives.append(alts)

    tiers = sorted({r.tier for r in reqs})
    best = None
    boys = defaultdict(int)
    girls = defaultdict(int)
    occupants = defaultdict(list)

    def visit(index, picked):
        nonlocal best
        if index == n:
            totals = {t: 0 for t in tiers}
            tie = 0
            for position, (r, alt) in enumerate(zip(reqs, picked)):
                if alt is not None:
                    totals[r.tier] += alt[2]
                    tie += (n + 1) * (n - position) * alt[2] - (1 if len(alt[0]) == 2 else 0)
            vector = tuple(totals[t] for t in tiers) + (tie,)
            if best is None or vector > best:
                best = vector
            return
        r = reqs[index]
        for alt in alternatives[index]:
            if alt is None:
                visit(index + 1, picked + [None])
                continue
            alt_weeks, _, _, divisions = alt
            # sharing rules
            if any(occupants[w] and (not r.can_share or not all(o.can_share for o in occupants[w])) for w in alt_weeks):
                continue
            for division in divisions:
                if all(
                    boys[w] + b <= week_by_id[w].boys_beds and girls[w] + g <= week_by_id[w].girls_beds
                    for w, (b, g) in zip(alt_weeks, division)
                ):
                    for w, (b, g) in zip(alt_weeks, division):
                        boys[w] += b
                        girls[w] += g
                        occupants[w].append(r)
                    visit(index + 1, picked + [alt])
                    for w, (b, g) in zip(alt_weeks, division):
                        boys[w] -= b
                        girls[w] -= g
                        occupants[w].pop()
                    if len(alt_weeks) == 1:
                        break

    visit(0, [])
    return best


def check_constraints(weeks, requests, settings, result: AllocationResult):
    assert result.status in ("optimal", "feasible")
    week_by_id = {w.id: w for w in weeks}
    by_id = {r.id: r for r in requests}
    assert [o.request_id for o in result.outcomes] == [r.id for r in canonical(requests)]
    boys, girls = defaultdict(int), defaultdict(int)
    schools = defaultdict(list)
    counts = defaultdict(int)
    for outcome in result.outcomes:
        r = by_id[outcome.request_id]
        if r.id in settings.excluded:
            assert not outcome.placed and outcome.reason == "excluded by staff"
        if r.id in settings.pinned:
            assert outcome.week_ids == (settings.pinned[r.id],)
        if not outcome.placed:
            assert outcome.rank is None and outcome.score == 0 and outcome.reason
            continue
        assert outcome.reason is None
        assert sum(p.boys for p in outcome.parts) == r.boys
        assert sum(p.girls for p in outcome.parts) == r.girls
        for part in outcome.parts:
            assert part.boys >= 0 and part.girls >= 0
            assert not week_by_id[part.week_id].closed
            boys[part.week_id] += part.boys
            girls[part.week_id] += part.girls
            schools[part.week_id].append(r)
        if outcome.split:
            a, b = (week_by_id[w] for w in outcome.week_ids)
            assert r.can_split and r.id not in settings.pinned
            assert b.order == a.order + 1, "a split is over two adjacent weeks"
            assert a.id in r.choices and b.id in r.choices
            assert all(p.boys + p.girls >= 1 for p in outcome.parts)
            rank = max(r.choices.index(a.id), r.choices.index(b.id)) + 1
            assert outcome.rank == rank
            assert outcome.score == settings.weights[rank - 1] - settings.split_penalty > 0
        else:
            week_id = outcome.week_ids[0]
            if week_id in r.choices:
                assert outcome.rank == r.choices.index(week_id) + 1
                assert outcome.score == settings.weights[outcome.rank - 1]
            else:
                assert r.id in settings.pinned and outcome.rank is None and outcome.score == 0
        if outcome.rank:
            counts[outcome.rank] += 1
    for week in weeks:
        assert boys[week.id] <= week.boys_beds, f"boys' beds exceeded in week {week.id}"
        assert girls[week.id] <= week.girls_beds, f"girls' beds exceeded in week {week.id}"
        if week.closed:
            assert not schools[week.id]
        if any(not s.can_share for s in schools[week.id]):
            assert len(schools[week.id]) == 1, f"a school that cannot share has company in week {week.id}"
    loads = {load.week_id: load for load in result.weeks}
    for week in weeks:
        assert (loads[week.id].boys, loads[week.id].girls) == (boys[week.id], girls[week.id])
    assert {rank: result.choice_counts[rank] for rank in counts} == dict(counts)
    assert result.unplaced == sum(1 for o in result.outcomes if not o.placed)
    # the reported objective is the outcomes' own
    reqs = canonical(requests)
    n = len(reqs)
    tiers = sorted({r.tier for r in requests})
    totals = {t: sum(o.score for o in result.outcomes if o.tier == t) for t in tiers}
    tie = sum((n + 1) * (n - i) * o.score - o.split for i, o in enumerate(result.outcomes))
    assert result.objective == tuple(totals[t] for t in tiers) + (tie,)


def random_instance(rng: random.Random, splits: bool = False, many_tiers: bool = False):
    """Up to 6 requests and 4 weeks. With `splits`, schools are large for the weeks and may all be
    split, so that splits are often the best (or only) way to place them. With `many_tiers`, six
    tiers and large weights: too many for one exactly scaled objective, so tiers are solved in groups."""
    n_weeks = rng.randint(2 if splits else 1, 4)
    orders = list(range(1, n_weeks + 1)) if splits else sorted(rng.sample(range(1, n_weeks + 2), n_weeks))
    weeks = [
        Week(
            id=f"w{o}",
            order=o,
            boys_beds=rng.randint(0, 9),
            girls_beds=rng.randint(0, 9),
            closed=not splits and rng.random() < 0.15,
        )
        for o in orders
    ]
    max_choices = min(3, n_weeks)
    weights = tuple(sorted(rng.sample(range(1, 400_001 if many_tiers else 101), max_choices), reverse=True))
    requests = []
    for i in range(rng.randint(1, 6)):
        b, g = (rng.randint(3, 9), rng.randint(3, 9)) if splits else (rng.randint(0, 7), rng.randint(0, 7))
        if b + g == 0:
            b = 1
        requests.append(
            Request(
                id=i,
                school=f"S{i}",
                tier=rng.randint(0, 5 if many_tiers else 2),
                boys=b,
                girls=g,
                choices=tuple(w.id for w in rng.sample(weeks, rng.randint(2 if splits else 1, max_choices))),
                can_share=rng.random() < (0.9 if splits else 0.75),
                can_split=splits or rng.random() < 0.5,
                submitted_order=rng.randint(0, 4),
            )
        )
    pinned, excluded = {}, set()
    open_weeks = [w for w in weeks if not w.closed]
    for r in requests:
        roll = rng.random()
        if roll < 0.06 and open_weeks:
            pinned[r.id] = rng.choice(open_weeks).id
        elif roll < 0.14:
            excluded.add(r.id)
    settings = Settings(
        weights=weights, split_penalty=rng.choice([0, 0, 5, 20, 60]), pinned=pinned, excluded=frozenset(excluded)
    )
    return weeks, requests, settings


# ---------------------------------------------------------------------------------------------
# The solver against the brute force


@pytest.mark.parametrize(
    "splits, many_tiers", [(False, False), (True, False), (False, True)], ids=["mixed", "split-heavy", "many-tiers"]
)
def test_optimum_equals_brute_force_on_random_small_instances(splits, many_tiers):
    rng = random.Random(20260915 + splits + 2 * many_tiers)
    infeasible = solved = split_made = grouped = 0
    for case in range(300):
        weeks, requests, settings = random_instance(rng, splits, many_tiers)
        expected = brute_force(weeks, requests, settings)
        result = allocate(weeks, requests, settings)
        if expected is None:
            assert result.status == "infeasible", f"case {case}: pins cannot all hold"
            assert result.errors
            infeasible += 1
            continue
        assert result.status == "optimal", f"case {case}"
        assert result.objective == expected, f"case {case}: {weeks} {requests} {settings}"
        check_constraints(weeks, requests, settings, result)
        solved += 1
        split_made += result.splits
        grouped += len(result.stages) > 2
    assert solved > 200 and infeasible > 0
    assert split_made > (100 if splits else 5)
    if many_tiers:
        assert grouped > 20  # tiers solved in more than one group


def test_constraints_hold_on_a_full_season():
    rng = random.Random(7)
    weeks = [
        Week(id=o, order=o, boys_beds=rng.randint(80, 100), girls_beds=rng.randint(80, 100), closed=o in (9, 15, 25))
        for o in range(1, 31)
    ]
    requests = []
    for i in range(300):
        students = rng.randint(20, 90)
        b = rng.randint(students // 3, 2 * students // 3)
        favourite = rng.randint(1, 30)
        nearby = [w for w in range(favourite - 4, favourite + 5) if 1 <= w <= 30 and w != favourite]
        choices = [favourite] + rng.sample(nearby, rng.randint(0, 4))
        requests.append(
            Request(
                id=f"r{i}",
                school=f"School {i}",
                tier=rng.choice([0, 1, 1, 2]),
                boys=b,
                girls=students - b,
                choices=tuple(choices),
                can_share=rng.random() > 0.05,
                can_split=rng.random() < 0.15,
                submitted_order=i,
            )
        )
    pinned = {"r3": 4, "r10": 20, "r11": 20}
    excluded = frozenset({"r5", "r6", "r200"})
    # A bounded, deterministic amount of work: whatever it reaches must respect every constraint.
    settings = Settings(pinned=pinned, excluded=excluded, work_limit=6.0, time_limit_seconds=120)
    result = allocate(weeks, requests, settings)
    check_constraints(weeks, requests, settings, result)
    assert result.status == "optimal"  # reached well within that work (the limit makes this reproducible)
    assert result.choice_counts[1] > 60
    assert result.solver == SOLVER_NAME == "OR-Tools CP-SAT" and result.solver_version == SOLVER_VERSION


def test_a_solve_stopped_by_its_work_limit_is_valid_reproducible_and_says_so():
    rng = random.Random(3)
    weeks = [Week(o, o, 60, 60) for o in range(1, 13)]
    requests = [
        Request(
            i,
            f"S{i}",
            rng.randint(0, 2),
            rng.randint(5, 30),
            rng.randint(5, 30),
            tuple(rng.sample(range(1, 13), 4)),
            can_split=rng.random() < 0.2,
            submitted_order=i,
        )
        for i in range(120)
    ]
    settings = Settings(work_limit=0.01)
    result = allocate(weeks, requests, settings)
    assert result.status == "feasible" and result.gap > 0
    assert any(stage.status != "optimal" for stage in result.stages)
    check_constraints(weeks, requests, settings, result)
    assert allocate(weeks, requests, settings).outcomes == result.outcomes
    stopped = [o for o in result.outcomes if o.reason_code == "stopped_early"]
    assert stopped and all("stopped at its time or work limit" in o.reason for o in stopped)


# ---------------------------------------------------------------------------------------------
# The objective


def test_tiers_dominate_any_number_of_lower_tier_first_choices():
    weeks = [Week(1, 1, 10, 10), Week(2, 2, 0, 0), Week(3, 3, 3, 3, closed=True)]
    requests = [
        Request("low-a", "Low A", 1, 5, 5, (1,), submitted_order=0),
        Request("low-b", "Low B", 1, 5, 5, (1,), submitted_order=1),
        Request("top", "Top", 0, 6, 4, (2, 3, 1), submitted_order=2),
    ]  # week 1 is its 3rd choice
    result = allocate(weeks, requests)
    assert result.outcome("top").week_ids == (1,) and result.outcome("top").rank == 3
    assert not result.outcome("low-a").placed and not result.outcome("low-b").placed
    assert result.tier_scores == ((0, 45), (1, 0))
    reason = result.outcome("low-a").reason
    assert reason.startswith("its weeks were filled by schools of higher priority or that ranked them higher")
    assert "Top (tier 0, 3rd choice)" in reason and result.outcome("low-a").blocked_by == ("top",)


def test_choice_weights_decide_between_a_first_and_a_third_or_two_seconds():
    weeks = [Week(1, 1, 10, 10), Week(2, 2, 10, 10), Week(3, 3, 10, 10), Week(9, 9, 10, 10, closed=True)]
    requests = [Request("a", "A", 0, 8, 8, (1, 2)), Request("b", "B", 0, 8, 8, (9, 1, 3), submitted_order=1)]
    steep = allocate(weeks, requests, Settings(weights=(100, 70, 45)))  # 100 + 45 > 70 + 70
    assert (steep.outcome("a").rank, steep.outcome("b").rank) == (1, 3)
    flat = allocate(weeks, requests, Settings(weights=(100, 90, 10)))  # 90 + 90 > 100 + 10
    assert (flat.outcome("a").rank, flat.outcome("b").rank) == (2, 2)
    assert flat.outcome("b").week_ids == (1,)
    assert flat.choice_counts == {1: 0, 2: 2, 3: 0}


def test_optimal_is_not_first_come_first_served():
    weeks = [Week(1, 1, 10, 10), Week(2, 2, 10, 10)]
    requests = [
        Request("early", "Early", 0, 8, 8, (1, 2), submitted_order=0),
        Request("late", "Late", 0, 8, 8, (1,), submitted_order=1),
    ]
    result = allocate(weeks, requests)
    assert result.outcome("late").week_ids == (1,) and result.outcome("early").week_ids == (2,)


def test_ties_go_to_the_earlier_request():
    weeks = [Week(1, 1, 10, 10)]
    requests = [
        Request("second", "Second", 0, 6, 6, (1,), submitted_order=2),
        Request("first", "First", 0, 6, 6, (1,), submitted_order=1),
    ]
    result = allocate(weeks, requests)
    assert result.outcome("first").placed and not result.outcome("second").placed
    assert [o.request_id for o in result.outcomes] == ["first", "second"]


def test_a_split_over_adjacent_weeks_scores_its_worse_rank_minus_the_penalty():
    weeks = [Week("sep-1", 1, 20, 20), Week("sep-2", 2, 20, 20), Week("oct-1", 4, 60, 60)]
    big = Request("big", "Big", 0, 30, 30, ("sep-2", "sep-1", "oct-1"), can_split=True)
    result = allocate(weeks, [big], Settings(split_penalty=20))
    # A split (2nd rank: 70 - 20 = 50) beats the 3rd choice whole (45).
    outcome = result.outcome("big")
    assert outcome.split and outcome.week_ids == ("sep-1", "sep-2")
    assert outcome.rank == 2 and outcome.score == 50
    assert sum(p.boys for p in outcome.parts) == 30 and sum(p.girls for p in outcome.parts) == 30
    assert all(p.boys <= 20 and p.girls <= 20 for p in outcome.parts)
    # as many as fit go to the week it ranked higher (sep-2)
    assert [(p.week_id, p.boys + p.girls) for p in outcome.parts] == [("sep-1", 20), ("sep-2", 40)]
    assert result.splits == 1
    # With a larger penalty the whole 3rd choice wins; without permission to split, too.
    assert allocate(weeks, [big], Settings(split_penalty=30)).outcome("big").week_ids == ("oct-1",)
    assert allocate(weeks, [replace(big, can_split=False)]).outcome("big").week_ids == ("oct-1",)
    # Weeks 2 and 4 are not adjacent (order 2 and 4): no split there.
    far = Request("far", "Far", 0, 50, 50, ("sep-2", "oct-1"), can_split=True)
    only = allocate([Week("sep-2", 2, 30, 30), Week("oct-1", 4, 30, 30)], [far])
    assert not only.outcome("far").placed and only.outcome("far").reason_code == "too_large"


def test_no_share_school_is_alone():
    weeks = [Week(1, 1, 50, 50), Week(2, 2, 50, 50)]
    requests = [
        Request("alone", "Alone", 0, 10, 10, (1,), can_share=False, submitted_order=0),
        Request("x", "X", 1, 5, 5, (1, 2), submitted_order=1),
        Request("y", "Y", 1, 5, 5, (1,), submitted_order=2),
    ]
    result = allocate(weeks, requests)
    assert result.outcome("alone").week_ids == (1,)
    assert result.outcome("x").week_ids == (2,)
    assert result.outcome("y").reason == (
        "its weeks were filled by schools of higher priority or that ranked them higher: week 1 has Alone, "
        "which cannot share"
    )
    assert result.outcome("y").blocked_by == ("alone",)


# ---------------------------------------------------------------------------------------------
# Determinism


def test_same_input_same_result_in_any_order():
    rng = random.Random(99)
    weeks = [Week(o, o, rng.randint(40, 60), rng.randint(40, 60), closed=o == 5) for o in range(1, 11)]
    requests = [
        Request(
            i,
            f"S{i}",
            rng.randint(0, 1),
            rng.randint(8, 25),
            rng.randint(8, 25),
            tuple(rng.sample(range(1, 11), rng.randint(2, 4))),
            can_share=rng.random() > 0.1,
            can_split=rng.random() < 0.3,
            submitted_order=rng.randint(0, 10),
        )
        for i in range(40)
    ]
    settings = Settings(pinned={3: 7}, excluded=frozenset({4}))
    first = allocate(weeks, requests, settings)
    assert first.status == "optimal"
    again = allocate(weeks, requests, settings)
    shuffled_weeks, shuffled_requests = weeks[:], requests[:]
    rng.shuffle(shuffled_weeks)
    rng.shuffle(shuffled_requests)
    shuffled = allocate(shuffled_weeks, shuffled_requests, settings)
    for other in (again, shuffled):
        assert other.outcomes == first.outcomes
        assert other.weeks == first.weeks
        assert other.objective == first.objective


# ---------------------------------------------------------------------------------------------
# Reasons


def test_reasons_for_requests_that_get_nothing():
    weeks = [
        Week(10, 10, 50, 50, closed=True),
        Week(11, 11, 50, 50, closed=True),
        Week(12, 12, 50, 40),
        Week(13, 13, 50, 50),
    ]
    requests = [
        Request("out", "Out", 0, 5, 5, (12,)),
        Request("closed", "Closed", 0, 5, 5, (10, 11)),
        Request("huge", "Huge", 0, 30, 46, (12, 10)),
        Request("first", "First", 0, 30, 30, (13,), submitted_order=1),
        Request("shy", "Shy", 1, 5, 5, (13,), can_share=False, submitted_order=2),
        Request("late", "Late", 1, 25, 25, (13,), submitted_order=3),
    ]
    result = allocate(weeks, requests, Settings(excluded=frozenset({"out"})))
    assert result.outcome("out").reason == "excluded by staff"
    assert result.outcome("out").reason_code == "excluded"
    assert result.outcome("closed").reason == "all its weeks are closed"
    huge = result.outcome("huge")
    assert huge.reason_code == "too_large"
    assert huge.reason == "week 12 has 40 girls' beds, the school needs 46; week 10 is closed"
    shy = result.outcome("shy")
    assert shy.reason_code == "cannot_share"
    assert shy.reason == "it cannot share and each of its weeks has another school: week 13 (First)"
    assert shy.blocked_by == ("first",)
    late = result.outcome("late")
    assert late.reason_code == "filled" and late.blocked_by == ("first",)
    assert late.reason == (
        "its weeks were filled by schools of higher priority or that ranked them higher: week 13 (20 boys' and "
        "20 girls' beds left of 50 and 50; the school needs 25 and 25): First (tier 0, 1st choice)"
    )
    assert result.unplaced == 5 and result.choice_counts[1] == 1


# ---------------------------------------------------------------------------------------------
# Pins and exclusions


def test_pins_and_exclusions_are_honoured():
    weeks = [Week(1, 1, 20, 20), Week(2, 2, 20, 20)]
    requests = [
        Request("keen", "Keen", 0, 10, 10, (1,)),
        Request("pinned", "Pinned", 2, 15, 15, (2,), submitted_order=1),
        Request("moved", "Moved", 1, 5, 5, (2,), submitted_order=2),
    ]
    result = allocate(weeks, requests, Settings(pinned={"pinned": 1, "moved": 1}, excluded=frozenset({"keen"})))
    assert result.outcome("pinned").week_ids == (1,) and result.outcome("pinned").rank is None
    assert result.outcome("pinned").pinned and result.placed_off_choice == 2
    assert result.outcome("moved").week_ids == (1,)
    assert result.outcome("keen").reason == "excluded by staff"


def test_pins_that_cannot_hold_are_reported_by_request():
    weeks = [Week(12, 12, 50, 40), Week(13, 13, 50, 50)]
    requests = [
        Request("big", "Big School", 0, 30, 46, (12,)),
        Request("a", "A", 0, 30, 10, (13,), submitted_order=1),
        Request("b", "B", 0, 30, 10, (13,), submitted_order=2),
        Request("lone", "Lone", 0, 5, 5, (13,), can_share=False, submitted_order=3),
    ]
    result = allocate(weeks, requests, Settings(pinned={"big": 12, "a": 13, "b": 13, "lone": 13}))
    assert result.status == "infeasible" and not result.outcomes
    assert (
        "request 'big' (Big School) is pinned to week 12, which has 40 girls' beds; the school needs 46"
        in result.errors
    )
    assert any(
        e == "request 'a' (A), request 'b' (B), request 'lone' (Lone) are pinned to week 13: together they need 65 "
        "boys' beds, the week has 50"
        for e in result.errors
    ), result.errors
    assert any(e.startswith("request 'lone' (Lone) cannot share but is pinned to week 13 with") for e in result.errors)


# ---------------------------------------------------------------------------------------------
# Bad input


def test_bad_input_is_refused_with_everything_that_is_wrong():
    weeks = [Week(1, 1, 10, 10), Week(2, 2, 10, 10, closed=True), Week(3, 2, -1, 10)]
    requests = [
        Request("a", "A", 0, 1, 1, (1, 99)),
        Request("b", "B", 0, 1, 1, (1, 1)),
        Request("c", "C", 0, -2, 1, (1,)),
        Request("d", "D", 0, 1, 1, (1, 2, 3, 4, 5, 6)),
    ]
    with pytest.raises(ValueError) as raised:
        allocate(weeks, requests, Settings(weights=(100, 70, 70, 25, 10), pinned={"a": 2}))
    message = str(raised.value)
    for expected in (
        "request 'a' (A): choice 99 is not a week of the season",
        "request 'b' (B): week 1 chosen more than once",
        "request 'c' (C): boys must be a whole number >= 0, not -2",
        "request 'd' (D): give 1 to 5 choices, not 6",
        "weights must be strictly decreasing",
        "pin of request 'a': week 2 is closed",
        "weeks 2 and 3 have the same order 2",
        "week 3: boys_beds must be a whole number >= 0, not -1",
    ):
        assert expected in message, message


@pytest.mark.parametrize(
    "settings, expected",
    [
        (Settings(weights=(100, 0)), "weights must be positive"),
        (Settings(weights=(10, 20)), "weights must be strictly decreasing"),
        (Settings(weights=()), "give 1 to 5 weights"),
        (Settings(split_penalty=-1), "split penalty must be a whole number >= 0"),
        (Settings(pinned={"nobody": 1}), "pin: request 'nobody' does not exist"),
        (Settings(pinned={"a": 7}), "week 7 is not a week of the season"),
        (Settings(pinned={"a": 1}, excluded=frozenset({"a"})), "request 'a' is both pinned and excluded"),
        (Settings(excluded=frozenset({"ghost"})), "exclusion: request 'ghost' does not exist"),
    ],
)
def test_bad_settings_are_refused(settings, expected):
    with pytest.raises(ValueError, match=expected):
        allocate([Week(1, 1, 10, 10)], [Request("a", "A", 0, 1, 1, (1,))], settings)


def test_more_choices_than_weights_and_no_students_are_refused():
    with pytest.raises(ValueError, match="3 choices but only 2 weights"):
        allocate(
            [Week(w, w, 5, 5) for w in (1, 2, 3)], [Request("a", "A", 0, 1, 1, (1, 2, 3))], Settings(weights=(10, 5))
        )
    with pytest.raises(ValueError, match="has no students"):
        allocate([Week(1, 1, 5, 5)], [Request("a", "A", 0, 0, 0, (1,))])
    with pytest.raises(ValueError, match="request 'a' is listed twice"):
        allocate([Week(1, 1, 5, 5)], [Request("a", "A", 0, 1, 0, (1,)), Request("a", "A", 0, 1, 0, (1,))])


def test_nothing_to_allocate():
    result = allocate([Week(1, 1, 5, 5)], [])
    assert result.status == "optimal" and result.outcomes == () and result.objective == (0,)
