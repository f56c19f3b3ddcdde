//! One source as the sources pages show it: the shared [`SourceView`] plus what only these
//! pages show (paused, schedule, the status word, the chart).

use crate::store::SourceRecord;
use crate::web::view::SourceView;

use super::chart::Chart;

/// What a source's state is, in one word, for its badge and its row's highlight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Stopped by the owner.
    Paused,
    /// Stopped by Braid after errors (or a 410 Gone); `braid source enable` or the button.
    Disabled,
    /// Its last poll failed; still polled.
    Failing,
    /// Read, with losses.
    Partial,
    /// Never polled yet.
    New,
    Ok,
}

pub struct SourceRow {
    pub s: SourceView,
    pub status: Status,
    pub paused: bool,
    /// The cron expression, `None` for the configured default.
    pub schedule: Option<String>,
    pub chart: Chart,
}

impl SourceRow {
    pub fn new(record: &SourceRecord, chart: Chart) -> SourceRow {
        let status = if record.paused {
            Status::Paused
        } else if !record.enabled {
            Status::Disabled
        } else if record.error_count > 0 {
            Status::Failing
        } else if record.last_warning.is_some() {
            Status::Partial
        } else if record.last_success.is_none() {
            Status::New
        } else {
            Status::Ok
        };
        SourceRow {
            s: SourceView::new(record),
            status,
            paused: record.paused,
            schedule: record.schedule.clone(),
            chart,
        }
    }

    /// The badge's word.
    pub fn label(&self) -> &'static str {
        match self.status {
            Status::Paused => "paused",
            Status::Disabled => "disabled",
            Status::Failing => "failing",
            Status::Partial => "partial",
            Status::New => "new",
            Status::Ok => "ok",
        }
    }

    /// The badge's class: how much it needs the owner.
    pub fn tone(&self) -> &'static str {
        match self.status {
            Status::Disabled | Status::Failing => "bad",
            Status::Partial | Status::Paused => "warn",
            Status::New | Status::Ok => "ok",
        }
    }

    /// Rows that need the owner stand out (a bar at their start, see braid.css).
    pub fn row_class(&self) -> &'static str {
        match self.status {
            Status::Disabled | Status::Failing => "unhealthy",
            Status::Paused => "paused",
            _ => "",
        }
    }

    pub fn is_disabled(&self) -> bool {
        self.status == Status::Disabled
    }

    /// The last error is worth showing: the source fails now, or failed after its last success.
    pub fn shows_error(&self) -> bool {
        self.s.last_error.is_some() && (self.s.error_count > 0 || self.status == Status::Disabled)
    }
}
