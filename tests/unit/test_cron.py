"""The cron dialect shared by the wizard's cron field and the scheduler (core/cron.py)."""

from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from core.cron import (
    DEFAULT_SCHEDULE,
    CronError,
    TimezoneError,
    describe,
    next_fire_time,
    next_runs,
    spread_offset,
    validate,
    validate_timezone,
)

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
HOUR = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone), fold=fold)


def in_utc(runs: list[datetime]) -> list[datetime]:
    return [run.astimezone(UTC) for run in runs]


def gaps(runs: list[datetime]) -> set[timedelta]:
    instants = in_utc(runs)
    return {later - earlier for earlier, later in pairwise(instants)}


# Validation ------------------------------------------------------------------------------------


def test_validate_collapses_whitespace() -> None:
    assert validate("  0   9\t* *  1-5 ") == "0 9 * * 1-5"


def test_validate_treats_pasted_no_break_spaces_as_separators() -> None:
    assert validate("0\u00a09 * * 1-5") == "0 9 * * 1-5"


@pytest.mark.parametrize(
    "shortcut", ["@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@annually", "@midnight"]
)
def test_croniter_shortcuts_are_accepted(shortcut: str) -> None:
    assert validate(shortcut.upper()) == shortcut


def test_default_schedule_is_valid_and_hourly() -> None:
    assert validate(DEFAULT_SCHEDULE) == "0 * * * *"
    assert describe(DEFAULT_SCHEDULE) == "Every hour"


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("61 * * * *", "minute field: 61 is out of range 0-59"),
        ("0 24 * * *", "hour field: 24 is out of range 0-23"),
        ("0 0 32 * *", "day-of-month field: 32 is out of range 1-31"),
        ("0 0 0 * *", "day-of-month field: 0 is out of range 1-31"),
        ("0 0 * 13 *", "month field: 13 is out of range 1-12 or JAN-DEC"),
        ("0 0 * * 8", "day-of-week field: 8 is out of range 0-6 or SUN-SAT (7 is also Sunday)"),
        ("0,15,61 * * * *", "minute field: 61 is out of range 0-59"),
        ("0 1-25 * * *", "hour field: 1-25 is out of range 0-23"),
    ],
)
def test_out_of_range_value_names_field_and_range(expression: str, reason: str) -> None:
    with pytest.raises(CronError) as caught:
        validate(expression)
    assert caught.value.reason == reason
    assert caught.value.expression == expression


@pytest.mark.parametrize(
    ("expression", "field", "value"),
    [
        ("abc * * * *", "minute field", "'abc'"),
        ("0 nine * * *", "hour field", "'nine'"),
        ("0 0 * jan-foo *", "month field", "'jan-foo'"),
        ("0 0 * * funday", "day-of-week field", "'funday'"),
    ],
)
def test_letters_are_refused_naming_the_field(expression: str, field: str, value: str) -> None:
    with pytest.raises(CronError) as caught:
        validate(expression)
    assert caught.value.reason.startswith(f"{field}: {value} is not a value cron understands")


def test_month_and_weekday_names_are_accepted() -> None:
    assert validate("0 9 * JAN-MAR mon-fri") == "0 9 * JAN-MAR mon-fri"


@pytest.mark.parametrize(
    ("expression", "missing"),
    [
        ("* * * *", "the day-of-week field is missing"),
        ("0 9 *", "the month and day-of-week fields are missing"),
        ("0", "the hour, day-of-month, month and day-of-week fields are missing"),
    ],
)
def test_too_few_fields_names_the_missing_ones(expression: str, missing: str) -> None:
    with pytest.raises(CronError, match=missing):
        validate(expression)


def test_empty_schedule_is_refused() -> None:
    with pytest.raises(CronError, match="the schedule is empty"):
        validate("   ")


def test_seconds_field_is_refused_as_finer_than_a_minute() -> None:
    with pytest.raises(CronError) as caught:
        validate("0 0 * * * *")
    assert "seconds field is not supported" in caught.value.reason
    assert "minute granularity" in caught.value.reason


def test_seconds_and_year_fields_are_refused() -> None:
    with pytest.raises(CronError, match="seconds and year fields are not supported"):
        validate("0 0 12 * * ? 2030")


def test_too_many_fields_is_refused() -> None:
    with pytest.raises(CronError, match="8 fields is too many"):
        validate("1 2 3 4 5 6 7 8")


def test_zero_step_is_refused_naming_the_field() -> None:
    with pytest.raises(CronError, match=r"minute field: the step in '\*/0'"):
        validate("*/0 * * * *")


def test_empty_list_entry_is_refused_naming_the_field() -> None:
    with pytest.raises(CronError, match="hour field: '1,,2' has an empty entry"):
        validate("0 1,,2 * * *")


def test_unknown_shortcut_is_refused() -> None:
    with pytest.raises(CronError, match="unknown shortcut @reboot"):
        validate("@reboot")


def test_date_that_never_occurs_is_refused() -> None:
    with pytest.raises(CronError, match=r"day-of-month and month fields: .*never run"):
        validate("0 0 31 2 *")


def test_random_field_is_refused_because_it_would_differ_per_process() -> None:
    # croniter accepts R without complaint and draws new minutes each time it reads it.
    with pytest.raises(CronError, match=r"minute field: random \(R\) values are not supported"):
        validate("R * * * *")


def test_hashed_field_is_refused() -> None:
    with pytest.raises(CronError, match=r"hour field: hashed \(H\) values are not supported"):
        validate("0 H * * *")


def test_cron_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"invalid cron expression '61 \* \* \* \*'"):
        validate("61 * * * *")


# Description -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 * * * *", "Every hour"),
        ("@hourly", "Every hour"),
        ("*/15 * * * *", "Every 15 minutes"),
        ("30 14 * * *", "At 14:30"),
        ("0 9 * * 1-5", "At 09:00, Monday through Friday"),
        ("0 0 1 * *", "At 00:00, on day 1 of the month"),
        ("@weekly", "At 00:00, only on Sunday"),
    ],
)
def test_describe_reads_the_schedule_in_words(expression: str, words: str) -> None:
    assert describe(expression) == words


def test_describe_refuses_a_bad_expression_with_the_reason() -> None:
    with pytest.raises(CronError, match="hour field: 24 is out of range"):
        describe("0 24 * * *")


# Time zones ------------------------------------------------------------------------------------


def test_validate_timezone_returns_the_iana_name() -> None:
    assert validate_timezone(" Europe/London ") == LONDON
    assert validate_timezone("UTC") == "UTC"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "America", "../etc/passwd", "/etc/localtime"])
def test_unknown_timezone_is_refused_naming_it(zone: str) -> None:
    with pytest.raises(TimezoneError) as caught:
        validate_timezone(zone)
    assert caught.value.zone == zone
    assert f"unknown time zone '{zone}'" in caught.value.reason


def test_server_localtime_is_refused() -> None:
    with pytest.raises(TimezoneError, match="follows the server"):
        validate_timezone("localtime")


def test_next_runs_refuses_an_unknown_timezone() -> None:
    with pytest.raises(TimezoneError, match="Mars/Olympus"):
        next_runs("0 * * * *", "Mars/Olympus", after=utc(2025, 1, 1))


# Next runs -------------------------------------------------------------------------------------


def test_hourly_runs_on_the_hour() -> None:
    runs = next_runs("0 * * * *", after=utc(2025, 1, 15, 10, 20), count=3)
    assert runs == [utc(2025, 1, 15, 11), utc(2025, 1, 15, 12), utc(2025, 1, 15, 13)]


def test_next_runs_are_strictly_after_the_given_time() -> None:
    assert next_runs("0 * * * *", after=utc(2025, 1, 15, 11), count=1) == [utc(2025, 1, 15, 12)]


def test_daily_runs_in_the_installation_timezone() -> None:
    runs = next_runs("30 14 * * *", NEW_YORK, after=utc(2025, 1, 15, 20), count=2)
    assert runs == [local(NEW_YORK, 2025, 1, 16, 14, 30), local(NEW_YORK, 2025, 1, 17, 14, 30)]
    assert all(run.tzinfo == ZoneInfo(NEW_YORK) for run in runs)
    assert in_utc(runs)[0] == utc(2025, 1, 16, 19, 30)


def test_weekday_schedule_skips_the_weekend() -> None:
    # Friday 2025-01-17, after 09:00.
    runs = next_runs("0 9 * * 1-5", LONDON, after=utc(2025, 1, 17, 10), count=3)
    assert runs == [
        local(LONDON, 2025, 1, 20, 9),
        local(LONDON, 2025, 1, 21, 9),
        local(LONDON, 2025, 1, 22, 9),
    ]


def test_every_fifteen_minutes() -> None:
    runs = next_runs("*/15 * * * *", after=utc(2025, 1, 15, 10, 7, 30), count=4)
    assert runs == [
        utc(2025, 1, 15, 10, 15),
        utc(2025, 1, 15, 10, 30),
        utc(2025, 1, 15, 10, 45),
        utc(2025, 1, 15, 11),
    ]


def test_monthly_runs_on_the_first_of_each_month() -> None:
    runs = next_runs("@monthly", LONDON, after=utc(2025, 1, 31, 12), count=3)
    assert runs == [local(LONDON, 2025, 2, 1), local(LONDON, 2025, 3, 1), local(LONDON, 2025, 4, 1)]


def test_summer_time_runs_keep_the_local_hour() -> None:
    runs = next_runs("0 9 * * *", LONDON, after=utc(2025, 7, 1), count=1)
    assert in_utc(runs) == [utc(2025, 7, 1, 8)]


def test_next_runs_returns_as_many_as_asked() -> None:
    assert len(next_runs("* * * * *", after=utc(2025, 1, 1), count=60)) == 60
    assert next_runs("* * * * *", after=utc(2025, 1, 1), count=0) == []


def test_next_runs_refuses_a_naive_after() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_runs("0 * * * *", after=datetime(2025, 1, 1, 10))


def test_next_runs_refuses_a_bad_expression() -> None:
    with pytest.raises(CronError, match="minute field"):
        next_runs("61 * * * *", after=utc(2025, 1, 1))


# Daylight saving -------------------------------------------------------------------------------
# New York 2025: 02:00 EST -> 03:00 EDT on 9 March, 02:00 EDT -> 01:00 EST on 2 November.
# London 2025: 01:00 GMT -> 02:00 BST on 30 March, 02:00 BST -> 01:00 GMT on 26 October.


@pytest.mark.parametrize(
    ("zone", "midnight_before"),
    [
        (NEW_YORK, utc(2025, 3, 9, 4, 59)),  # 23:59 EST on 8 March
        (LONDON, utc(2025, 3, 29, 23, 59)),  # 23:59 GMT on 29 March
    ],
)
def test_hourly_across_spring_forward_fires_every_real_hour(
    zone: str, midnight_before: datetime
) -> None:
    runs = next_runs("0 * * * *", zone, after=midnight_before, count=23)
    assert gaps(runs) == {HOUR}
    assert runs[-1] == local(zone, 2025, 3, runs[0].day, 23)  # a 23-hour day


@pytest.mark.parametrize(
    ("zone", "midnight_before"),
    [
        (NEW_YORK, utc(2025, 11, 2, 3, 59)),  # 23:59 EDT on 1 November
        (LONDON, utc(2025, 10, 25, 22, 59)),  # 23:59 BST on 25 October
    ],
)
def test_hourly_across_fall_back_fires_every_real_hour(
    zone: str, midnight_before: datetime
) -> None:
    runs = next_runs("0 * * * *", zone, after=midnight_before, count=25)
    assert gaps(runs) == {HOUR}  # no duplicate instant, no missing hour
    assert len(set(in_utc(runs))) == 25  # a 25-hour day
    assert [run.hour for run in runs].count(1) == 2  # 01:00 before and after the change
    assert runs[-1].hour == 23


def test_quarter_hour_job_at_half_past_skips_the_missing_hour() -> None:
    # 02:30 does not exist on 9 March; a wildcard job just runs at its next real time.
    runs = next_runs("30 * * * *", NEW_YORK, after=utc(2025, 3, 9, 6), count=2)
    assert runs == [local(NEW_YORK, 2025, 3, 9, 1, 30), local(NEW_YORK, 2025, 3, 9, 3, 30)]


def test_daily_at_a_skipped_time_runs_once_just_after_the_jump_new_york() -> None:
    runs = next_runs("30 2 * * *", NEW_YORK, after=utc(2025, 3, 8, 12), count=3)
    assert runs == [
        local(NEW_YORK, 2025, 3, 9, 3, 0),  # 03:00 EDT, the first minute after the jump
        local(NEW_YORK, 2025, 3, 10, 2, 30),
        local(NEW_YORK, 2025, 3, 11, 2, 30),
    ]
    assert in_utc(runs)[0] == utc(2025, 3, 9, 7)


def test_daily_at_a_skipped_time_runs_once_just_after_the_jump_london() -> None:
    runs = next_runs("30 1 * * *", LONDON, after=utc(2025, 3, 29, 12), count=2)
    assert in_utc(runs) == [utc(2025, 3, 30, 1), utc(2025, 3, 31, 0, 30)]  # 02:00 BST, 01:30 BST


@pytest.mark.parametrize(
    ("zone", "day_before", "first_occurrence"),
    [
        (NEW_YORK, utc(2025, 11, 1, 12), utc(2025, 11, 2, 5, 30)),  # 01:30 EDT
        (LONDON, utc(2025, 10, 25, 12), utc(2025, 10, 26, 0, 30)),  # 01:30 BST
    ],
)
def test_daily_at_a_repeated_time_runs_once_at_its_first_occurrence(
    zone: str, day_before: datetime, first_occurrence: datetime
) -> None:
    runs = next_runs("30 1 * * *", zone, after=day_before, count=2)
    assert in_utc(runs)[0] == first_occurrence
    assert runs[1].date() == runs[0].date() + timedelta(days=1)


def test_daily_asked_during_the_repeated_hour_does_not_fire_again() -> None:
    # 01:10 EST: 01:30 EDT has already fired; 01:30 EST is the same wall time again.
    after = local(NEW_YORK, 2025, 11, 2, 1, 10, fold=1)
    assert next_runs("30 1 * * *", NEW_YORK, after=after, count=1) == [
        local(NEW_YORK, 2025, 11, 3, 1, 30)
    ]


def test_daily_schedule_keeps_local_time_across_the_change() -> None:
    runs = next_runs("0 9 * * *", NEW_YORK, after=utc(2025, 3, 8, 15), count=2)
    assert [run.hour for run in runs] == [9, 9]
    assert in_utc(runs) == [utc(2025, 3, 9, 13), utc(2025, 3, 10, 13)]


# Fire times for the scheduler ------------------------------------------------------------------


def test_next_fire_time_is_in_utc() -> None:
    fire = next_fire_time("0 9 * * *", NEW_YORK, utc(2025, 1, 15))
    assert fire == utc(2025, 1, 15, 14)
    assert fire.tzinfo is UTC


def test_next_fire_time_after_the_last_fire_gives_the_next_slot() -> None:
    fire = next_fire_time("*/15 * * * *", "UTC", utc(2025, 1, 15, 10, 15))
    assert fire == utc(2025, 1, 15, 10, 30)


SEVEN_MINUTES = 7 * 60


@pytest.mark.parametrize(
    ("asked_at", "fires_at"),
    [
        (utc(2025, 1, 15, 9, 59), utc(2025, 1, 15, 10, 7)),
        (utc(2025, 1, 15, 10, 0), utc(2025, 1, 15, 10, 7)),
        (utc(2025, 1, 15, 10, 5), utc(2025, 1, 15, 10, 7)),  # inside the slot's offset
        (utc(2025, 1, 15, 10, 6, 59), utc(2025, 1, 15, 10, 7)),
        (utc(2025, 1, 15, 10, 7), utc(2025, 1, 15, 11, 7)),  # that run has fired
        (utc(2025, 1, 15, 10, 8), utc(2025, 1, 15, 11, 7)),
    ],
)
def test_offset_fires_after_the_slot_even_when_asked_inside_it(
    asked_at: datetime, fires_at: datetime
) -> None:
    assert next_fire_time(DEFAULT_SCHEDULE, "UTC", asked_at, SEVEN_MINUTES) == fires_at


def test_offset_longer_than_the_interval_still_fires_every_slot() -> None:
    # 20 minutes after each quarter hour: the 09:45 slot is still to fire at 10:05.
    runs = next_runs("*/15 * * * *", after=utc(2025, 1, 15, 10), count=3, offset_seconds=1200)
    assert runs == [utc(2025, 1, 15, 10, 5), utc(2025, 1, 15, 10, 20), utc(2025, 1, 15, 10, 35)]


def test_offset_is_real_time_across_fall_back() -> None:
    after = utc(2025, 11, 2, 4, 30)  # 00:30 EDT
    runs = next_runs(DEFAULT_SCHEDULE, NEW_YORK, after=after, count=3, offset_seconds=SEVEN_MINUTES)
    assert in_utc(runs) == [utc(2025, 11, 2, 5, 7), utc(2025, 11, 2, 6, 7), utc(2025, 11, 2, 7, 7)]
    assert [(run.hour, run.minute) for run in runs] == [(1, 7), (1, 7), (2, 7)]


def test_negative_offset_is_refused() -> None:
    with pytest.raises(ValueError, match="offset_seconds"):
        next_fire_time(DEFAULT_SCHEDULE, "UTC", utc(2025, 1, 1), -1)


# Spreading -------------------------------------------------------------------------------------


def test_spread_is_roughly_uniform_over_the_window() -> None:
    offsets = [spread_offset(f"installation-{number}", 3600) for number in range(1000)]
    assert all(0 <= offset < 3600 for offset in offsets)
    buckets = Counter(offset // 360 for offset in offsets)  # ten 6-minute buckets
    assert len(buckets) == 10
    assert all(50 <= size <= 150 for size in buckets.values()), buckets


def test_spread_is_stable_for_a_key() -> None:
    keys = [f"installation-{number}:import_customers" for number in range(100)]
    assert [spread_offset(key, 3600) for key in keys] == [spread_offset(key, 3600) for key in keys]


def test_spread_is_the_same_in_every_process() -> None:
    # Pinned: sha256("installation-1")[:8] mod 3600, checked with sha256sum. If this changes,
    # every installation's hourly job moves.
    assert spread_offset("installation-1", 3600) == 1712


def test_spread_window_of_zero_turns_spreading_off() -> None:
    assert spread_offset("installation-1", 0) == 0


def test_spread_refuses_a_negative_window() -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        spread_offset("installation-1", -1)


def test_spread_offset_applies_to_the_default_schedule() -> None:
    offset = spread_offset("installation-1", 3600)
    fire = next_fire_time(DEFAULT_SCHEDULE, "UTC", utc(2025, 1, 15, 10), offset)
    assert fire == utc(2025, 1, 15, 10) + timedelta(seconds=offset)
