//! The register's words: channels, deadline kinds, statuses, the legal
//! reasons not to accept, and the actions with the lifecycle they follow.

use std::fmt;

use chrono::NaiveDate;
use serde::Serialize;

/// Where a case came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseChannel {
    /// 意見箱 slips typed in by staff.
    CommentBox,
    /// 首長信箱, the director's mailbox web form.
    Mailbox,
    /// 人民陳情: written, oral (with a record), e-mail, fax, phone.
    PetitionWritten,
    PetitionOral,
    PetitionEmail,
    PetitionFax,
    PetitionPhone,
    /// Transferred from another agency, or from the 1999 line.
    Transferred,
    Hotline1999,
    /// A dissatisfaction slip from the counter.
    CounterSlip,
    /// Facebook, LINE or e-mail messages logged by staff.
    SocialMedia,
}

impl CaseChannel {
    pub const ALL: [CaseChannel; 11] = [
        CaseChannel::CommentBox,
        CaseChannel::Mailbox,
        CaseChannel::PetitionWritten,
        CaseChannel::PetitionOral,
        CaseChannel::PetitionEmail,
        CaseChannel::PetitionFax,
        CaseChannel::PetitionPhone,
        CaseChannel::Transferred,
        CaseChannel::Hotline1999,
        CaseChannel::CounterSlip,
        CaseChannel::SocialMedia,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseChannel::CommentBox => "comment_box",
            CaseChannel::Mailbox => "mailbox",
            CaseChannel::PetitionWritten => "petition_written",
            CaseChannel::PetitionOral => "petition_oral",
            CaseChannel::PetitionEmail => "petition_email",
            CaseChannel::PetitionFax => "petition_fax",
            CaseChannel::PetitionPhone => "petition_phone",
            CaseChannel::Transferred => "transferred",
            CaseChannel::Hotline1999 => "hotline_1999",
            CaseChannel::CounterSlip => "counter_slip",
            CaseChannel::SocialMedia => "social_media",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// What a person reads.
    pub fn label_zh(self) -> &'static str {
        match self {
            CaseChannel::CommentBox => "意見箱",
            CaseChannel::Mailbox => "首長信箱",
            CaseChannel::PetitionWritten => "書面陳情",
            CaseChannel::PetitionOral => "言詞陳情",
            CaseChannel::PetitionEmail => "電子郵件陳情",
            CaseChannel::PetitionFax => "傳真陳情",
            CaseChannel::PetitionPhone => "電話陳情",
            CaseChannel::Transferred => "他機關移來",
            CaseChannel::Hotline1999 => "1999 市民專線",
            CaseChannel::CounterSlip => "櫃檯不滿意單",
            CaseChannel::SocialMedia => "社群媒體",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            CaseChannel::CommentBox => "Comment box",
            CaseChannel::Mailbox => "Director's mailbox",
            CaseChannel::PetitionWritten => "Written petition",
            CaseChannel::PetitionOral => "Oral petition",
            CaseChannel::PetitionEmail => "Petition by e-mail",
            CaseChannel::PetitionFax => "Petition by fax",
            CaseChannel::PetitionPhone => "Petition by phone",
            CaseChannel::Transferred => "Transferred from another agency",
            CaseChannel::Hotline1999 => "1999 citizen hotline",
            CaseChannel::CounterSlip => "Counter dissatisfaction slip",
            CaseChannel::SocialMedia => "Social media",
        }
    }

    /// The deadline rule a case of this channel starts with.
    pub fn default_deadline(self) -> DeadlineKind {
        match self {
            CaseChannel::Mailbox => DeadlineKind::Mailbox,
            _ => DeadlineKind::Simple,
        }
    }
}

/// Which working-day rule sets the deadline (defaults 3, 3, 5, 30; per office editable).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Mailbox,
    Simple,
    OtherUnit,
    Complex,
}

impl DeadlineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Mailbox => "mailbox",
            DeadlineKind::Simple => "simple",
            DeadlineKind::OtherUnit => "other_unit",
            DeadlineKind::Complex => "complex",
        }
    }

    pub const ALL: [DeadlineKind; 4] =
        [Self::Simple, Self::OtherUnit, Self::Complex, Self::Mailbox];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineKind::Mailbox => "首長信箱案件",
            DeadlineKind::Simple => "簡易案件",
            DeadlineKind::OtherUnit => "須會辦他單位",
            DeadlineKind::Complex => "複雜案件",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            DeadlineKind::Mailbox => "Mailbox case",
            DeadlineKind::Simple => "Simple case",
            DeadlineKind::OtherUnit => "With another unit",
            DeadlineKind::Complex => "Complex case",
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, diesel::AsExpression, diesel::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Received,
    Accepted,
    NotAccepted,
    Assigned,
    PreliminaryReply,
    Replied,
    Closed,
    Transferred,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 8] = [
        CaseStatus::Received,
        CaseStatus::Accepted,
        CaseStatus::NotAccepted,
        CaseStatus::Assigned,
        CaseStatus::PreliminaryReply,
        CaseStatus::Replied,
        CaseStatus::Closed,
        CaseStatus::Transferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Received => "received",
            CaseStatus::Accepted => "accepted",
            CaseStatus::NotAccepted => "not_accepted",
            CaseStatus::Assigned => "assigned",
            CaseStatus::PreliminaryReply => "preliminary_reply",
            CaseStatus::Replied => "replied",
            CaseStatus::Closed => "closed",
            CaseStatus::Transferred => "transferred",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            CaseStatus::Received => "已收件",
            CaseStatus::Accepted => "已受理",
            CaseStatus::NotAccepted => "不受理",
            CaseStatus::Assigned => "已分派",
            CaseStatus::PreliminaryReply => "已先行回復",
            CaseStatus::Replied => "已回復",
            CaseStatus::Closed => "已結案",
            CaseStatus::Transferred => "已移送他機關",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            CaseStatus::Received => "Received",
            CaseStatus::Accepted => "Accepted",
            CaseStatus::NotAccepted => "Not accepted",
            CaseStatus::Assigned => "Assigned",
            CaseStatus::PreliminaryReply => "Preliminary reply sent",
            CaseStatus::Replied => "Replied",
            CaseStatus::Closed => "Closed",
            CaseStatus::Transferred => "Transferred to another agency",
        }
    }

    /// Still waiting for the office's answer (counts against the deadline).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            CaseStatus::Received
                | CaseStatus::Accepted
                | CaseStatus::Assigned
                | CaseStatus::PreliminaryReply
        )
    }
}

crate::db::text_enum!(CaseStatus);

impl fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What became of a case, for the periodic review (variants in the order of
/// their words, which is the review table's order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Answered,
    NotAccepted,
    Open,
    Transferred,
}

impl Outcome {
    pub const ALL: [Outcome; 4] = [
        Outcome::Answered,
        Outcome::NotAccepted,
        Outcome::Open,
        Outcome::Transferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::NotAccepted => "not_accepted",
            Outcome::Open => "open",
            Outcome::Transferred => "transferred",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Outcome::Answered => "已回復",
            Outcome::NotAccepted => "不受理",
            Outcome::Open => "處理中",
            Outcome::Transferred => "移送他機關",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Outcome::Answered => "answered",
            Outcome::NotAccepted => "not accepted",
            Outcome::Open => "in progress",
            Outcome::Transferred => "transferred",
        }
    }
}

/// Whether the first reply kept the deadline (variants in the order of their words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeliness {
    Late,
    NotApplicable,
    OnTime,
    /// Open and not yet due.
    Pending,
}

impl Timeliness {
    pub const ALL: [Timeliness; 4] = [
        Timeliness::Late,
        Timeliness::NotApplicable,
        Timeliness::OnTime,
        Timeliness::Pending,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Timeliness::Late => "late",
            Timeliness::NotApplicable => "not_applicable",
            Timeliness::OnTime => "on_time",
            Timeliness::Pending => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Timeliness::Late => "逾期",
            Timeliness::NotApplicable => "不適用",
            Timeliness::OnTime => "如期",
            Timeliness::Pending => "未到期",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Timeliness::Late => "late",
            Timeliness::NotApplicable => "not applicable",
            Timeliness::OnTime => "on time",
            Timeliness::Pending => "not yet due",
        }
    }
}

/// The legal reasons to register a case without accepting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NotAcceptedReason {
    /// 無具體內容或未具真實姓名、聯絡方式。
    NoContentOrIdentity,
    /// 同一事由經予適當處理並已明確答覆後又重複陳情。
    AlreadyAnswered,
    /// 同時分向各機關陳情。
    SentToSeveralAgencies,
}

impl NotAcceptedReason {
    pub const ALL: [NotAcceptedReason; 3] = [
        NotAcceptedReason::NoContentOrIdentity,
        NotAcceptedReason::AlreadyAnswered,
        NotAcceptedReason::SentToSeveralAgencies,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The reason as 陳情案件處理辦法 words it.
    pub fn label_zh(self) -> &'static str {
        match self {
            NotAcceptedReason::NoContentOrIdentity => "無具體內容或未具真實姓名、聯絡方式",
            NotAcceptedReason::AlreadyAnswered => "同一事由經適當處理並已明確答覆後重複陳情",
            NotAcceptedReason::SentToSeveralAgencies => "同時分向各機關陳情",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            NotAcceptedReason::NoContentOrIdentity => {
                "No specific content, or no real name or contact"
            }
            NotAcceptedReason::AlreadyAnswered => "The same matter again after a clear answer",
            NotAcceptedReason::SentToSeveralAgencies => "Sent to several agencies at once",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            NotAcceptedReason::NoContentOrIdentity => "no_content_or_identity",
            NotAcceptedReason::AlreadyAnswered => "already_answered",
            NotAcceptedReason::SentToSeveralAgencies => "sent_to_several_agencies",
        }
    }
}

/// A history event by its kind (an action's name, `received`,
/// `citizen_rating`), in words: (zh-TW, English).
pub fn event_label(kind: &str) -> (&'static str, &'static str) {
    match kind {
        "received" => ("收件", "received the case"),
        "accept" => ("受理", "accepted"),
        "not_accept" => ("不受理", "did not accept"),
        "assign" => ("分派承辦人", "assigned a handler"),
        "preliminary_reply" => ("先行回復", "sent a preliminary reply"),
        "reply" => ("回復", "replied"),
        "close" => ("結案", "closed the case"),
        "transfer" => ("移送他機關", "transferred it"),
        "extend" => ("展延期限", "extended the deadline"),
        "reopen" => ("重新處理", "reopened the case"),
        "citizen_rating" => ("陳情人評分", "rated by the petitioner"),
        _ => ("其他處理", "other step"),
    }
}

/// An action as staff choose it (its button): zh-TW and English.
pub fn action_label(name: &str) -> (&'static str, &'static str) {
    match name {
        "accept" => ("受理", "Accept"),
        "not_accept" => ("不受理", "Do not accept"),
        "assign" => ("分派承辦人", "Assign a handler"),
        "preliminary_reply" => ("先行回復", "Send a preliminary reply"),
        "reply" => ("回復陳情人", "Reply"),
        "close" => ("結案", "Close the case"),
        "transfer" => ("移送他機關", "Transfer to another agency"),
        "extend" => ("展延期限", "Extend the deadline"),
        "reopen" => ("重新處理", "Reopen"),
        _ => ("其他處理", "Other step"),
    }
}

/// What staff do to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Accept {
        deadline: DeadlineKind,
    },
    NotAccept {
        reason: NotAcceptedReason,
    },
    Assign {
        user_id: i32,
    },
    PreliminaryReply,
    Reply {
        reply: String,
    },
    Close,
    Transfer {
        agency: String,
        notice_to_petitioner: String,
    },
    Extend {
        reason: String,
        new_due: NaiveDate,
        notice_to_petitioner: String,
    },
    Reopen {
        reason: String,
    },
}

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Action::Accept { .. } => "accept",
            Action::NotAccept { .. } => "not_accept",
            Action::Assign { .. } => "assign",
            Action::PreliminaryReply => "preliminary_reply",
            Action::Reply { .. } => "reply",
            Action::Close => "close",
            Action::Transfer { .. } => "transfer",
            Action::Extend { .. } => "extend",
            Action::Reopen { .. } => "reopen",
        }
    }

    /// The status this action leads to from `from`, or `None` when it is not allowed.
    pub fn next(&self, from: CaseStatus) -> Option<CaseStatus> {
        use CaseStatus::*;
        match (self, from) {
            (Action::Accept { .. }, Received) => Some(Accepted),
            (Action::NotAccept { .. }, Received) => Some(NotAccepted),
            (Action::Assign { .. }, Accepted | Assigned) => Some(Assigned),
            (Action::PreliminaryReply, Assigned) => Some(PreliminaryReply),
            (Action::Reply { .. }, Assigned | PreliminaryReply) => Some(Replied),
            (Action::Close, Replied | NotAccepted) => Some(Closed),
            (Action::Transfer { .. }, Received | Accepted | Assigned) => Some(Transferred),
            (Action::Extend { .. }, Accepted | Assigned | PreliminaryReply) => Some(from),
            (Action::Reopen { .. }, Replied | Closed | NotAccepted) => Some(Accepted),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_table() {
        use CaseStatus::*;
        let reply = Action::Reply { reply: "x".into() };
        assert_eq!(reply.next(Assigned), Some(Replied));
        assert_eq!(reply.next(Received), None, "no reply before acceptance");
        assert_eq!(
            Action::Close.next(Assigned),
            None,
            "no closing an unanswered case"
        );
        assert_eq!(Action::Close.next(NotAccepted), Some(Closed));
        let reopen = Action::Reopen { reason: "x".into() };
        assert_eq!(reopen.next(Closed), Some(Accepted));
        assert_eq!(
            reopen.next(Transferred),
            None,
            "a transferred case belongs to another agency"
        );
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
        for c in CaseChannel::ALL {
            assert_eq!(CaseChannel::parse(c.as_str()), Some(c));
        }
    }
}
