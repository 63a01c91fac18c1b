"""Exact allocation of Sly Park weeks to schools' week requests.

A pure module: plain dataclasses in (weeks, requests, settings), plain dataclasses out. No
database, no clock other than timing the solve. The optimisation is done by OR-Tools CP-SAT.

The problem
-----------
Each request names 1-5 ranked weeks. It gets at most one of them, whole; or, when it allows it,
a split over two adjacent weeks (consecutive season order) that are both among its choices, its
boys and girls divided between the two in any integer way, each of the two weeks receiving at
least one student. Beds are per gender and per week; closed weeks take nobody; a school that
cannot share is alone in its week(s). Staff may pin a request to one week (it must get exactly
that week, unsplit, even one it did not choose) or exclude it (it gets nothing).

The objective
-------------
A request's score is the weight of the rank it gets (``weights[rank - 1]``); a split scores the
weight of the worse of its two ranks minus the split penalty (splits that would score 0 or less
are never made); a request pinned to a week outside its choices scores 0; unplaced scores 0.

1. Priority tiers are strict (lexicographic): tier 0's total score first, then tier 1's, and
   so on. They are solved together as one objective with exact integer scaling (each tier's
   total times one more than the largest value the tiers below can reach together); when there
   are too many tiers for that to stay below 2**53, in groups of consecutive tiers, one solve
   per group, each keeping what the groups before reached.
2. Then, among those allocations, the tie-break value is maximised (a last solve)::

       tie_break = (N + 1) * sum(score(r) * (N - position(r)))  -  number of splits

   where requests are in submitted order (``submitted_order``, then id) at positions 0..N-1: an
   earlier request is preferred, and a split is made only when nothing else ties with it.

``AllocationResult.objective`` is the vector (tier totals in ascending tier order, tie_break).

Determinism and limits
----------------------
The same input always gives the same result: the model is built from the input sorted
canonically (weeks by season order, requests by submitted order then id), so the order of the
input lists does not matter, and CP-SAT runs with one worker, a fixed seed and a deterministic
work limit (``Settings.work_limit``, shared out between the solves). A result stopped by the
work limit is still valid and still reproducible, but only "feasible", with a ``gap``. The
wall-clock limit (``Settings.time_limit_seconds``) is a safety net: if it stops a solve first,
the result is valid but may differ from run to run.

Solver hints (warm starts, and the previous solve's solution) only speed the solves up; what is
optimal is decided and proven by CP-SAT.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

import ortools
from ortools.sat.python import cp_model

SOLVER_NAME = "OR-Tools CP-SAT"
SOLVER_VERSION = ortools.__version__
MAX_CHOICES = 5
DEFAULT_WEIGHTS = (100, 70, 45, 25, 10)

Id = int | str


# ---------------------------------------------------------------------------------------------
# Input


@dataclass(frozen=True)
class Week:
    id: Id
    order: int  # position in the season; weeks with consecutive orders are adjacent
    boys_beds: int
    girls_beds: int
    closed: bool = False


@dataclass(frozen=True)
class Request:
    id: Id
    school: str
    tier: int  # 0 = highest priority
    boys: int
    girls: int
    choices: tuple[Id, ...]  # ranked week ids, first = most wanted
    can_share: bool = True
    can_split: bool = False
    submitted_order: int = 0  # earlier first, for tie-breaking


@dataclass(frozen=True)
class Settings:
    weights: tuple[int, ...] = DEFAULT_WEIGHTS  # by rank; positive, strictly decreasing
    split_penalty: int = 20
    pinned: Mapping[Id, Id] = field(default_factory=dict)  # request id -> week id
    excluded: frozenset[Id] = frozenset()
    time_limit_seconds: float = 300.0  # wall clock, whole run (a safety net)
    work_limit: float = 300.0  # CP-SAT deterministic time units (about a second each), whole run
    seed: int = 0


# ---------------------------------------------------------------------------------------------
# Output


@dataclass(frozen=True)
class WeekPart:
    week_id: Id
    boys: int
    girls: int


@dataclass(frozen=True)
class Outcome:
    request_id: Id
    school: str
    tier: int
    parts: tuple[WeekPart, ...]  # () unplaced, (whole,) or (first week, second week) of a split
    rank: int | None  # rank of the choice met (the worse one for a split); None if none
    score: int
    pinned: bool = False
    reason_code: str | None = None  # why unplaced: excluded, weeks_closed, too_large,
    reason: str | None = None  #   cannot_share, filled, stopped_early
    blocked_by: tuple[Id, ...] = ()  # requests occupying the weeks it could have had

    @property
    def placed(self) -> bool:
        return bool(self.parts)

    @property
    def split(self) -> bool:
        return len(self.parts) == 2

    @property
    def week_ids(self) -> tuple[Id, ...]:
        return tuple(part.week_id for part in self.parts)


@dataclass(frozen=True)
class WeekLoad:
    week_id: Id
    order: int
    closed: bool
    boys_beds: int
    girls_beds: int
    boys: int
    girls: int
    request_ids: tuple[Id, ...]


@dataclass(frozen=True)
class Stage:
    name: str  # "tier 0, 1", "tiers 0-4", ..., "tie-break"
    status: str  # optimal | feasible | unsolved (nothing found in its time: the previous solution stands)
    value: int  # the stage's own objective (tier totals scaled, or the tie-break value)
    bound: int  # the best bound CP-SAT proved for it
    seconds: float
    work: float  # CP-SAT's deterministic time


@dataclass(frozen=True)
class AllocationResult:
    status: str  # optimal | feasible | infeasible
    outcomes: tuple[Outcome, ...]  # in submitted order
    weeks: tuple[WeekLoad, ...]  # in season order
    tier_scores: tuple[tuple[int, int], ...]  # (tier, total score), ascending tier
    tie_break: int
    gap: float  # 0.0 when proven optimal; else the relative gap of the first stage not proven (1.0: unknown)
    choice_counts: dict[int, int]  # rank -> requests placed at that rank (splits at the worse)
    placed_off_choice: int  # pinned by staff to a week they did not choose
    unplaced: int
    splits: int
    solve_seconds: float
    solver: str
    solver_version: str
    stages: tuple[Stage, ...] = ()
    errors: tuple[str, ...] = ()  # why the input is infeasible (pins)

    @property
    def objective(self) -> tuple[int, ...]:
        return tuple(score for _, score in self.tier_scores) + (self.tie_break,)

    def outcome(self, request_id: Id) -> Outcome:
        for outcome in self.outcomes:
            if outcome.request_id == request_id:
                return outcome
        raise KeyError(request_id)


# ---------------------------------------------------------------------------------------------
# Validation


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _label(request: Request) -> str:
    return f"request {request.id!r} ({request.school})"


def _validate(weeks: list[Week], requests: list[Request], settings: Settings) -> None:
    problems: list[str] = []
    week_by_id: dict[Id, Week] = {}
    orders: dict[int, Id] = {}
    for week in weeks:
        if week.id in week_by_id:
            problems.append(f"week {week.id!r} is listed twice")
        week_by_id[week.id] = week
        if not _is_int(week.order):
            problems.append(f"week {week.id!r}: order must be an integer, not {week.order!r}")
        elif week.order in orders:
            problems.append(f"weeks {orders[week.order]!r} and {week.id!r} have the same order {week.order}")
        else:
            orders[week.order] = week.id
        for name in ("boys_beds", "girls_beds"):
            value = getattr(week, name)
            if not _is_int(value) or value < 0:
                problems.append(f"week {week.id!r}: {name} must be a whole number >= 0, not {value!r}")

    weights = tuple(settings.weights)
    if not 1 <= len(weights) <= MAX_CHOICES:
        problems.append(f"weights: give 1 to {MAX_CHOICES} weights, not {len(weights)}")
    if not all(_is_int(w) and w > 0 for w in weights):
        problems.append(f"weights must be positive whole numbers: {list(weights)}")
    elif any(a <= b for a, b in zip(weights, weights[1:])):
        problems.append(f"weights must be strictly decreasing (1st choice worth most): {list(weights)}")
    if not _is_int(settings.split_penalty) or settings.split_penalty < 0:
        problems.append(f"split penalty must be a whole number >= 0, not {settings.split_penalty!r}")
    if not settings.time_limit_seconds > 0 or not settings.work_limit > 0:
        problems.append("time and work limits must be positive")

    seen: set[Id] = set()
    for request in requests:
        label = _label(request)
        if request.id in seen:
            problems.append(f"request {request.id!r} is listed twice")
        seen.add(request.id)
        if not _is_int(request.tier) or request.tier < 0:
            problems.append(f"{label}: tier must be a whole number >= 0, not {request.tier!r}")
        if not _is_int(request.submitted_order):
            problems.append(f"{label}: submitted_order must be an integer, not {request.submitted_order!r}")
        counts_ok = True
        for name in ("boys", "girls"):
            value = getattr(request, name)
            if not _is_int(value) or value < 0:
                problems.append(f"{label}: {name} must be a whole number >= 0, not {value!r}")
                counts_ok = False
        if counts_ok and request.boys + request.girls == 0:
            problems.append(f"{label}: has no students")
        choices = tuple(request.choices)
        if not 1 <= len(choices) <= MAX_CHOICES:
            problems.append(f"{label}: give 1 to {MAX_CHOICES} choices, not {len(choices)}")
        elif len(choices) > len(weights):
            problems.append(f"{label}: {len(choices)} choices but only {len(weights)} weights")
        duplicates = sorted({repr(c) for c in choices if choices.count(c) > 1})
        if duplicates:
            problems.append(f"{label}: week {', '.join(duplicates)} chosen more than once")
        for choice in choices:
            if choice not in week_by_id:
                problems.append(f"{label}: choice {choice!r} is not a week of the season")

    request_ids = {r.id for r in requests}
    for request_id, week_id in sorted(settings.pinned.items(), key=lambda item: repr(item[0])):
        if request_id not in request_ids:
            problems.append(f"pin: request {request_id!r} does not exist")
        if week_id not in week_by_id:
            problems.append(f"pin of request {request_id!r}: week {week_id!r} is not a week of the season")
        elif week_by_id[week_id].closed:
            problems.append(f"pin of request {request_id!r}: week {week_id!r} is closed")
        if request_id in settings.excluded:
            problems.append(f"request {request_id!r} is both pinned and excluded")
    for request_id in sorted(settings.excluded, key=repr):
        if request_id not in request_ids:
            problems.append(f"exclusion: request {request_id!r} does not exist")

    if problems:
        raise ValueError("invalid allocation input:\n- " + "\n- ".join(problems))


# ---------------------------------------------------------------------------------------------
# Options: the ways one request can be placed


@dataclass(frozen=True)
class _Option:
    weeks: tuple[Id, ...]  # one week, or two adjacent weeks in season order
    rank: int | None
    score: int

    @property
    def split(self) -> bool:
        return len(self.weeks) == 2


def _fits(request: Request, week: Week) -> bool:
    return request.boys <= week.boys_beds and request.girls <= week.girls_beds


def _split_pairs(request: Request, week_by_id: dict[Id, Week]) -> list[tuple[Week, Week, int]]:
    """Adjacent pairs among its choices, in season order, with the worse of the two ranks."""
    rank = {week_id: i + 1 for i, week_id in enumerate(request.choices)}
    pairs = []
    for first_id in request.choices:
        for second_id in request.choices:
            first, second = week_by_id[first_id], week_by_id[second_id]
            if second.order == first.order + 1:
                pairs.append((first, second, max(rank[first_id], rank[second_id])))
    return sorted(pairs, key=lambda p: (p[2], p[0].order))


def _split_fits(request: Request, first: Week, second: Week) -> bool:
    return (
        not first.closed
        and not second.closed
        and request.boys + request.girls >= 2
        and request.boys <= first.boys_beds + second.boys_beds
        and request.girls <= first.girls_beds + second.girls_beds
        and first.boys_beds + first.girls_beds > 0
        and second.boys_beds + second.girls_beds > 0
    )


def _options(request: Request, week_by_id: dict[Id, Week], settings: Settings, pin: Id | None) -> list[_Option]:
    weights = settings.weights
    if pin is not None:
        rank = request.choices.index(pin) + 1 if pin in request.choices else None
        return [_Option((pin,), rank, weights[rank - 1] if rank else 0)]
    options = [
        _Option((week_id,), rank, weights[rank - 1])
        for rank, week_id in enumerate(request.choices, start=1)
        if not week_by_id[week_id].closed and _fits(request, week_by_id[week_id])
    ]
    if request.can_split:
        for first, second, rank in _split_pairs(request, week_by_id):
            score = weights[rank - 1] - settings.split_penalty
            if score > 0 and _split_fits(request, first, second):
                options.append(_Option((first.id, second.id), rank, score))
    return options


def _pin_errors(requests: list[Request], week_by_id: dict[Id, Week], pinned: Mapping[Id, Id]) -> list[str]:
    """Pins that cannot all hold. Other requests can always be left out, so these are the only
    ways the model can be infeasible."""
    errors: list[str] = []
    by_week: dict[Id, list[Request]] = defaultdict(list)
    for request in requests:
        if request.id in pinned:
            by_week[pinned[request.id]].append(request)
    for week_id, group in by_week.items():
        week = week_by_id[week_id]
        for request in group:
            for gender, need, beds in (
                ("boys", request.boys, week.boys_beds),
                ("girls", request.girls, week.girls_beds),
            ):
                if need > beds:
                    errors.append(
                        f"{_label(request)} is pinned to week {week_id!r}, which has {beds} {gender}' beds; "
                        f"the school needs {need}"
                    )
            if not request.can_share and len(group) > 1:
                others = ", ".join(_label(o) for o in group if o is not request)
                errors.append(f"{_label(request)} cannot share but is pinned to week {week_id!r} with {others}")
        if len(group) > 1:
            for gender, beds in (("boys", week.boys_beds), ("girls", week.girls_beds)):
                need = sum(getattr(r, gender) for r in group)
                if need > beds and all(getattr(r, gender) <= beds for r in group):
                    names = ", ".join(_label(r) for r in group)
                    errors.append(
                        f"{names} are pinned to week {week_id!r}: together they need {need} {gender}' beds, "
                        f"the week has {beds}"
                    )
    return errors


# ---------------------------------------------------------------------------------------------
# The solve


def allocate(weeks: Iterable[Week], requests: Iterable[Request], settings: Settings | None = None) -> AllocationResult:
    """Allocate weeks to requests exactly; see the module docstring for the model."""
    started = time.perf_counter()
    settings = settings or Settings()
    weeks = list(weeks)
    requests = [r if isinstance(r.choices, tuple) else _with_tuple_choices(r) for r in requests]
    _validate(weeks, requests, settings)
    settings = replace(
        settings, weights=tuple(settings.weights), pinned=dict(settings.pinned), excluded=frozenset(settings.excluded)
    )
    weeks = sorted(weeks, key=lambda w: w.order)
    requests = sorted(requests, key=lambda r: (r.submitted_order, repr(r.id)))
    week_by_id = {w.id: w for w in weeks}

    errors = _pin_errors(requests, week_by_id, settings.pinned)
    if errors:
        return AllocationResult(
            status="infeasible",
            outcomes=(),
            weeks=(),
            tier_scores=(),
            tie_break=0,
            gap=0.0,
            choice_counts={rank: 0 for rank in range(1, len(settings.weights) + 1)},
            placed_off_choice=0,
            unplaced=len(requests),
            splits=0,
            solve_seconds=time.perf_counter() - started,
            solver=SOLVER_NAME,
            solver_version=SOLVER_VERSION,
            errors=tuple(errors),
        )

    n = len(requests)
    options: list[list[_Option]] = [
        [] if r.id in settings.excluded else _options(r, week_by_id, settings, settings.pinned.get(r.id))
        for r in requests
    ]
    _check_magnitudes(n, settings)

    # Stage plan. Tiers are solved together with exactly scaled weights (tier t's total times
    # the product of (largest possible total + 1) of the tiers below it), as long as the largest
    # possible objective stays below 2**53; more tiers than that are cut into consecutive groups,
    # solved one after the other. A group's model holds only the requests of its tiers and the
    # tiers above (and the pins): lower tiers can always be left out, so they cannot change its
    # optimum. The last stage, the tie-break, holds everyone.
    tiers = sorted({requests[i].tier for i in range(n) if options[i]})
    most = {
        tier: sum(max(o.score for o in options[i]) for i in range(n) if options[i] and requests[i].tier == tier)
        for tier in tiers
    }
    groups: list[list[int]] = []
    for tier in tiers:
        if groups and _scaled_max(groups[-1] + [tier], most) < 2**53:
            groups[-1].append(tier)
        else:
            groups.append([tier])
    plan: list[tuple[str, list[int], dict[int, int]]] = []  # (name, requests in the model, weight per request)
    for group in groups:
        members = [
            i for i in range(n) if options[i] and (requests[i].tier <= group[-1] or requests[i].id in settings.pinned)
        ]
        scale = {tier: _scaled_max([t for t in group if t > tier], most) + 1 for tier in group}
        name = "tier " + ", ".join(str(t) for t in group) if len(group) < 3 else f"tiers {group[0]}-{group[-1]}"
        plan.append((name, members, {i: scale[requests[i].tier] for i in members if requests[i].tier in scale}))
    if tiers:
        everyone = [i for i in range(n) if options[i]]
        plan.append(("tie-break", everyone, {i: (n + 1) * (n - i) for i in everyone}))

    stages: list[Stage] = []
    reached: list[tuple[list[int], int, bool]] = []  # (requests of a tier, its total reached, proven)
    chosen_options: dict[int, int] = {i: 0 for i, r in enumerate(requests) if r.id in settings.pinned}
    work_left = settings.work_limit
    for number, (name, members, weight) in enumerate(plan):
        # Each stage may use its share of what is left; a quick stage leaves more to the next.
        share = len(plan) - number
        wall_left = settings.time_limit_seconds - (time.perf_counter() - started)
        stage_started = time.perf_counter()
        stage_work = 0.0
        tie_break = name == "tie-break"
        model, chosen = _build_model(requests, options, weeks, members, settings.pinned)

        def score(indices: list[int], literals=chosen) -> cp_model.LinearExpr:
            return sum(option.score * literal for i in indices for option, literal in zip(options[i], literals[i]))

        for earlier, total, proven in reached:
            # Stated as an equality when proven, which helps the tier stages; the tie-break
            # solves faster with the inequality (measured).
            model.add(score(earlier) == total) if proven and not tie_break else model.add(score(earlier) >= total)
        objective = sum(w * score([i]) for i, w in weight.items())
        if tie_break:
            objective -= sum(literal for i in members for option, literal in zip(options[i], chosen[i]) if option.split)
        model.maximize(objective)
        if reached and not tie_break:
            # Warm start: the best these tiers can do with the tiers above kept where they are (a
            # small exact solve). The stage itself may then move the tiers above, at equal score.
            warm, warm_chosen = _build_model(requests, options, weeks, members, settings.pinned)
            for i in members:
                for k, literal in enumerate(warm_chosen[i]):
                    if i not in weight:
                        warm.add(literal == int(chosen_options.get(i) == k))
                    warm.add_hint(literal, chosen_options.get(i) == k)
            warm.maximize(sum(w * score([i], warm_chosen) for i, w in weight.items()))
            solver = _solver(settings.seed, wall_left / share / 4, work_left / share / 4)
            if solver.solve(warm) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
                chosen_options = {
                    i: k for i in members for k, literal in enumerate(warm_chosen[i]) if solver.boolean_value(literal)
                }
            stage_work += solver.deterministic_time
            work_left -= solver.deterministic_time
        for i in members:
            for k, literal in enumerate(chosen[i]):
                model.add_hint(literal, chosen_options.get(i) == k)
        solver = _solver(settings.seed, wall_left / share - (time.perf_counter() - stage_started), work_left / share)
        status = solver.solve(model)
        work_left -= solver.deterministic_time
        stage_work += solver.deterministic_time
        seconds = time.perf_counter() - stage_started
        if status == cp_model.INFEASIBLE:  # pins were checked and the hint is feasible: a bug
            raise RuntimeError(f"allocation model infeasible at stage {name}")
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        if found:
            chosen_options = {
                i: k for i in members for k, literal in enumerate(chosen[i]) if solver.boolean_value(literal)
            }
        # If nothing was found in its time, the previous solution stands, and what it gives
        # these tiers is kept by the stages after.
        optimal = status == cp_model.OPTIMAL
        stages.append(
            Stage(
                name,
                "optimal" if optimal else "feasible" if found else "unsolved",
                round(solver.objective_value) if found else 0,
                round(solver.best_objective_bound) if found else 0,
                seconds,
                stage_work,
            )
        )
        if not tie_break:
            for tier in sorted({requests[i].tier for i in weight}):
                of_tier = [i for i in weight if requests[i].tier == tier]
                total = sum(options[i][chosen_options[i]].score for i in of_tier if i in chosen_options)
                reached.append((of_tier, total, optimal))

    proven = all(stage.status == "optimal" for stage in stages)
    gap = 0.0
    for stage in stages:
        if stage.status != "optimal":
            gap = (stage.bound - stage.value) / max(1, abs(stage.bound)) if stage.status == "feasible" else 1.0
            break
    placements = _divide_splits(requests, options, weeks, chosen_options, settings.seed)
    return _result(requests, weeks, settings, options, placements, stages, gap, not proven, started)


def _scaled_max(tiers: list[int], most: dict[int, int]) -> int:
    """The largest value of the scaled objective of these tiers (highest priority first)."""
    value = 0
    for tier in tiers:
        value = value * (most[tier] + 1) + most[tier]
    return value


def _solver(seed: int, seconds: float, work: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # with a fixed seed and a deterministic work limit: reproducible
    solver.parameters.random_seed = seed
    solver.parameters.linearization_level = 2  # more of the linear relaxation and cuts: much faster proofs here
    solver.parameters.max_time_in_seconds = max(0.01, seconds)
    solver.parameters.max_deterministic_time = max(0.01, work)
    return solver


def _build_model(
    requests: list[Request],
    options: list[list[_Option]],
    weeks: list[Week],
    members: list[int],
    pinned: Mapping[Id, Id],
) -> tuple[cp_model.CpModel, dict[int, list[cp_model.IntVar]]]:
    """The CP-SAT model over the given requests: one literal per option, at most one per request,
    and bed constraints per gender.

    Two reformulations, both exact, make it much easier to solve:
    - A school that cannot share counts in the bed constraints of its week(s) as if it used every
      bed, boys' and girls': no other school (every school has a student) then fits.
    - A split carries no variables for how its students are divided. Per gender, students can be
      divided so that every week has enough beds if and only if, for every run of adjacent weeks,
      the students of the schools placed whole in the run plus those of the schools split over
      two of its weeks fit its beds (Hall's condition; each split's two weeks form an interval).
      Runs of one week are the plain bed constraints, where a split counts for nothing. That
      relaxes "each of the two weeks gets at least one student", which an optimum never needs:
      a split with everyone in one week scores no more than that week alone, and counts one
      more split in the tie-break. `_divide_splits` divides the students afterwards.
    """
    model = cp_model.CpModel()
    week_by_id = {w.id: w for w in weeks}
    chosen: dict[int, list[cp_model.IntVar]] = {}
    boys_in: dict[Id, list] = defaultdict(list)
    girls_in: dict[Id, list] = defaultdict(list)
    splits: list[tuple[int, cp_model.LinearExpr, cp_model.LinearExpr]] = []  # (first week's order, boys, girls)
    for i in members:
        request = requests[i]
        literals = [model.new_bool_var(f"x_{i}_{k}") for k in range(len(options[i]))]
        chosen[i] = literals
        if request.id in pinned:
            model.add(literals[0] == 1)
        else:
            model.add_at_most_one(literals)
        for option, literal in zip(options[i], literals):
            placed_weeks = [week_by_id[w] for w in option.weeks]
            if not request.can_share:
                for week in placed_weeks:
                    boys_in[week.id].append(week.boys_beds * literal)
                    girls_in[week.id].append(week.girls_beds * literal)
            elif not option.split:
                boys_in[option.weeks[0]].append(request.boys * literal)
                girls_in[option.weeks[0]].append(request.girls * literal)
            else:
                splits.append((placed_weeks[0].order, request.boys * literal, request.girls * literal))

    for week in weeks:
        if boys_in[week.id]:
            model.add(sum(boys_in[week.id]) <= week.boys_beds)
        if girls_in[week.id]:
            model.add(sum(girls_in[week.id]) <= week.girls_beds)
    by_order = {w.order: w for w in weeks}
    split_starts = {first for first, _, _ in splits}
    for week in weeks:  # every run [week .. last] joined by possible splits
        last = week.order
        while last in split_starts:
            last += 1
            run = [by_order[order] for order in range(week.order, last + 1)]
            inside = [(boys, girls) for first, boys, girls in splits if week.order <= first < last]
            model.add(
                sum(t for w in run for t in boys_in[w.id]) + sum(b for b, _ in inside) <= sum(w.boys_beds for w in run)
            )
            model.add(
                sum(t for w in run for t in girls_in[w.id]) + sum(g for _, g in inside)
                <= sum(w.girls_beds for w in run)
            )
    return model, chosen


def _divide_splits(
    requests: list[Request], options: list[list[_Option]], weeks: list[Week], chosen_options: dict[int, int], seed: int
) -> dict[int, tuple[_Option, tuple[WeekPart, ...]]]:
    """Each placed request's option and its students per week. The students of splits are
    divided by a small exact solve: beds per gender per week, at least one student in each of the
    two weeks, and then as many students as possible in the week the school ranked higher. A split
    that can only be done with everyone in one week (possible only in a solution not proven
    optimal) becomes that week, whole, which scores at least as much."""
    week_by_id = {w.id: w for w in weeks}
    placements: dict[int, tuple[_Option, tuple[WeekPart, ...]]] = {}
    split_requests = []
    boys_used: dict[Id, int] = defaultdict(int)
    girls_used: dict[Id, int] = defaultdict(int)
    for i, k in sorted(chosen_options.items()):
        request, option = requests[i], options[i][k]
        if option.split:
            split_requests.append(i)
            continue
        placements[i] = (option, (WeekPart(option.weeks[0], request.boys, request.girls),))
        boys_used[option.weeks[0]] += request.boys
        girls_used[option.weeks[0]] += request.girls
    if not split_requests:
        return placements

    model = cp_model.CpModel()
    boys_in: dict[Id, list] = defaultdict(list)
    girls_in: dict[Id, list] = defaultdict(list)
    parts = {}
    both = []
    preferred = []  # students in the higher-ranked of each split's two weeks
    for i in split_requests:
        request, option = requests[i], options[i][chosen_options[i]]
        first, second = option.weeks
        boys_a = model.new_int_var(0, request.boys, f"b_{i}")
        girls_a = model.new_int_var(0, request.girls, f"g_{i}")
        nonempty = model.new_bool_var(f"both_{i}")
        model.add(boys_a + girls_a >= 1).only_enforce_if(nonempty)
        model.add(boys_a + girls_a <= request.boys + request.girls - 1).only_enforce_if(nonempty)
        parts[i] = (boys_a, girls_a)
        both.append(nonempty)
        first_preferred = request.choices.index(first) < request.choices.index(second)
        preferred.append(boys_a + girls_a if first_preferred else request.boys + request.girls - boys_a - girls_a)
        boys_in[first].append(boys_a)
        girls_in[first].append(girls_a)
        boys_in[second].append(request.boys - boys_a)
        girls_in[second].append(request.girls - girls_a)
    for week_id in boys_in:
        week = week_by_id[week_id]
        model.add(sum(boys_in[week_id]) <= week.boys_beds - boys_used[week_id])
        model.add(sum(girls_in[week_id]) <= week.girls_beds - girls_used[week_id])
    model.maximize(sum(both) * (1 + sum(requests[i].boys + requests[i].girls for i in split_requests)) + sum(preferred))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    if solver.solve(model) != cp_model.OPTIMAL:
        raise RuntimeError("could not divide the students of the splits")  # the model guarantees a division
    for i in split_requests:
        request, option = requests[i], options[i][chosen_options[i]]
        boys_a, girls_a = (solver.value(v) for v in parts[i])
        first = WeekPart(option.weeks[0], boys_a, girls_a)
        second = WeekPart(option.weeks[1], request.boys - boys_a, request.girls - girls_a)
        if first.boys + first.girls and second.boys + second.girls:
            placements[i] = (option, (first, second))
            continue
        whole = first if first.boys + first.girls else second
        rank = request.choices.index(whole.week_id) + 1
        # The single-week option exists: the school fits that week's beds, alone if it must.
        single = next(o for o in options[i] if o.weeks == (whole.week_id,))
        assert single.rank == rank
        placements[i] = (single, (whole,))
    return placements


def _with_tuple_choices(request: Request) -> Request:
    return replace(request, choices=tuple(request.choices))


def _check_magnitudes(n: int, settings: Settings) -> None:
    largest = (n + 1) * settings.weights[0] * n * (n + 1) // 2
    if largest >= 2**53:
        raise ValueError(
            f"invalid allocation input:\n- {n} requests with a first-choice weight of "
            f"{settings.weights[0]} are too many for exact integer weights; use smaller weights"
        )


# ---------------------------------------------------------------------------------------------
# The result, with reasons


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _result(requests, weeks, settings, options, placements, stages, gap, stopped, started) -> AllocationResult:
    week_by_id = {w.id: w for w in weeks}
    picks = [placements.get(i) for i in range(len(requests))]

    occupants: dict[Id, list[tuple[Request, _Option, WeekPart]]] = defaultdict(list)
    for request, pick in zip(requests, picks):
        if pick:
            for part in pick[1]:
                occupants[part.week_id].append((request, pick[0], part))

    outcomes = []
    for i, (request, pick) in enumerate(zip(requests, picks)):
        pinned = request.id in settings.pinned
        if pick:
            option, parts = pick
            outcomes.append(Outcome(request.id, request.school, request.tier, parts, option.rank, option.score, pinned))
        else:
            code, reason, blocked = _why_unplaced(request, options[i], week_by_id, occupants, settings, stopped)
            outcomes.append(
                Outcome(request.id, request.school, request.tier, (), None, 0, pinned, code, reason, blocked)
            )

    loads = tuple(
        WeekLoad(
            w.id,
            w.order,
            w.closed,
            w.boys_beds,
            w.girls_beds,
            sum(p.boys for _, _, p in occupants[w.id]),
            sum(p.girls for _, _, p in occupants[w.id]),
            tuple(r.id for r, _, _ in occupants[w.id]),
        )
        for w in weeks
    )
    tier_totals: dict[int, int] = defaultdict(int)
    for request in requests:
        tier_totals[request.tier] += 0
    n = len(requests)
    tie_break = 0
    for i, outcome in enumerate(outcomes):
        tier_totals[outcome.tier] += outcome.score
        tie_break += (n + 1) * (n - i) * outcome.score - (1 if outcome.split else 0)
    counts = {rank: 0 for rank in range(1, len(settings.weights) + 1)}
    for outcome in outcomes:
        if outcome.placed and outcome.rank:
            counts[outcome.rank] += 1
    return AllocationResult(
        status="feasible" if stopped else "optimal",
        outcomes=tuple(outcomes),
        weeks=loads,
        tier_scores=tuple(sorted(tier_totals.items())),
        tie_break=tie_break,
        gap=gap if stopped else 0.0,
        choice_counts=counts,
        placed_off_choice=sum(1 for o in outcomes if o.placed and o.rank is None),
        unplaced=sum(1 for o in outcomes if not o.placed),
        splits=sum(1 for o in outcomes if o.split),
        solve_seconds=time.perf_counter() - started,
        solver=SOLVER_NAME,
        solver_version=SOLVER_VERSION,
        stages=tuple(stages),
    )


def _why_unplaced(
    request: Request,
    request_options: list[_Option],
    week_by_id: dict[Id, Week],
    occupants: dict[Id, list[tuple[Request, _Option, WeekPart]]],
    settings: Settings,
    stopped: bool,
) -> tuple[str, str, tuple[Id, ...]]:
    if request.id in settings.excluded:
        return "excluded", "excluded by staff", ()
    chosen_weeks = [week_by_id[w] for w in request.choices]
    if all(w.closed for w in chosen_weeks):
        return "weeks_closed", "all its weeks are closed", ()

    unusable: list[str] = []  # choices it cannot have even alone
    for week in chosen_weeks:
        if week.closed:
            unusable.append(f"week {week.id} is closed")
            continue
        for gender, need, beds in (("boys", request.boys, week.boys_beds), ("girls", request.girls, week.girls_beds)):
            if need > beds:
                unusable.append(f"week {week.id} has {beds} {gender}' beds, the school needs {need}")
    if request.can_split:
        for first, second, rank in _split_pairs(request, week_by_id):
            if first.closed or second.closed:
                continue
            if settings.weights[rank - 1] - settings.split_penalty <= 0:
                unusable.append(
                    f"a split over weeks {first.id} and {second.id} is worth nothing after the split penalty"
                )
                continue
            for gender, need in (("boys", request.boys), ("girls", request.girls)):
                beds = getattr(first, f"{gender}_beds") + getattr(second, f"{gender}_beds")
                if need > beds:
                    unusable.append(
                        f"weeks {first.id} and {second.id} together have {beds} {gender}' beds, the school needs {need}"
                    )
    if not request_options:
        return "too_large", "; ".join(unusable) or "none of its weeks can take it", ()

    candidate_weeks = sorted({w for option in request_options for w in option.weeks}, key=lambda w: week_by_id[w].order)
    blocked = tuple(sorted({r.id for w in candidate_weeks for r, _, _ in occupants[w]}, key=repr))
    note = f" (also: {'; '.join(unusable)})" if unusable else ""

    if not request.can_share and all(occupants[w] for w in candidate_weeks):
        listing = ", ".join(f"week {w} ({', '.join(r.school for r, _, _ in occupants[w])})" for w in candidate_weeks)
        return "cannot_share", f"it cannot share and each of its weeks has another school: {listing}{note}", blocked

    def fits_now(option: _Option) -> bool:
        if any(not other.can_share for w in option.weeks for other, _, _ in occupants[w]):
            return False
        if not request.can_share and any(occupants[w] for w in option.weeks):
            return False
        free = [
            (
                week_by_id[w].boys_beds - sum(p.boys for _, _, p in occupants[w]),
                week_by_id[w].girls_beds - sum(p.girls for _, _, p in occupants[w]),
            )
            for w in option.weeks
        ]
        if not option.split:
            return request.boys <= free[0][0] and request.girls <= free[0][1]
        (boys_a, girls_a), (boys_b, girls_b) = free
        return (
            request.boys <= boys_a + boys_b
            and request.girls <= girls_a + girls_b
            and boys_a + girls_a >= 1
            and boys_b + girls_b >= 1
        )

    if stopped and any(fits_now(option) for option in request_options):
        return "stopped_early", "the solver stopped at its time or work limit before it could place it", blocked

    details = []
    for w in candidate_weeks:
        week = week_by_id[w]
        there = occupants[w]
        schools = ", ".join(_occupant(other, option, part) for other, option, part in there)
        lone = [other.school for other, _, _ in there if not other.can_share]
        if not there:
            details.append(f"week {w} has {week.boys_beds} boys' and {week.girls_beds} girls' beds, too few alone")
            continue
        if lone:
            details.append(f"week {w} has {lone[0]}, which cannot share")
            continue
        boys_left = week.boys_beds - sum(p.boys for _, _, p in there)
        girls_left = week.girls_beds - sum(p.girls for _, _, p in there)
        details.append(
            f"week {w} ({boys_left} boys' and {girls_left} girls' beds left of {week.boys_beds} and "
            f"{week.girls_beds}; the school needs {request.boys} and {request.girls}): {schools}"
        )
    return (
        "filled",
        "its weeks were filled by schools of higher priority or that ranked them higher: " + "; ".join(details) + note,
        blocked,
    )


def _occupant(request: Request, option: _Option, part: WeekPart) -> str:
    if option.rank is None:
        how = "pinned by staff"
    else:
        how = f"{_ordinal(request.choices.index(part.week_id) + 1)} choice"
        if option.split:
            how += f", split ({part.boys} boys, {part.girls} girls here)"
    return f"{request.school} (tier {request.tier}, {how})"
