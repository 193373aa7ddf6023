//! Owns lowering the application side: `client:` (backoffs, timeouts in
//! whole milliseconds, reconnect error prefixes) and `warming:` (task names,
//! keys, cron schedules).

use super::Cx;
use crate::diag::codes;
use crate::load::escape_pointer_token as esc;
use crate::policy::model::*;
use crate::policy::raw;
use indexmap::IndexMap;

impl Cx<'_> {
    pub(super) fn client(&mut self, client: &raw::Client) {
        for (field, backoff) in [
            ("retry_backoff", &client.retry_backoff),
            ("cluster_retry_backoff", &client.cluster_retry_backoff),
        ] {
            if let Some(b) = backoff
                && b.step > b.max
            {
                self.report(
                    codes::INCONSISTENT,
                    format!("`{field}`: step {} is longer than max {}", b.step, b.max),
                    self.span(&format!("/client/{field}/step")),
                    "step > max",
                    None,
                );
            }
        }
        // Clients take these in milliseconds (ioredis), and the lock file
        // records them so; a finer value would be silently rounded.
        let backoff = |b: &Option<raw::Backoff>| b.as_ref().map(|b| (b.step, b.max));
        let durations = [
            ("connect_timeout", client.connect_timeout),
            ("command_timeout", client.command_timeout),
            ("keepalive", client.keepalive),
            (
                "retry_backoff/step",
                backoff(&client.retry_backoff).map(|b| b.0),
            ),
            (
                "retry_backoff/max",
                backoff(&client.retry_backoff).map(|b| b.1),
            ),
            (
                "cluster_retry_backoff/step",
                backoff(&client.cluster_retry_backoff).map(|b| b.0),
            ),
            (
                "cluster_retry_backoff/max",
                backoff(&client.cluster_retry_backoff).map(|b| b.1),
            ),
        ];
        for (field, value) in durations {
            if let Some(d) = value
                && !d.as_micros().is_multiple_of(1000)
            {
                self.report(
                    codes::OUT_OF_RANGE,
                    format!(
                        "`{}` `{d}` is not a whole number of milliseconds",
                        field.replace('/', ".")
                    ),
                    self.span(&format!("/client/{field}")),
                    "sub-millisecond",
                    Some("clients take this in milliseconds".into()),
                );
            }
        }
        for (i, e) in client.reconnect_on_errors.iter().enumerate() {
            if e.is_empty() || !e.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
                self.report(
                    codes::INVALID_SYNTAX,
                    format!("`{}` is not a Redis error prefix", e.escape_debug()),
                    self.span(&format!("/client/reconnect_on_errors/{i}")),
                    "expected e.g. READONLY",
                    None,
                );
            }
        }
    }

    pub(super) fn warming(
        &mut self,
        raw: IndexMap<String, raw::WarmTask>,
        keys: &Keys,
    ) -> IndexMap<String, WarmTask> {
        let mut tasks = IndexMap::new();
        for (name, t) in raw {
            let pointer = format!("/warming/tasks/{}", esc(&name));
            if !self.check_identifier(&name, &pointer, "warming task") {
                continue;
            }
            let mut resolved = Vec::new();
            for (i, k) in t.keys.iter().enumerate() {
                if self.check_pattern_ref(k, &format!("{pointer}/keys/{i}"), keys) {
                    resolved.push(k.clone());
                }
            }
            if let Some(schedule) = &t.schedule
                && let Err(why) = check_cron(schedule)
            {
                self.report(codes::INVALID_SYNTAX, format!("schedule `{}`: {why}", schedule.escape_debug()), self.span(&format!("{pointer}/schedule")), "invalid cron", Some("five fields: minute hour day-of-month month day-of-week, e.g. `*/5 * * * *`".into()));
            }
            if !t.on_startup && t.schedule.is_none() {
                self.report(
                    codes::INCONSISTENT,
                    format!("warming task `{name}` never runs"),
                    self.key_span(&pointer),
                    "no trigger",
                    Some("set `on_startup: true` or a `schedule`".into()),
                );
            }
            tasks.insert(
                name.clone(),
                WarmTask {
                    name,
                    pointer,
                    keys: resolved,
                    on_startup: t.on_startup,
                    schedule: t.schedule,
                    limit: t.limit,
                    description: t.description,
                },
            );
        }
        tasks
    }
}

fn check_cron(s: &str) -> Result<(), String> {
    if s.chars().any(|c| c.is_control()) {
        return Err("contains a line break or control character".into());
    }
    let fields: Vec<&str> = s.split(' ').filter(|f| !f.is_empty()).collect();
    if fields.len() != 5 {
        return Err(format!("has {} fields, expected 5", fields.len()));
    }
    let limits = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)];
    for (field, (lo, hi)) in fields.iter().zip(limits) {
        for part in field.split(',') {
            let (range, step) = part.split_once('/').unwrap_or((part, "1"));
            if step.parse::<u32>().map_or(true, |s| s == 0) {
                return Err(format!("`{part}` has an invalid step"));
            }
            if range == "*" {
                continue;
            }
            let (a, b) = range.split_once('-').unwrap_or((range, range));
            for n in [a, b] {
                match n.parse::<u32>() {
                    Ok(v) if (lo..=hi).contains(&v) => {}
                    _ => return Err(format!("`{part}` is outside {lo}-{hi}")),
                }
            }
        }
    }
    Ok(())
}
