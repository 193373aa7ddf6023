//! Owns lowering a store's fixed users: the operator (`access.admin`), the
//! replication user and, where the store has Sentinels, the Sentinel user
//! (`access.sentinel`): their names and password references, that none is
//! `default` or the verifier's and no two share a name, and the names a
//! service may therefore not take.

use super::Cx;
use crate::diag::codes;
use crate::policy::model::*;
use crate::policy::raw;

impl Cx<'_> {
    /// Fills the fixed users of `access` (defaults where undeclared) and
    /// returns the user names a service may not take, each with what holds
    /// it.
    pub(super) fn fixed_users(
        &mut self,
        store: &Store,
        access: &mut Access,
        admin_raw: Option<raw::UserCredential>,
        replication: Option<raw::UserCredential>,
        sentinel: Option<raw::UserCredential>,
    ) -> Vec<(String, &'static str)> {
        let pointer = format!("{}/access", store.pointer);
        if let Some(admin) = admin_raw {
            access.admin =
                self.credential(admin, &format!("{pointer}/admin"), access.admin.clone());
        }
        if let Some(r) = replication {
            let at = format!("{pointer}/replication");
            access.replication = self.credential(r, &at, access.replication.clone());
        }
        access.sentinel = store.has_sentinels().then(|| access.default_sentinel());
        if let Some(r) = sentinel {
            let at = format!("{pointer}/sentinel");
            if let Some(default) = access.sentinel.take() {
                access.sentinel = Some(self.credential(r, &at, default));
            } else {
                self.report(
                    codes::INCONSISTENT,
                    format!(
                        "store `{}` has no Sentinels to log in as this user",
                        store.name
                    ),
                    self.key_span(&at),
                    "no `replicated.sentinel`",
                    Some(
                        "remove `access.sentinel`, or give the store `replicated: {sentinel: ...}`"
                            .into(),
                    ),
                );
                self.mark_unknown(&at);
            }
        }
        let fixed_users = [
            Some(&access.admin),
            Some(&access.replication),
            access.sentinel.as_ref(),
        ];
        for c in fixed_users.into_iter().flatten() {
            if c.user == "default" || c.user == crate::verifier::NAME {
                self.report(
                    codes::INCONSISTENT,
                    format!("user `{}` is reserved", c.user),
                    self.span(&format!("{}/user", c.pointer)),
                    "reserved user name",
                    Some("`default` is Redis's own user (always off) and `cachegen-verify` the verifier's: choose another name".into()),
                );
            }
        }
        // Each fixed user has rights of its own: sharing a name would give
        // one of them the other's (the operator's, at worst).
        let fixed: Vec<(&Credential, &str)> = [
            (Some(&access.admin), "operator"),
            (Some(&access.replication), "replication"),
            (access.sentinel.as_ref(), "Sentinel"),
        ]
        .into_iter()
        .filter_map(|(c, what)| c.map(|c| (c, what)))
        .collect();
        for (i, (later, later_what)) in fixed.iter().enumerate() {
            let Some((earlier, earlier_what)) =
                fixed[..i].iter().find(|(c, _)| c.user == later.user)
            else {
                continue;
            };
            self.report(
                codes::INCONSISTENT,
                format!(
                    "the {earlier_what} and {later_what} users are both `{}`",
                    later.user
                ),
                (self.spans.value(&format!("{}/user", later.pointer)))
                    .or_else(|| self.spans.value(&format!("{}/user", earlier.pointer)))
                    .unwrap_or_default(),
                &format!("same user as the {earlier_what}"),
                Some(format!(
                    "give each its own user: {later_what} must not get the {earlier_what}'s rights"
                )),
            );
        }
        let reserved = [
            ("default", "Redis's `default` user"),
            (crate::verifier::NAME, "the verifier user"),
            (access.admin.user.as_str(), "the operator user"),
            (access.replication.user.as_str(), "the replication user"),
        ];
        reserved
            .iter()
            .map(|(n, w)| ((*n).to_owned(), *w))
            .chain(
                access
                    .sentinel
                    .as_ref()
                    .map(|s| (s.user.clone(), "the Sentinel user")),
            )
            .collect()
    }

    fn credential(
        &mut self,
        raw: raw::UserCredential,
        at: &str,
        default: Credential,
    ) -> Credential {
        let mut out = default;
        out.pointer = at.to_owned();
        if let Some(user) = raw.user {
            if self.user_name(&user, &format!("{at}/user"), false) {
                out.user = user;
            } else {
                self.mark_unknown(&format!("{at}/user"));
            }
        }
        if let Some(p) = raw.password
            && let Some(p) = self.secret(p, &format!("{at}/password"), "password")
        {
            out.password = p;
        }
        out
    }
}
