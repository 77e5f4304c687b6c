//! Filler for the demo estate: realistic-looking, entirely fake lines
//! (Ofcom drama numbers 01632 960000-960799, `example.com` mail) from a
//! seeded generator, so the estate is the same on every run. Nothing here
//! may produce an identifier of a planted demo subject: their numbers lie
//! above 960800 and their names are not in [`PEOPLE`].

/// A tiny linear congruential generator: deterministic, no dependency.
pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Fake staff and callers: (first, last, extension, user name).
pub(crate) const PEOPLE: [(&str, &str, u32, &str); 20] = [
    ("Alice", "Brown", 2201, "abrown"),
    ("Ravi", "Kumar", 2202, "rkumar"),
    ("Chen", "Wei", 2203, "cwei"),
    ("Olu", "Adeyemi", 2204, "oadeyemi"),
    ("Sara", "Lopez", 2205, "slopez"),
    ("Tom", "Baker", 2206, "tbaker"),
    ("Fiona", "Reid", 2207, "freid"),
    ("Liam", "Walsh", 2208, "lwalsh"),
    ("Nadia", "Haddad", 2209, "nhaddad"),
    ("Ewan", "Grant", 2210, "egrant"),
    ("Grace", "Okafor", 2211, "gokafor"),
    ("Hugo", "Martin", 2212, "hmartin"),
    ("Ines", "Costa", 2213, "icosta"),
    ("Jack", "Turner", 2214, "jturner"),
    ("Kira", "Novak", 2215, "knovak"),
    ("Leo", "Fischer", 2216, "lfischer"),
    ("Maya", "Singh", 2217, "msingh"),
    ("Noah", "Evans", 2218, "nevans"),
    ("Orla", "Byrne", 2219, "obyrne"),
    ("Pavel", "Horak", 2220, "phorak"),
];

pub(crate) const DEPARTMENTS: [&str; 6] = [
    "Claims",
    "Finance",
    "Facilities",
    "Sales",
    "IT",
    "Reception",
];
pub(crate) const LOCATIONS: [&str; 4] = ["Leeds", "York", "Hull", "Bradford"];

/// A fake outside number, `01632 960xxx` with xxx below 800.
pub(crate) fn phone(rng: &mut Lcg) -> String {
    format!("01632 960{:03}", rng.below(800))
}

/// Timestamp styles of the stores.
#[derive(Clone, Copy)]
pub(crate) enum Stamp {
    /// Console and suite logs: `2024-03-14 09:02:11.417`.
    Console,
    /// IIS W3C: `2024-03-14 09:02:11`.
    Iis,
    /// Elasticsearch: `[2024-03-14T09:02:11,417]`.
    Search,
}

/// A clock that moves forward a few seconds per line.
pub(crate) struct Clock {
    day: u32,
    millis: u64,
}

impl Clock {
    pub(crate) fn new(day: u32) -> Self {
        Self {
            day,
            millis: 7 * 3_600_000,
        }
    }

    pub(crate) fn tick(&mut self, rng: &mut Lcg, style: Stamp) -> String {
        self.millis += 2_000 + rng.below(40_000) as u64;
        let (h, m) = (self.millis / 3_600_000 % 24, self.millis / 60_000 % 60);
        let (s, ms) = (self.millis / 1000 % 60, self.millis % 1000);
        let d = self.day;
        match style {
            Stamp::Console => format!("2024-03-{d:02} {h:02}:{m:02}:{s:02}.{ms:03}"),
            Stamp::Iis => format!("2024-03-{d:02} {h:02}:{m:02}:{s:02}"),
            Stamp::Search => format!("[2024-03-{d:02}T{h:02}:{m:02}:{s:02},{ms:03}]"),
        }
    }
}

/// One line of a console log, after the timestamp.
pub(crate) fn console_line(rng: &mut Lcg) -> String {
    let (first, last, ext, _) = *rng.pick(&PEOPLE);
    let (_, _, _, user) = *rng.pick(&PEOPLE);
    let id = 4000 + rng.below(5000);
    let op = 1 + rng.below(3);
    match rng.below(6) {
        0 => format!(
            "INFO  [CallMgr] Incoming call id={id} ANI={} Name=\"{}, {}\" DNIS=8200 Console=OP{op} User={user}",
            phone(rng).replace(' ', ""),
            last.to_uppercase(),
            first.to_uppercase()
        ),
        1 => format!("INFO  [CallMgr] Call id={id} answered Console=OP{op} User={user}"),
        2 => format!(
            "INFO  [CallMgr] Call id={id} released duration=00:{:02}:{:02} transferredTo={ext} (\"{last},{first}\")",
            rng.below(10),
            rng.below(60)
        ),
        3 => format!("DEBUG [Presence] Extension {ext} state={}", rng.pick(&["Idle", "Busy", "DND"])),
        4 => format!("WARN  [Network] ICP heartbeat late by {} ms", 100 + rng.below(900)),
        _ => format!("INFO  [Directory] Search \"{last}\" returned {} entries User={user}", 1 + rng.below(4)),
    }
}

/// One line of the suite server's log, after the timestamp.
pub(crate) fn server_line(rng: &mut Lcg) -> String {
    let (first, last, _, user) = *rng.pick(&PEOPLE);
    match rng.below(5) {
        0 => format!("INFO  AuthService - User {user} signed in"),
        1 => format!(
            "INFO  ContactService - Contact updated id=C-{} email={}.{}@example.com",
            80_000 + rng.below(9_000),
            first.to_lowercase(),
            last.to_lowercase()
        ),
        2 => format!(
            "INFO  Routing - Call queued to Q-{} position={}",
            rng.pick(&DEPARTMENTS),
            1 + rng.below(9)
        ),
        3 => format!("WARN  Routing - Agent {user} missed an offered contact"),
        _ => format!(
            "DEBUG Stats - Queue snapshot written rows={}",
            10 + rng.below(300)
        ),
    }
}

/// One IIS request line, after the timestamp.
pub(crate) fn iis_line(rng: &mut Lcg) -> String {
    let (_, _, _, user) = *rng.pick(&PEOPLE);
    let (stem, query) = match rng.below(4) {
        0 => ("/CCMWeb/api/queues", "-".to_owned()),
        1 => ("/CCMWeb/api/agents/state", format!("agent={user}")),
        2 => ("/CCMWeb/Ignite/index.html", "-".to_owned()),
        _ => (
            "/CCMWeb/api/contacts/search",
            format!("q={}", rng.pick(&PEOPLE).1),
        ),
    };
    iis(rng, stem, &query, user)
}

/// An IIS line around a given request. The user agent ends in letters so
/// that the status digits never run on from a number in the query.
pub(crate) fn iis(rng: &mut Lcg, stem: &str, query: &str, user: &str) -> String {
    format!(
        "10.0.0.5 GET {stem} {query} 443 {user} 10.0.3.{} Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64)+Edg 200 0 0 {}",
        10 + rng.below(200),
        5 + rng.below(400)
    )
}

/// One search-service log line, after the timestamp.
pub(crate) fn search_line(rng: &mut Lcg) -> String {
    let (_, last, _, user) = *rng.pick(&PEOPLE);
    match rng.below(3) {
        0 => format!(
            "[INFO ][audit] query=\"{last}\" user={user} hits={}",
            rng.below(6)
        ),
        1 => format!(
            "[INFO ][o.e.c.r.a.AllocationService] shard started index=contacts-{}",
            rng.below(4)
        ),
        _ => {
            "[WARN ][o.e.m.j.JvmGcMonitorService] gc overhead, spent [312ms] collecting".to_owned()
        }
    }
}

/// Scratch-pad and comment filler.
pub(crate) fn note(rng: &mut Lcg) -> String {
    let (first, last, ext, _) = *rng.pick(&PEOPLE);
    match rng.below(5) {
        0 => format!("{first} {last} out until Thursday, cover on {ext}"),
        1 => format!("Parcel for {} at reception", rng.pick(&DEPARTMENTS)),
        2 => format!("Fire drill 11:00, tell {first}"),
        3 => format!("{last} team moved to {}", rng.pick(&LOCATIONS)),
        _ => "Check the night service is on before leaving".to_owned(),
    }
}
