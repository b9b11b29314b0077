//! Satisfaction figures per group and item, and the changes between periods.
//!
//! polars does the one heavy step: a single group-by over the snapshot that
//! yields, per group and item, the additive tallies (n, Σx, Σx², top-2,
//! bottom-2). Everything else (counties from offices, dimensions from items,
//! intervals, tests) is exact arithmetic on those tallies.
//!
//! `tallies.rs` holds that step and the folding of its cells into the groups
//! asked for; `figures.rs` the figures of each group; `changes.rs` the
//! changes between consecutive periods.

pub use changes::{ChangeRow, changes};
pub use figures::{Figures, Group, MetricRow, group_of, metric_rows, metrics_frame};
pub use tallies::{Cells, Key, fold, tallies, tally_aggs, tally_inputs};
pub(crate) use tallies::{key_expr, key_name, read_keys, read_tallies, row_dims, u64_at};

mod changes;
mod figures;
mod tallies;
