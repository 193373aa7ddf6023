//! Owns asking a store's Sentinels (`verify --sentinel`, `redis+sentinel://`)
//! and nothing else: it returns what each Sentinel said, and
//! `judge::sentinel` decides what that means.
//!
//! Every Sentinel given is asked, in parallel, with read-only commands only
//! (`crate::verifier::SENTINEL_COMMANDS`): `SENTINEL MASTER`,
//! `GET-MASTER-ADDR-BY-NAME`, `REPLICAS`, `SENTINELS`, `CKQUORUM` and `INFO
//! sentinel`; `SENTINEL MASTERS` only when it does not know the master
//! name, to say which it does know. A Sentinel that does not answer is a
//! reason on its row, not the end of the run: the others are still judged.
//! The primary verify then checks is the one every answering Sentinel
//! names ([`SentinelObserved::primary`]); at the end of the run they are
//! asked again ([`ask_again`]), and unless each that named it still names
//! it with the same `config-epoch` ([`moved`]), a failover may have
//! happened during the run and the report is incomplete.
//!
//! What a Sentinel sends is bounded like a node's: at most [`MAX_ENTRIES`]
//! replicas or Sentinels, [`MAX_FIELDS`] fields each, names and values cut.

use super::conn::{Command, ConnError, Connection, Limits, Tls};
use super::resp::Reply;
use super::server;
use super::target::{self, Address, SentinelTarget};
use std::collections::BTreeMap;

/// The Sentinels of the store verified, the master name asked for and the
/// TLS to reach them with.
#[derive(Clone)]
pub struct Sentinels {
    pub target: SentinelTarget,
    /// `--master-name`, the URL's, else the policy's `sentinel.master_name`.
    pub master_name: String,
    pub tls: Option<Tls>,
}

/// A reply's `field value` pairs (`SENTINEL MASTER`, one replica).
pub type Fields = BTreeMap<String, String>;

/// Most replicas or Sentinels kept from one reply.
pub const MAX_ENTRIES: usize = 1000;
/// Most fields kept of one entry (Redis 7.0 sends about 40).
pub const MAX_FIELDS: usize = 200;

/// What one Sentinel said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentinelSeen {
    /// `SENTINEL MASTER name`; `None`: it does not monitor that name.
    pub master: Option<Fields>,
    /// The names it monitors (`SENTINEL MASTERS`), read only when it does
    /// not know the one asked for.
    pub known_masters: Vec<String>,
    /// `GET-MASTER-ADDR-BY-NAME`: the primary it names.
    pub primary: Option<Address>,
    pub replicas: Vec<Fields>,
    pub sentinels: Vec<Fields>,
    /// `CKQUORUM`: `Ok` with its `OK ...` text, or `Err` with its refusal.
    pub ckquorum: Result<String, String>,
    /// `INFO sentinel`'s `sentinel_tilt` (`None`: not reported).
    pub tilt: Option<bool>,
}

impl Default for SentinelSeen {
    fn default() -> Self {
        SentinelSeen {
            master: None,
            known_masters: Vec::new(),
            primary: None,
            replicas: Vec::new(),
            sentinels: Vec::new(),
            ckquorum: Err("not asked".into()),
            tilt: None,
        }
    }
}

/// One Sentinel given, and what it said or why it said nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AskedSentinel {
    pub address: Address,
    pub seen: Result<SentinelSeen, String>,
}

/// Every Sentinel given, in the order given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentinelObserved {
    pub master_name: String,
    pub asked: Vec<AskedSentinel>,
}

impl SentinelObserved {
    /// The Sentinels that answered.
    pub fn answered(&self) -> impl Iterator<Item = (&Address, &SentinelSeen)> {
        self.asked
            .iter()
            .filter_map(|a| a.seen.as_ref().ok().map(|s| (&a.address, s)))
    }

    /// The primary every answering Sentinel that monitors the master names,
    /// or why there is none to verify (none answered, none names one, or
    /// they disagree: verifying any one of them could be a verdict on the
    /// wrong node). A Sentinel that does not know the master name names no
    /// node, so it contradicts none (it is CG452).
    pub fn primary(&self) -> Result<Address, String> {
        if self.answered().next().is_none() {
            return Err(match self.asked.len() {
                1 => {
                    "the one Sentinel given gave no usable answer; no primary to verify".to_owned()
                }
                n => format!(
                    "none of the {n} Sentinels given gave a usable answer; no primary to verify"
                ),
            });
        }
        let named: Vec<(&Address, Option<&Address>)> = self
            .answered()
            .filter(|(_, s)| s.master.is_some())
            .map(|(a, s)| (a, s.primary.as_ref()))
            .collect();
        let mut primaries: Vec<&Address> = named.iter().filter_map(|(_, p)| *p).collect();
        primaries.sort();
        primaries.dedup();
        match primaries.as_slice() {
            [] => Err(format!(
                "no Sentinel names a primary for `{}`; no primary to verify",
                target::printable(&self.master_name)
            )),
            [one] if named.iter().all(|(_, p)| p.is_some()) => Ok((*one).clone()),
            _ => Err(format!(
                "the Sentinels do not agree on the primary of `{}` ({}); none was verified",
                target::printable(&self.master_name),
                named
                    .iter()
                    .map(|(s, p)| format!(
                        "{s} names {}",
                        p.map_or("none".to_owned(), Address::to_string)
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
}

/// Asks every Sentinel, all at once (silent ones cost one timeout
/// together). Never fails: a Sentinel that could not be asked has its
/// reason on its row.
pub fn gather(sentinels: &Sentinels, limits: Limits) -> SentinelObserved {
    let asked = std::thread::scope(|scope| {
        let handles: Vec<_> = sentinels
            .target
            .sentinels
            .iter()
            .map(|address| {
                scope.spawn(move || AskedSentinel {
                    address: address.clone(),
                    seen: ask(address, sentinels, limits).map_err(|e| unanswered(&e)),
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&sentinels.target.sentinels)
            .map(|(h, address)| {
                h.join().unwrap_or_else(|_| AskedSentinel {
                    address: address.clone(),
                    seen: Err(format!(
                        "{address}: asking the Sentinel failed unexpectedly (a cachegen bug; please report it)"
                    )),
                })
            })
            .collect()
    });
    SentinelObserved {
        master_name: sentinels.master_name.clone(),
        asked,
    }
}

/// What one Sentinel says at the end of a run: the primary it names and
/// its `config-epoch` (a failover raises it, also one and back again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Now {
    pub primary: Option<Address>,
    pub epoch: Option<String>,
}

/// Asks each Sentinel again at the end of a run (`SENTINEL MASTER` and
/// `GET-MASTER-ADDR-BY-NAME` only), all at once: `Err` says why one could
/// not be asked.
pub fn ask_again(sentinels: &Sentinels, limits: Limits) -> Vec<(Address, Result<Now, String>)> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = sentinels
            .target
            .sentinels
            .iter()
            .map(|address| scope.spawn(move || now(address, sentinels, limits)))
            .collect();
        handles
            .into_iter()
            .zip(&sentinels.target.sentinels)
            .map(|(h, address)| {
                let now = h.join().unwrap_or_else(|_| {
                    Err("asking failed unexpectedly (a cachegen bug; please report it)".into())
                });
                (address.clone(), now)
            })
            .collect()
    })
}

fn now(address: &Address, sentinels: &Sentinels, limits: Limits) -> Result<Now, String> {
    let name = sentinels.master_name.as_str();
    let asked = || -> Result<Now, ConnError> {
        let mut conn = open(address, sentinels, limits)?;
        let epoch = match conn.call(Command::SentinelMaster(name))? {
            reply @ Reply::Array(_) => fields(&reply).get("config-epoch").cloned(),
            other => return Err(refused(address, "SENTINEL MASTER", &other)),
        };
        Ok(Now {
            primary: master_addr(&mut conn, name)?,
            epoch,
        })
    };
    asked().map_err(|e| unanswered(&e))
}

/// What happened when a Sentinel gave no usable answer, said as such: it
/// could not be reached, refused the login or a command, or answered what
/// a Sentinel does not send.
fn unanswered(e: &ConnError) -> String {
    match e {
        ConnError::Protocol(m) => format!("answered what no Sentinel sends: {m}"),
        ConnError::Auth(m) | ConnError::Refused(m) => format!("refused: {m}"),
        ConnError::Stopped(m) => format!("was not asked to the end: {m}"),
        other => format!("could not be asked: {other}"),
    }
}

/// Why the verdicts on `primary` may not stand, given what the Sentinels
/// said at the start (`start`) and at the end of the run (`end`): every
/// Sentinel that named `primary` at the start must name it again, with the
/// same `config-epoch`. One that cannot be asked, names another node or
/// none, or whose epoch moved (a failover and back) is a reason: "nobody
/// could confirm" is never read as "unchanged". `None`: all confirmed.
pub fn moved(
    start: &SentinelObserved,
    primary: &Address,
    end: &[(Address, Result<Now, String>)],
) -> Option<String> {
    let mut elsewhere = Vec::new();
    let mut unconfirmed = Vec::new();
    for (address, seen) in start.answered() {
        let Some(master) = seen
            .master
            .as_ref()
            .filter(|_| seen.primary.as_ref() == Some(primary))
        else {
            continue;
        };
        let Some((_, now)) = end.iter().find(|(a, _)| a == address) else {
            unconfirmed.push(format!("{address} was not asked again"));
            continue;
        };
        match now {
            Err(why) => unconfirmed.push(format!("{address} did not confirm it ({why})")),
            Ok(Now {
                primary: Some(p), ..
            }) if p != primary => elsewhere.push(format!("{address} names {p}")),
            Ok(Now { primary: None, .. }) => {
                unconfirmed.push(format!("{address} names no primary"))
            }
            Ok(Now { epoch, .. }) if epoch.as_ref() != master.get("config-epoch") => unconfirmed
                .push(format!(
                    "{address}'s config-epoch went from {} to {} (a failover, and back)",
                    master.get("config-epoch").map_or("none", String::as_str),
                    epoch.as_deref().unwrap_or("none")
                )),
            Ok(_) => {}
        }
    }
    if !elsewhere.is_empty() {
        elsewhere.extend(unconfirmed);
        return Some(format!(
            "the primary changed during the run (a failover): the Sentinels named {primary} when it started, and now {}; what is reported is of {primary} until then",
            elsewhere.join(", ")
        ));
    }
    (!unconfirmed.is_empty()).then(|| {
        format!(
            "the primary could not be confirmed at the end of the run (a failover may have happened): the Sentinels named {primary} when it started, but {}; no verdict on {primary} is sure to be on the primary",
            unconfirmed.join(", ")
        )
    })
}

fn open(address: &Address, sentinels: &Sentinels, limits: Limits) -> Result<Connection, ConnError> {
    Connection::open_sentinel(
        address,
        &sentinels.target.login(address),
        sentinels.tls.as_ref(),
        limits,
    )
}

fn ask(
    address: &Address,
    sentinels: &Sentinels,
    limits: Limits,
) -> Result<SentinelSeen, ConnError> {
    let mut conn = open(address, sentinels, limits)?;
    let name = sentinels.master_name.as_str();
    let mut seen = SentinelSeen::default();
    let mut info = server::Info::new();
    super::gather::read_info(&mut conn, &["sentinel"], &mut info)?;
    seen.tilt = info.get("sentinel_tilt").map(|v| v != "0");
    match conn.call(Command::SentinelMaster(name))? {
        Reply::Error(e) if e.contains("No such master") => {
            seen.known_masters = match conn.call(Command::SentinelMasters)? {
                Reply::Array(masters) => masters
                    .iter()
                    .take(MAX_ENTRIES)
                    .filter_map(|m| fields(m).get("name").cloned())
                    .collect(),
                other => return Err(refused(address, "SENTINEL MASTERS", &other)),
            };
            return Ok(seen);
        }
        reply @ Reply::Array(_) => seen.master = Some(fields(&reply)),
        other => return Err(refused(address, "SENTINEL MASTER", &other)),
    }
    seen.primary = master_addr(&mut conn, name)?;
    seen.replicas = entries(
        &mut conn,
        Command::SentinelReplicas(name),
        "SENTINEL REPLICAS",
    )?;
    seen.sentinels = entries(
        &mut conn,
        Command::SentinelSentinels(name),
        "SENTINEL SENTINELS",
    )?;
    seen.ckquorum = match conn.call(Command::SentinelCkquorum(name))? {
        Reply::Status(text) | Reply::Bulk(text) => {
            Ok(target::printable(&String::from_utf8_lossy(&text)))
        }
        Reply::Error(e) => Err(target::printable(&e)),
        other => return Err(refused(address, "SENTINEL CKQUORUM", &other)),
    };
    Ok(seen)
}

/// `GET-MASTER-ADDR-BY-NAME`: `None` when the Sentinel names no primary.
fn master_addr(conn: &mut Connection, name: &str) -> Result<Option<Address>, ConnError> {
    let address = conn.address.clone();
    match conn.call(Command::SentinelMasterAddr(name))? {
        Reply::Array(parts) => match parts.as_slice() {
            [host, port] => {
                let host = host.as_text().unwrap_or_default();
                let port = port.as_text().unwrap_or_default();
                // The Sentinel's text is parsed like a URL's host and port:
                // a host that is no host name or address is no primary.
                let text = if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                target::parse_host_port(&text).map(Some).map_err(|_| {
                    ConnError::Protocol(format!(
                        "{address}: GET-MASTER-ADDR-BY-NAME named `{}`, which is no host and port",
                        target::printable(&server::cut(&text, 80))
                    ))
                })
            }
            _ => Ok(None),
        },
        Reply::Nil => Ok(None),
        other => Err(refused(
            &address,
            "SENTINEL GET-MASTER-ADDR-BY-NAME",
            &other,
        )),
    }
}

/// A list of entries (replicas, Sentinels), each its `field value` pairs.
fn entries(
    conn: &mut Connection,
    command: Command<'_>,
    label: &str,
) -> Result<Vec<Fields>, ConnError> {
    let address = conn.address.clone();
    match conn.call(command)? {
        Reply::Array(items) => Ok(items.iter().take(MAX_ENTRIES).map(fields).collect()),
        other => Err(refused(&address, label, &other)),
    }
}

/// A flat `[field, value, ...]` array as a map, bounded: at most
/// [`MAX_FIELDS`] pairs, names cut to 64 bytes and values to 256.
pub fn fields(reply: &Reply) -> Fields {
    let Reply::Array(items) = reply else {
        return Fields::new();
    };
    items
        .chunks(2)
        .take(MAX_FIELDS)
        .filter_map(|pair| match pair {
            [k, v] => Some((
                server::cut(&k.as_text()?, 64).to_ascii_lowercase(),
                server::cut(&v.as_text().unwrap_or_default(), 256),
            )),
            _ => None,
        })
        .collect()
}

fn refused(address: &Address, command: &str, reply: &Reply) -> ConnError {
    match reply {
        Reply::Error(e) => ConnError::Refused(format!(
            "{address}: {command} was refused: {}",
            target::printable(e)
        )),
        _ => ConnError::Protocol(format!("{address}: {command} returned an unexpected reply")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(primary: Option<&str>) -> SentinelSeen {
        SentinelSeen {
            master: Some(Fields::new()),
            primary: primary.map(|p| target::parse_host_port(p).unwrap()),
            ckquorum: Ok("OK".into()),
            ..SentinelSeen::default()
        }
    }

    fn observed(rows: Vec<Result<SentinelSeen, String>>) -> SentinelObserved {
        SentinelObserved {
            master_name: "m".into(),
            asked: rows
                .into_iter()
                .enumerate()
                .map(|(i, seen)| AskedSentinel {
                    address: target::parse_host_port(&format!("127.0.0.1:{}", 7111 + i)).unwrap(),
                    seen,
                })
                .collect(),
        }
    }

    #[test]
    fn the_primary_is_the_one_every_answering_sentinel_names() {
        let agreed = observed(vec![
            Ok(seen(Some("127.0.0.1:7101"))),
            Err("down".into()),
            Ok(seen(Some("127.0.0.1:7101"))),
        ]);
        assert_eq!(agreed.primary().unwrap().to_string(), "127.0.0.1:7101");
        let split = observed(vec![
            Ok(seen(Some("127.0.0.1:7101"))),
            Ok(seen(Some("127.0.0.1:7102"))),
        ]);
        let why = split.primary().unwrap_err();
        assert!(why.contains("127.0.0.1:7111 names 127.0.0.1:7101"), "{why}");
        assert!(why.contains("127.0.0.1:7112 names 127.0.0.1:7102"), "{why}");
        // One that names none is a disagreement too.
        let partial = observed(vec![Ok(seen(Some("127.0.0.1:7101"))), Ok(seen(None))]);
        assert!(partial.primary().unwrap_err().contains("do not agree"));
        let silent = observed(vec![Err("down".into())]);
        assert!(
            silent
                .primary()
                .unwrap_err()
                .contains("the one Sentinel given gave no usable answer")
        );
        let unknown = observed(vec![Ok(seen(None))]);
        assert!(unknown.primary().unwrap_err().contains("names a primary"));
        // One that does not monitor the master names nothing to disagree with.
        let ignorant = observed(vec![
            Ok(SentinelSeen::default()),
            Ok(seen(Some("127.0.0.1:7101"))),
        ]);
        assert_eq!(ignorant.primary().unwrap().to_string(), "127.0.0.1:7101");
        let all_ignorant = observed(vec![Ok(SentinelSeen::default())]);
        assert!(
            all_ignorant
                .primary()
                .unwrap_err()
                .contains("names a primary")
        );
    }

    #[test]
    fn the_primary_stands_only_when_every_sentinel_that_named_it_confirms_it() {
        let at = |p: &str| target::parse_host_port(p).unwrap();
        let with_epoch = |e: &str| {
            let mut s = seen(Some("127.0.0.1:7101"));
            s.master = Some(Fields::from([("config-epoch".into(), e.into())]));
            s
        };
        let start = observed(vec![
            Ok(with_epoch("4")),
            Ok(with_epoch("4")),
            Err("down".into()),
        ]);
        let primary = at("127.0.0.1:7101");
        let now = |p: Option<&str>, e: &str| {
            Ok(Now {
                primary: p.map(at),
                epoch: Some(e.into()),
            })
        };
        let end = |rows: Vec<Result<Now, String>>| -> Vec<(Address, Result<Now, String>)> {
            start
                .asked
                .iter()
                .map(|a| a.address.clone())
                .zip(rows)
                .collect()
        };
        // All that named it confirm it (the one silent at the start too).
        let same = end(vec![
            now(Some("127.0.0.1:7101"), "4"),
            now(Some("127.0.0.1:7101"), "4"),
            Err("down".into()),
        ]);
        assert_eq!(moved(&start, &primary, &same), None);
        // One names another node: a failover, both primaries named.
        let failover = end(vec![
            now(Some("127.0.0.1:7102"), "5"),
            Err("gone".into()),
            Err("down".into()),
        ]);
        let why = moved(&start, &primary, &failover).unwrap();
        assert!(
            why.starts_with("the primary changed during the run"),
            "{why}"
        );
        assert!(why.contains("127.0.0.1:7111 names 127.0.0.1:7102"), "{why}");
        // Nobody can confirm: not read as unchanged.
        let silent = end(vec![
            Err("could not be asked: connection refused".into()),
            Err("could not be asked: timed out".into()),
            Err("down".into()),
        ]);
        let why = moved(&start, &primary, &silent).unwrap();
        assert!(
            why.starts_with("the primary could not be confirmed"),
            "{why}"
        );
        assert!(
            why.contains("127.0.0.1:7112 did not confirm it (could not be asked: timed out)"),
            "{why}"
        );
        // One names none now.
        let none = end(vec![
            now(None, "4"),
            now(Some("127.0.0.1:7101"), "4"),
            Err("down".into()),
        ]);
        assert!(
            moved(&start, &primary, &none)
                .unwrap()
                .contains("127.0.0.1:7111 names no primary")
        );
        // A failover and back in one run: the same primary, a new epoch.
        let back = end(vec![
            now(Some("127.0.0.1:7101"), "6"),
            now(Some("127.0.0.1:7101"), "4"),
            Err("down".into()),
        ]);
        let why = moved(&start, &primary, &back).unwrap();
        assert!(
            why.contains("127.0.0.1:7111's config-epoch went from 4 to 6"),
            "{why}"
        );
    }

    #[test]
    fn fields_are_bounded() {
        let mut items = Vec::new();
        for i in 0..(MAX_FIELDS + 10) {
            items.push(Reply::Bulk(format!("Field-{i}").into_bytes()));
            items.push(Reply::Bulk(vec![b'x'; 1000]));
        }
        let f = fields(&Reply::Array(items));
        assert_eq!(f.len(), MAX_FIELDS);
        // Cut to 256 bytes, plus the `…` that says so.
        assert_eq!(f["field-0"].len(), 256 + "…".len());
        assert!(fields(&Reply::Nil).is_empty());
    }
}
