//! Pure scheduling rules for the bays: opening hours and closures, local time across clock
//! changes, booking windows and the slot grid, and finding the first free slot or walk-in start.

pub mod error;
pub mod finder;
pub mod hours;
pub mod interval;
pub mod local_time;
pub mod rules;
pub mod typed_date;

pub use error::ScheduleError;
pub use finder::{BayCalendar, SlotQuery, first_free_slot, next_walk_in, open_starts};
pub use hours::{BookingRules, Closure, OpenPeriod, OpeningHours};
pub use interval::{Interval, conflicts, first_conflict};
pub(crate) use local_time::resolve_earliest;
pub use local_time::{
    FoldChoice, LocalTimeError, format_local, format_local_time, is_ambiguous, local_day_span,
    offset_label, resolve_local,
};
pub use rules::{
    check_bay_free, is_on_slot_grid, is_open_around, require_slot_grid, within_booking_window,
    within_opening_hours,
};
pub use typed_date::{TypedDateError, parse_typed_date};
