//! Reports: the end-of-day takings of one day ([`takings`]), and reports over any range of
//! days read from the daily totals ([`range`]), with their tables for the screen, the
//! command line and CSV ([`table`]).

mod range;
mod table;
mod takings;

pub use range::{BayUse, MemberFigures, PeriodSummary, RangeReport, ServiceUse};
pub use table::{ReportTable, percent_text, report_table};
pub(in crate::service) use takings::{CLOCK_SLACK, first_id_at, refunds_between};
pub use takings::{MethodTally, SalesTally, StaffTakings, TakingsReport, Tally, TaxTally};
