"""Local wall-clock times at a property, and the instants they name.

A leasing office lives by its wall clock ("tours at 10 on Sunday"); a tour is an instant. Twice a
year the two disagree: on the spring-forward night the local times 2:00-2:59 AM never happen, and
on the fall-back night 1:00-1:59 AM happen twice (US rules). `datetime.replace(tzinfo=tz)` and
`datetime.combine(day, t, tzinfo=tz)` hide this: zoneinfo silently picks `fold=0`, so a missing
time becomes an instant that no clock at the property shows, and a doubled time quietly becomes
the first of its two instants. Python's arithmetic and comparisons between two datetimes in the
same zone are wall-clock arithmetic as well (10:00 + 30 min is 10:30 even across a transition,
and `==` across zones is always False for a time in the doubled hour).

So every place that turns a local time into an instant goes through this module, which says
whether the time does not exist, exists once or exists twice; and every instant it hands back is
in UTC, where arithmetic and comparisons measure real elapsed time. Convert to the property's zone
only to show or say a time.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class LocalTime:
    """A wall-clock time at a place, and the instants (UTC, in order) at which clocks show it.

    No instant: the time falls in a spring-forward gap (`gap` says from when to when the clocks
    jump). Two instants: the fall-back hour, first in daylight time, then in standard time.
    """

    wall: datetime  # naive
    tz: zoneinfo.ZoneInfo
    instants: tuple[datetime, ...]
    gap: tuple[datetime, datetime] | None = None  # naive walls: clocks jump from [0] to [1]

    @property
    def missing(self) -> bool:
        return not self.instants

    @property
    def ambiguous(self) -> bool:
        return len(self.instants) > 1

    @property
    def instant(self) -> datetime:
        """The one instant this time names; ValueError when it names none or two."""
        if len(self.instants) != 1:
            state = "does not exist" if self.missing else "happens twice"
            raise ValueError(f"{self.wall:%Y-%m-%d %H:%M} {state} in {self.tz.key}")
        return self.instants[0]


def local_time_resolve(*, wall: datetime, tz: zoneinfo.ZoneInfo) -> LocalTime:
    """The instants at which clocks in `tz` show the naive `wall` time: none, one or two."""
    if timezone.is_aware(wall):
        raise ValueError("local_time_resolve needs a naive wall-clock time")
    instants: list[datetime] = []
    # A fold=0/fold=1 reading that doesn't come back to the same wall time is in a gap.
    for fold in (0, 1):
        instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if _wall(instant, tz) == wall and instant not in instants:
            instants.append(instant)
    if instants:
        return LocalTime(wall=wall, tz=tz, instants=tuple(sorted(instants)))
    jump = _gap_end(wall=wall, tz=tz)
    before = _wall(jump - timedelta(seconds=1), tz) + timedelta(seconds=1)
    return LocalTime(wall=wall, tz=tz, instants=(), gap=(before, _wall(jump, tz)))


def local_time_first_reached(*, wall: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """The first instant (UTC) at which clocks in `tz` show `wall` or later.

    For edges of a local period (office opening and closing, the start of a local day): an
    office "opening at 2:30" on the spring-forward night opens when the clocks jump to 3:00, and
    one "opening at 1:00" on the fall-back night opens at the first 1:00.
    """
    resolved = local_time_resolve(wall=wall, tz=tz)
    return resolved.instants[0] if resolved.instants else _gap_end(wall=wall, tz=tz)


def local_day_start(*, day: date, tz: zoneinfo.ZoneInfo) -> datetime:
    """When `day` begins in `tz`, in UTC (some zones skip midnight on their change day)."""
    return local_time_first_reached(wall=datetime.combine(day, time.min), tz=tz)


def local_today(*, tz: zoneinfo.ZoneInfo, now: datetime | None = None) -> date:
    """Today's date on the property's calendar (not the server's)."""
    return (now or timezone.now()).astimezone(tz).date()


def _wall(instant: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)


def _gap_end(*, wall: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """The transition instant (UTC) that skips over the missing `wall` time.

    The two readings of a missing time (old offset, new offset) lie on either side of the
    transition; zoneinfo doesn't expose transitions, so bisect to the second between them.
    """
    readings = sorted(wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1))
    low, high = int(readings[0].timestamp()), int(readings[1].timestamp()) + 1
    while low < high:  # first second whose wall time is at or after `wall`
        middle = (low + high) // 2
        if _wall(datetime.fromtimestamp(middle, UTC), tz) >= wall:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(low, UTC)
