"""The project's one cron dialect: validation, human text, previews and fire times.

The wizard's cron field and the scheduler both come here, so a schedule the admin was shown as
valid, described and previewed is exactly the schedule that fires. croniter decides what is valid
and when a schedule fires; cron-descriptor turns it into words. This module adds only what those
two leave to us: reasons a person can act on, a time-zone rule for daylight-saving changes, and
spreading of default schedules.

Schedules have minute granularity: five fields (minute hour day-of-month month day-of-week) or one
of croniter's shortcuts (``@hourly``, ``@daily``, ``@weekly``, ``@monthly``, ``@yearly``, ...).
Seconds and year fields are refused rather than silently misread.

**Daylight-saving rule** (the one Vixie cron and cronie document, so it is what cron users
expect). Times are read on the installation's wall clock:

* A schedule whose minute or hour field is a wildcard (``*``, ``*/15``, ``0 * * * *``) follows real
  time. A wall time skipped by spring-forward simply does not happen, and a wall time repeated by
  fall-back happens twice, so an hourly job fires once in every real hour: no gap, no duplicate.
* A schedule at fixed times (``30 2 * * *``) fires once per day it names. A time skipped by
  spring-forward fires at the first minute after the jump (02:30 in New York fires at 03:00 EDT);
  a time repeated by fall-back fires at its first occurrence only (01:30 EDT, not again at 01:30
  EST).

**Spreading.** Many installations left on the default hourly schedule would all fire at :00 and
hammer the remote APIs together. :func:`spread_offset` gives each installation a stable offset
inside a window and :func:`next_fire_time` fires at the cron slot plus that offset. Only a schedule
the admin left at its default may be spread: someone who typed ``0 * * * *`` asked for :00. The
caller knows which it is, so the caller decides.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cron_descriptor import ExpressionDescriptor, Options
from croniter import (
    CroniterBadDateError,
    CroniterError,
    CroniterNotAlphaError,
    CroniterUnsupportedSyntaxError,
    cron_m,
    croniter,
)

__all__ = [
    "DEFAULT_SCHEDULE",
    "CronError",
    "ScheduleError",
    "TimezoneError",
    "describe",
    "next_fire_time",
    "next_runs",
    "spread_offset",
    "validate",
    "validate_timezone",
]

DEFAULT_SCHEDULE = "0 * * * *"
"""The schedule a job gets when its connector does not say otherwise: hourly, at minute 0."""

FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")

# A preview is read by a person; the cap stops an API caller from asking for millions of runs.
MAX_RUNS = 1000

_MINUTE, _HOUR, _DAY, _MONTH, _WEEKDAY = range(5)
_NAME_HINTS = {_MONTH: " or JAN-DEC", _WEEKDAY: " or SUN-SAT (7 is also Sunday)"}
_SHORTCUTS = "@hourly, @daily, @weekly, @monthly or @yearly"
_FIVE_FIELDS = "write 5 fields: minute hour day-of-month month day-of-week"
_ONE_MINUTE = timedelta(minutes=1)
_CRONITER_PREFIX = re.compile(r"^\[[^\]]*\]\s*(is not acceptable)?[.,:]?\s*")
_CRONITER_FIELD_NUMBER = re.compile(r" in field \d+")


class ScheduleError(ValueError):
    """A schedule setting a person typed is unusable; ``reason`` says why and what to do."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class CronError(ScheduleError):
    """A cron expression is refused. The wizard shows ``reason`` beside the field it came from."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"invalid cron expression {expression!r}: {reason}", reason)
        self.expression = expression


class TimezoneError(ScheduleError):
    """An installation's time zone is not a zone we can compute schedules in."""

    def __init__(self, zone: str, reason: str) -> None:
        super().__init__(f"invalid time zone {zone!r}: {reason}", reason)
        self.zone = zone


@dataclass(frozen=True)
class _Schedule:
    text: str  # normalised, as the admin wrote it (shortcuts kept)
    fields: tuple[str, ...]  # five fields; a shortcut is replaced by croniter's meaning of it
    real_time: bool  # wildcard minute or hour: follows real time across DST changes


# Validation ------------------------------------------------------------------------------------


def validate(expression: str) -> str:
    """Return ``expression`` normalised (whitespace collapsed, shortcuts lower-cased) or raise
    :class:`CronError` whose ``reason`` names the field at fault, so the admin can fix it where
    it is typed."""
    return _parse(expression).text


@functools.lru_cache(maxsize=4096)
def _parse(expression: str) -> _Schedule:
    # The scheduler asks about the same few expressions every tick; expanding once is enough.
    if not isinstance(expression, str):
        raise CronError(str(expression), "a schedule must be text, such as '0 * * * *'")
    # Any whitespace separates fields: a schedule pasted from a web page often carries no-break
    # spaces, and the normalised text we hand croniter has plain ones.
    tokens = expression.split()
    text = " ".join(tokens)
    if not tokens:
        raise CronError(expression, f"the schedule is empty; {_FIVE_FIELDS}")
    if len(tokens) == 1 and text.startswith("@"):
        return _parse_shortcut(text.lower())
    _check_field_count(text, tokens)
    for index, field in enumerate(tokens):
        _refuse_hashed(text, index, field)
    try:
        expanded, _nth = croniter.expand(text, strict=True)
    except CroniterError as exc:
        raise CronError(text, _explain(tokens, exc)) from exc
    return _Schedule(text, tuple(tokens), _follows_real_time(tokens, expanded))


def _parse_shortcut(text: str) -> _Schedule:
    if not croniter.is_valid(text):
        raise CronError(text, f"unknown shortcut {text}; use {_SHORTCUTS}, or {_FIVE_FIELDS}")
    expanded, _nth = croniter.expand(text)
    # cron-descriptor does not read shortcuts, and the DST rule looks at the fields: take the
    # five fields from croniter's own reading of the shortcut rather than keeping a second table.
    fields = tuple(",".join(str(value) for value in values) for values in expanded)
    return _Schedule(text, fields, _follows_real_time(fields, expanded))


def _check_field_count(text: str, tokens: list[str]) -> None:
    count = len(tokens)
    if count < 5:
        *others, last = FIELD_NAMES[count:]
        names = f"{', '.join(others)} and {last} fields are" if others else f"{last} field is"
        raise CronError(text, f"the {names} missing; {_FIVE_FIELDS}")
    if count == 6:
        raise CronError(
            text,
            "6 fields: a seconds field is not supported because schedules run at minute "
            f"granularity; {_FIVE_FIELDS}",
        )
    if count == 7:
        raise CronError(
            text,
            "7 fields: seconds and year fields are not supported because schedules run at "
            f"minute granularity; {_FIVE_FIELDS}",
        )
    if count > 7:
        raise CronError(text, f"{count} fields is too many; {_FIVE_FIELDS}")


def _refuse_hashed(text: str, index: int, field: str) -> None:
    # croniter's own pattern for H/R fields. Without a hash id croniter refuses H but accepts R,
    # which picks new random times each time the expression is read: every restart and every
    # scheduler process would disagree on when the job fires. Spreading is done by offsets.
    match = cron_m.hash_expression_re.match(field.lower())
    if match:
        kind = "random (R)" if match["hash_type"] == "r" else "hashed (H)"
        raise CronError(
            text,
            f"{FIELD_NAMES[index]} field: {kind} values are not supported; give fixed times "
            "(default schedules are spread across the hour by the platform itself)",
        )


def _explain(tokens: list[str], exc: CroniterError) -> str:
    """Turn croniter's refusal into a reason that names the field and the value at fault.

    croniter's messages quote the whole expression, not the field. Probing each field alone, and
    then each list entry, with croniter itself finds the culprit without a second cron parser.
    """
    for index, field in enumerate(tokens):
        reason = _explain_field(index, field)
        if reason:
            return reason
    # Every field is fine alone, so fields contradict each other (February 31st, say).
    message = _croniter_detail(exc)
    if "can never occur" in message:
        return f"day-of-month and month fields: {message}, so the schedule would never run"
    return message


def _explain_field(index: int, field: str) -> str | None:
    name = FIELD_NAMES[index]
    failure = _probe(index, field)
    if failure is None:
        return None
    for entry in field.split(","):
        if not entry:
            return f"{name} field: '{field}' has an empty entry between commas"
        entry_failure = _probe(index, entry)
        if entry_failure is not None:
            return f"{name} field: {_phrase(index, entry, entry_failure)}"
    return f"{name} field: {_phrase(index, field, failure)}"


def _probe(index: int, field: str) -> CroniterError | None:
    probe = ["*"] * 5
    probe[index] = field
    try:
        croniter.expand(" ".join(probe))
    except CroniterError as exc:
        return exc
    return None


def _phrase(index: int, value: str, exc: CroniterError) -> str:
    low, high = croniter.RANGES[index]
    allowed = f"{low}-{high}{_NAME_HINTS.get(index, '')}"
    message = str(exc)
    if isinstance(exc, CroniterUnsupportedSyntaxError):
        return f"'{value}' mixes nth weekdays (like 1#2) with plain days; use one or the other"
    if isinstance(exc, CroniterNotAlphaError):
        return (
            f"'{value}' is not a value cron understands; use {allowed}, '*', ranges (1-5), "
            "lists (1,3) or steps (*/15)"
        )
    if "out of range" in message or "out of bands" in message:
        return f"{value} is out of range {allowed}"
    if "negative" in message:
        return f"'{value}' is negative; use {allowed}"
    if "step" in message:
        return f"the step in '{value}' must be a whole number of 1 or more"
    return f"'{value}' is not valid: {_croniter_detail(exc)}"


def _croniter_detail(exc: CroniterError) -> str:
    # croniter quotes the whole expression and numbers its fields; we name the field already.
    message = _CRONITER_PREFIX.sub("", str(exc))
    return _CRONITER_FIELD_NUMBER.sub("", message) or "not acceptable"


def _follows_real_time(fields: tuple[str, ...] | list[str], expanded: list[list]) -> bool:
    # Cron's own test: a minute or hour field written with '*' (and croniter's '*' for a field
    # that covers every value, e.g. 0-23) marks a wildcard job.
    return any(fields[i].startswith("*") or expanded[i] == ["*"] for i in (_MINUTE, _HOUR))


# Description -----------------------------------------------------------------------------------

# Pinned locale and 24-hour clock: the server's locale must not change what admins read.
_DESCRIBE_OPTIONS = Options(locale_code="en_US", use_24hour_time_format=True)


def describe(expression: str) -> str:
    """Return the schedule in words ("Every hour", "At 09:00, Monday through Friday"), for the
    wizard to show beside the cron field. Raises :class:`CronError` like :func:`validate`."""
    schedule = _parse(expression)
    try:
        return ExpressionDescriptor(" ".join(schedule.fields), _DESCRIBE_OPTIONS).get_description()
    except Exception:
        # The words are an aid; croniter already accepted the schedule, so a gap in
        # cron-descriptor must not stop the admin from saving it.
        return f"Cron schedule {schedule.text}"


# Time zones ------------------------------------------------------------------------------------


def validate_timezone(name: str) -> str:
    """Return the IANA time-zone name (e.g. ``Europe/London``) or raise :class:`TimezoneError`
    naming it, so an installation can never be saved with a zone the scheduler cannot use."""
    return _zone(name).key


def _zone(name: str) -> ZoneInfo:
    if not isinstance(name, str) or not name.strip():
        raise TimezoneError(str(name), "no time zone given; use a name such as Europe/London")
    key = name.strip()
    if key == "localtime":
        # It resolves to the server's clock setting: schedules would move with the host.
        raise TimezoneError(key, "'localtime' follows the server; name the zone, e.g. UTC")
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise TimezoneError(
            key, f"unknown time zone '{key}'; use an IANA name such as America/New_York or UTC"
        ) from exc


# Fire times ------------------------------------------------------------------------------------


def next_runs(
    expression: str,
    tz: str = "UTC",
    *,
    after: datetime | None = None,
    count: int = 5,
    offset_seconds: int = 0,
) -> list[datetime]:
    """Return the next ``count`` fire times strictly after ``after`` (default: now), on the
    wall clock of ``tz``, following the daylight-saving rule in the module docstring.

    The wizard previews these; the scheduler fires the same times through
    :func:`next_fire_time`. ``offset_seconds`` shifts every cron slot, as spreading does, so a
    preview can show when a spread job really runs.
    """
    schedule = _parse(expression)
    zone = _zone(tz)
    if after is None:
        after = datetime.now(UTC)
    elif after.tzinfo is None or after.utcoffset() is None:
        # A naive time could be read in the server's zone or the installation's; refuse to guess.
        raise ValueError(f"after must be timezone-aware, got naive {after.isoformat()}")
    if not 0 <= count <= MAX_RUNS:
        raise ValueError(f"count must be between 0 and {MAX_RUNS}, got {count}")
    if offset_seconds < 0:
        raise ValueError(f"offset_seconds must be 0 or more, got {offset_seconds}")
    offset = timedelta(seconds=offset_seconds)
    runs: list[datetime] = []
    if count == 0:
        return runs
    # The slot that fires after `after` is the first one later than `after - offset`; this is
    # what makes a question asked inside an offset (10:05 for a 10:00 slot firing at 10:07)
    # still get that slot.
    for slot in _slots(schedule, zone, after.astimezone(UTC) - offset):
        # Offsets are real seconds: add them in UTC, where DST cannot bend them.
        runs.append((slot + offset).astimezone(zone))
        if len(runs) == count:
            break
    return runs


def next_fire_time(expression: str, tz: str, after: datetime, offset_seconds: int = 0) -> datetime:
    """Return the first fire time strictly after ``after``, in UTC, for the scheduler.

    Passing the previous fire time as ``after`` gives the one after it, so a scheduler that
    records what it fired never fires a slot twice. ``offset_seconds`` (from
    :func:`spread_offset`) is added to each cron slot.
    """
    (run,) = next_runs(expression, tz, after=after, count=1, offset_seconds=offset_seconds)
    return run.astimezone(UTC)


def _slots(schedule: _Schedule, zone: ZoneInfo, start: datetime):
    """Yield cron slots (UTC) later than ``start``, croniter's local-time answers filtered by the
    daylight-saving rule."""
    # croniter computes on the wall clock of the start time's zone; it already jumps over
    # skipped times and visits both sides of a repeated hour, which we then narrow per the rule.
    text = " ".join(schedule.fields)
    times = croniter(text, start.astimezone(zone))
    while True:
        try:
            candidate = times.get_next(datetime)
        except CroniterBadDateError as exc:
            raise CronError(schedule.text, "this schedule has no run in the next 50 years") from exc
        slot = candidate.astimezone(UTC)
        local = slot.astimezone(zone)  # sets `fold` from the instant, not from croniter's guess
        if schedule.real_time:
            if _moved_out_of_gap(text, slot, local, zone):
                continue
        elif _is_repeated_wall_time(local):
            continue
        yield slot


def _moved_out_of_gap(text: str, slot: datetime, local: datetime, zone: ZoneInfo) -> bool:
    # croniter moves a fixed-hour time that spring-forward skipped to the first minute after the
    # jump. A wildcard job does not run skipped times, so that moved time is not one of its slots
    # unless the expression names it anyway (03:00 for */15).
    before = (slot - _ONE_MINUTE).astimezone(zone)
    if before.utcoffset() == local.utcoffset():
        return False
    return not croniter.match(text, local.replace(tzinfo=None))


def _is_repeated_wall_time(local: datetime) -> bool:
    # fold=1 on a time whose fold=0 twin has another offset: the second pass through the hour.
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


# Spreading -------------------------------------------------------------------------------------


def spread_offset(key: str, window_seconds: int) -> int:
    """Return a stable offset in ``[0, window_seconds)`` for ``key`` (an installation, or an
    installation and job), to add to a default schedule's slots via ``offset_seconds``.

    sha256 rather than :func:`hash`, which is salted per process: the offset must be the same
    after a restart and in every scheduler process, or a job would move or fire twice. A window
    of 0 turns spreading off.
    """
    if window_seconds < 0:
        raise ValueError(f"window_seconds must be 0 or more, got {window_seconds}")
    if window_seconds == 0:
        return 0
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    # 64 bits make the modulo bias negligible for any window measured in seconds.
    return int.from_bytes(digest[:8], "big") % window_seconds
