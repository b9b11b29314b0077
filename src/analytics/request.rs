//! What an analysis is asked (from the command line or the JSON API), and
//! its checking: years, grouping, form, channels, and the office-or-county
//! rule within the caller's visible offices.

use super::{AnalyticsError, Dim, Filter, RocYear};
use crate::forms::Channel;

/// What `manyi analyze` (and the JSON API) was asked, before checking.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzeRequest {
    pub from: Option<String>,
    pub to: Option<String>,
    pub office: Option<String>,
    pub county: Option<String>,
    #[serde(default = "default_by")]
    pub by: String,
    #[serde(default = "default_form")]
    pub form: String,
    pub channel: Option<String>,
    #[serde(default)]
    pub json: bool,
}

fn default_by() -> String {
    "year,item".into()
}

fn default_form() -> String {
    "counter".into()
}

/// A checked request: the filter (offices resolved to ids) and the grouping.
#[derive(Debug, Clone)]
pub struct CheckedRequest {
    pub filter: Filter,
    pub by: Vec<Dim>,
}

fn invalid(field: &'static str, msg: impl std::fmt::Display) -> AnalyticsError {
    AnalyticsError::invalid(field, msg.to_string())
}

impl AnalyzeRequest {
    /// Checks every field, naming the one that is wrong. Offices are looked up
    /// among `visible` (the caller's scope): another office is "not found".
    pub fn check(
        &self,
        visible: &[crate::offices::Office],
    ) -> Result<CheckedRequest, AnalyticsError> {
        let year = |field: &'static str, v: &Option<String>| {
            v.as_deref()
                .map(|s| RocYear::parse(s).map_err(|e| invalid(field, e)))
                .transpose()
        };
        let from = year("from", &self.from)?;
        let to = year("to", &self.to)?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(invalid("from", format!("{f} is after to = {t}")));
        }
        let by = Dim::parse_list(&self.by)?;
        if self.form.trim().is_empty() {
            return Err(invalid("form", "must not be empty"));
        }
        let offices: Vec<i32> = match (&self.office, &self.county) {
            (Some(_), Some(_)) => {
                return Err(invalid("county", "give an office or a county, not both"));
            }
            (Some(code), None) => {
                let o = visible
                    .iter()
                    .find(|o| o.code == code.trim())
                    .ok_or_else(|| {
                        AnalyticsError::NotFound(format!("office: no office `{code}`"))
                    })?;
                vec![o.id]
            }
            (None, Some(county)) => {
                let ids: Vec<i32> = visible
                    .iter()
                    .filter(|o| o.county_zh == county.trim() || o.county_en == county.trim())
                    .map(|o| o.id)
                    .collect();
                if ids.is_empty() {
                    return Err(AnalyticsError::NotFound(format!(
                        "county: no offices in `{county}`"
                    )));
                }
                ids
            }
            (None, None) => visible.iter().map(|o| o.id).collect(),
        };
        let channels = match &self.channel {
            None => Vec::new(),
            Some(list) => list
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| {
                    Channel::parse(s.trim()).ok_or_else(|| {
                        invalid("channel", format!("`{s}` is not counter, web or internal"))
                    })
                })
                .collect::<Result<_, _>>()?,
        };
        Ok(CheckedRequest {
            filter: Filter {
                form: self.form.trim().to_owned(),
                from,
                to,
                offices,
                channels,
            },
            by,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(by: &str) -> AnalyzeRequest {
        AnalyzeRequest {
            by: by.into(),
            form: "counter".into(),
            ..AnalyzeRequest::default()
        }
    }

    #[test]
    fn analyze_request_names_the_bad_field() {
        let visible = vec![];
        let bad = |r: AnalyzeRequest| r.check(&visible).unwrap_err().to_string();
        assert!(
            bad(AnalyzeRequest {
                from: Some("abc".into()),
                ..req("year")
            })
            .starts_with("from:")
        );
        assert!(
            bad(AnalyzeRequest {
                from: Some("113".into()),
                to: Some("110".into()),
                ..req("year")
            })
            .starts_with("from:")
        );
        assert!(bad(req("year,colour")).starts_with("by:"));
        assert!(bad(req("item,dimension")).starts_with("by:"));
        assert!(
            bad(AnalyzeRequest {
                office: Some("ZZ".into()),
                ..req("year")
            })
            .starts_with("office:")
        );
        assert!(
            bad(AnalyzeRequest {
                county: Some("火星".into()),
                ..req("year")
            })
            .starts_with("county:")
        );
        assert!(
            bad(AnalyzeRequest {
                channel: Some("fax".into()),
                ..req("year")
            })
            .starts_with("channel:")
        );
    }
}
