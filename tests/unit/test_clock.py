from datetime import date, datetime, timedelta, timezone

from shared.clock import BEIJING, ManualClock, ScaledClock, SystemClock
from shared.config import Settings


def clock_from_config(config):
    return Settings.from_mapping(config).clock.clock()


def test_manual_clock_advances_and_can_be_set():
    clock = ManualClock(datetime(2024, 1, 1, 8, 0, tzinfo=timezone.utc))
    clock.advance(days=1, hours=2)
    assert clock.now() == datetime(2024, 1, 2, 10, 0, tzinfo=timezone.utc)
    clock.set(datetime(2025, 6, 30, 0, 0, tzinfo=timezone.utc))
    assert clock.now() == datetime(2025, 6, 30, 0, 0, tzinfo=timezone.utc)


def test_naive_moments_are_taken_as_beijing_time():
    clock = ManualClock(datetime(2024, 1, 1, 8, 0))
    assert clock.now().utcoffset() == timedelta(hours=8)
    clock.set(datetime(2024, 3, 1, 0, 0))
    assert clock.now() == datetime(2024, 2, 29, 16, 0, tzinfo=timezone.utc)


def test_scaled_clock_runs_speed_times_faster_than_the_wall():
    wall = [1_000.0]
    start = datetime(2024, 1, 1, tzinfo=BEIJING)
    clock = ScaledClock(start, epoch=1_000.0, speed=3600, wall=lambda: wall[0])
    assert clock.now() == start
    wall[0] += 2.5     # two and a half wall seconds ...
    assert clock.now() == start + timedelta(hours=2, minutes=30)   # ... are 2.5 virtual hours


def test_scaled_clock_before_its_epoch_is_before_its_start():
    start = datetime(2024, 1, 1, tzinfo=BEIJING)
    clock = ScaledClock(start, epoch=100.0, speed=2, wall=lambda: 90.0)
    assert clock.now() == start - timedelta(seconds=20)


def test_config_without_a_start_gives_the_system_clock():
    assert isinstance(clock_from_config({}), SystemClock)
    assert isinstance(clock_from_config({"CLOCK": {"start": ""}}), SystemClock)
    assert isinstance(clock_from_config(None), SystemClock)


def test_two_processes_with_the_same_config_agree():
    """Separate processes build their clocks independently; the shared epoch makes them agree."""
    config = {"CLOCK": {"start": "2024-01-01T00:00:00+08:00", "epoch": "1700000000", "speed": "720"}}
    first, second = clock_from_config(config), clock_from_config(config)
    assert isinstance(first, ScaledClock) and isinstance(second, ScaledClock)
    assert (first.start, first.epoch, first.speed) == (second.start, second.epoch, second.speed)
    assert first.speed == 720.0 and first.epoch == 1_700_000_000.0
    assert abs(first.now() - second.now()) < timedelta(hours=1)   # 720x: ~5 s of wall drift at most


def test_config_start_without_offset_is_beijing_time():
    clock = clock_from_config({"CLOCK": {"start": "2024-01-01T00:00:00", "epoch": 0, "speed": 1}})
    assert clock.start == datetime(2023, 12, 31, 16, 0, tzinfo=timezone.utc)


def test_today_is_the_beijing_calendar_date():
    clock = ManualClock(datetime(2024, 10, 20, 16, 30, tzinfo=timezone.utc))
    assert clock.today() == date(2024, 10, 21)
    assert clock.now().date() == date(2024, 10, 20)   # the UTC date differs: today() must convert


def test_today_just_before_beijing_midnight():
    clock = ManualClock(datetime(2024, 10, 20, 15, 59, 59, tzinfo=timezone.utc))
    assert clock.today() == date(2024, 10, 20)
