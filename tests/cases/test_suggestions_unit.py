"""The suggestion scorer on hand-made cases where the right answer is clear."""

from __future__ import annotations

from datetime import datetime, time

from schedule import TZ, Schedule
from webapp.cases.suggestions import Candidate, Profile, rank, score

TUE_MORNING = Schedule(rrule="FREQ=WEEKLY;BYDAY=TU", start=time(10), end=time(12))
WED_AFTERNOON = Schedule(rrule="FREQ=WEEKLY;BYDAY=WE", start=time(14), end=time(16))
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=TZ)


def cand(i: int, **kw: object) -> Candidate:
    values: dict[str, object] = {"activity_id": i, "name": f"活動{i}", "distance_m": 800.0}
    values.update(kw)
    return Candidate(**values)  # type: ignore[arg-type]


def codes(s: object) -> set[str]:
    return {r.code for r in s.reasons}  # type: ignore[attr-defined]


def test_shared_interest_ranks_first_and_says_so() -> None:
    person = Profile(interests=frozenset({"go"}))
    go = cand(1, name="囲碁クラブ", tags=frozenset({"go"}))
    craft = cand(2, name="手芸の会", tags=frozenset({"handicraft"}))
    ranked = rank(person, [craft, go], NOW)
    assert [s.candidate.activity_id for s in ranked] == [1, 2]
    assert "囲碁に関心" in ranked[0].summary()


def test_interest_found_in_text_when_not_tagged() -> None:
    person = Profile(interests=frozenset({"go"}))
    s = score(person, cand(1, name="ふれあいサロン", text="囲碁や将棋を楽しめます"), NOW)
    assert "interest_text" in codes(s)


def test_free_text_interest_matches_activity_text() -> None:
    person = Profile(interests_text="鉄道模型、写真")
    s = score(person, cand(1, text="鉄道模型の運転会をしています"), NOW)
    assert "free_text" in codes(s) and "「鉄道模型」" in s.summary()


def test_beyond_travel_limit_is_excluded_with_reason() -> None:
    person = Profile(max_travel_m=1000)
    s = score(person, cand(1, distance_m=1500.0), NOW)
    assert s.excluded is not None and s.excluded.code == "too_far"
    assert rank(person, [cand(1, distance_m=1500.0)], NOW) == []


def test_nearer_wins_when_all_else_equal_and_walk_minutes_shown() -> None:
    person = Profile(max_travel_m=3000)
    ranked = rank(person, [cand(1, distance_m=2500.0), cand(2, distance_m=960.0)], NOW)
    assert ranked[0].candidate.activity_id == 2
    assert "徒歩12分" in ranked[0].summary()
    assert "約2.5km" in ranked[1].summary()


def test_activity_for_another_audience_is_excluded() -> None:
    man_retired = Profile(field="elderly")
    parents_only = cand(1, audiences=frozenset({"parents_children"}))
    everyone = cand(2, audiences=frozenset({"everyone"}))
    elderly = cand(3, audiences=frozenset({"elderly"}))
    assert score(man_retired, parents_only, NOW).excluded is not None
    ranked = rank(man_retired, [parents_only, everyone, elderly], NOW)
    assert [s.candidate.activity_id for s in ranked] == [3, 2]


def test_schedule_fit_with_free_times() -> None:
    person = Profile(free_slots=frozenset({"1am"}))  # Tuesday morning
    tue, wed = cand(1, schedule=TUE_MORNING), cand(2, schedule=WED_AFTERNOON)
    ranked = rank(person, [wed, tue], NOW)
    assert ranked[0].candidate.activity_id == 1
    assert "火曜午前に空き" in ranked[0].summary()
    assert "schedule_mismatch" in codes(ranked[1])


def test_monthly_by_date_schedule_uses_next_occurrences() -> None:
    # BYMONTHDAY has no fixed weekday; the next occurrences decide (2026-12-15 is a Tuesday).
    monthly = Schedule(rrule="FREQ=MONTHLY;BYMONTHDAY=15", start=time(10), end=time(11))
    s = score(Profile(free_slots=frozenset({"1am"})), cand(1, schedule=monthly), NOW)
    assert "schedule" in codes(s)
    assert "schedule_mismatch" in codes(score(Profile(free_slots=frozenset({"2pm"})), cand(1, schedule=monthly), NOW))


def test_worry_about_going_alone_weights_solo_ok() -> None:
    worried = Profile(solo_worry=True)
    plain = cand(1, welcomes_first_timers=True)
    solo = cand(2, solo_ok=True)
    assert rank(worried, [plain, solo], NOW)[0].candidate.activity_id == 2
    needs_company = Profile(needs_accompany=True)
    visit = cand(3, visit_ok=True)
    assert rank(needs_company, [solo, visit], NOW)[0].candidate.activity_id == 3


def test_cost_over_budget_is_a_penalty_and_free_is_a_plus() -> None:
    person = Profile(max_cost_yen=300)
    ranked = rank(person, [cand(1, cost_yen=1000), cand(2, cost_yen=0), cand(3, cost_yen=200)], NOW)
    assert [s.candidate.activity_id for s in ranked] == [2, 3, 1]
    assert "cost_over" in codes(ranked[-1]) and "無料" in ranked[0].summary()


def test_missing_accessibility_need_counts_against() -> None:
    person = Profile(accessibility_needs=frozenset({"wheelchair"}))
    ok, missing = cand(1, accessibility=frozenset({"wheelchair"})), cand(2)
    ranked = rank(person, [missing, ok], NOW)
    assert ranked[0].candidate.activity_id == 1
    assert "access_missing" in codes(ranked[1])


def test_the_whole_explanation_reads_like_a_worker_would_say_it() -> None:
    person = Profile(interests=frozenset({"go"}), free_slots=frozenset({"1am"}), max_travel_m=2000)
    s = score(person, cand(1, name="囲碁サロン", tags=frozenset({"go"}), schedule=TUE_MORNING, distance_m=960.0), NOW)
    text = s.summary()
    for part in ("火曜午前に空き", "徒歩12分", "囲碁に関心"):
        assert part in text
    assert s.score == sum(r.points for r in s.reasons)
    assert "interested in Go" in s.summary("en")


def test_ties_are_stable() -> None:
    person = Profile()
    ranked = rank(person, [cand(3), cand(1), cand(2)], NOW)
    assert [s.candidate.activity_id for s in ranked] == [1, 2, 3]


def test_search_service_matches_count_for_free_text() -> None:
    # the index matched a free-text word (via a reading or synonym) the activity text lacks verbatim
    person = Profile(interests_text="ぼーどげーむ")
    s = score(person, cand(1, search_matches=frozenset({"ぼーどげーむ"})), NOW)
    assert "free_text" in codes(s)
