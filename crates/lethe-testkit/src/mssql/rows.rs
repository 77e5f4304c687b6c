//! The deterministic row generator for the eight CCM tables. The same
//! seed gives the same rows everywhere. Background callers use Ofcom's
//! Leeds drama range (0113 496 0xxx) in every shape the estate writes
//! numbers; planted people use the 01632 and London drama ranges, so a
//! background row can never hold a planted identifier.
//!
//! Per table, planted person `i` (0-based) has `2 + i` strong rows (its
//! number or email in a rotating shape; the IVR trace adds one row whose
//! workflow variable mentions the number) and, where the table holds a
//! name or notes, one weak row (the name only, with a background number).

use std::collections::BTreeMap;

use crate::generate::Plant;

/// One table's rows, every value as text (SQL Server converts).
#[derive(Debug, Clone)]
pub struct Table {
    pub database: &'static str,
    pub name: &'static str,
    pub columns: &'static [&'static str],
    pub rows: Vec<Vec<Option<String>>>,
}

/// A planted person and, per table, how many rows hold them.
#[derive(Debug, Clone)]
pub struct Planted {
    pub plant: Plant,
    pub email: String,
    /// Table name → (strong rows, weak rows).
    pub expected: BTreeMap<&'static str, (usize, usize)>,
}

impl Planted {
    /// The last seven digits of the number: every shape of it holds them
    /// once separators are removed.
    pub fn last7(&self) -> String {
        let d = self.plant.national_digits().unwrap_or_default();
        d[d.len().saturating_sub(7)..].to_owned()
    }

    /// The upper-case surname as a caller-ID field holds it (15 characters).
    pub fn surname15(&self) -> String {
        self.plant.last.to_uppercase().chars().take(15).collect()
    }
}

/// The generated estate: eight tables and the planted people.
#[derive(Debug, Clone)]
pub struct CcmFixture {
    pub tables: Vec<Table>,
    pub planted: Vec<Planted>,
}

const CCMDATA: &str = "CCMData";
const STATS: &str = "CCMStatisticalData";

/// Background names: none contains a planted surname.
const FIRST: [&str; 8] = [
    "Alice", "Brian", "Chloe", "David", "Emma", "Farid", "Grace", "Hamish",
];
const LAST: [&str; 8] = [
    "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright",
];

/// Rows of every table for `background` background rows per table, and
/// three planted people: John Smith, Maximilian Featherstonehaugh (whose
/// caller-ID name is cut at 15 and 20 characters) and Mary Jones.
pub fn generate(seed: u64, background: usize) -> CcmFixture {
    let planted: Vec<Planted> = [
        ("John", "Smith", "01632 960855", "john.smith@example.com"),
        (
            "Maximilian",
            "Featherstonehaugh",
            "020 7946 0123",
            "m.featherstonehaugh@example.org",
        ),
        ("Mary", "Jones", "01632 960999", "MJones@Example.org"),
    ]
    .iter()
    .map(|(f, l, n, e)| Planted {
        plant: Plant::caller(f, l, n, 0, 0),
        email: (*e).to_owned(),
        expected: BTreeMap::new(),
    })
    .collect();
    let mut g = Gen {
        rng: Rng(seed ^ 0x9E37_79B9_7F4A_7C15),
        planted,
        tables: Vec::new(),
    };
    for spec in SPECS {
        g.table(spec, background);
    }
    CcmFixture {
        tables: g.tables,
        planted: g.planted,
    }
}

/// Who a row is about.
#[derive(Clone, Copy)]
enum Who {
    Background,
    /// Planted person, row number among their strong rows.
    Strong(usize, usize),
    Weak(usize),
    /// The IVR row whose variable mentions the number.
    Mention(usize),
}

struct Spec {
    database: &'static str,
    name: &'static str,
    columns: &'static [&'static str],
    weak: bool,
    mention: bool,
}

const SPECS: &[Spec] = &[
    Spec {
        database: CCMDATA,
        name: "tblData_CA_Trace",
        weak: true,
        mention: false,
        columns: &[
            "Pkey",
            "FKMediaServer",
            "CallStartTime",
            "CallType",
            "ANI",
            "CallerName",
            "DigitsDialed",
            "AccountCode",
            "Duration",
            "TimeToAnswer",
            "Cost",
            "PegCount",
            "CallCompletionStatus",
            "SmdrRecord",
        ],
    },
    Spec {
        database: CCMDATA,
        name: "tblData_InboundTrace",
        weak: true,
        mention: false,
        columns: &[
            "Pkey",
            "CallStartTime",
            "ANI",
            "CallerName",
            "DNIS",
            "DigitsDialed",
            "Duration",
            "TimeToAnswer",
            "Disposition",
        ],
    },
    Spec {
        database: CCMDATA,
        name: "tblData_OutboundTrace",
        weak: true,
        mention: false,
        columns: &[
            "Pkey",
            "CallStartTime",
            "CallType",
            "PhoneNumber",
            "CalledName",
            "AccountCode",
            "Duration",
            "Cost",
        ],
    },
    Spec {
        database: CCMDATA,
        name: "tblData_VWM_ConditionTrace",
        weak: false,
        mention: true,
        columns: &[
            "Pkey",
            "ConditionStartTime",
            "WorkflowName",
            "ConditionFriendlyName",
            "ANI",
            "DNIS",
            "Destination",
            "VariableName",
            "VariableValue",
        ],
    },
    Spec {
        database: STATS,
        name: "ConversationSummary",
        weak: true,
        mention: false,
        columns: &[
            "ConversationKey",
            "MediaServerName",
            "MediaType",
            "Direction",
            "StartTime",
            "EndTime",
            "ContactName",
            "ContactAddress",
            "DialedAddress",
            "Subject",
            "Duration",
        ],
    },
    Spec {
        database: STATS,
        name: "tblData_LC_Trace",
        weak: true,
        mention: false,
        columns: &[
            "Pkey",
            "ConversationID",
            "MediaType",
            "CallStartTime",
            "Queue",
            "Agent",
            "ANI",
            "CallerName",
            "DNIS",
            "ContactEmail",
            "TimeToAnswer",
            "Duration",
            "PegCount",
        ],
    },
    Spec {
        database: STATS,
        name: "tblData_LC_Note",
        weak: true,
        mention: false,
        columns: &["Pkey", "ConversationID", "NoteTime", "NoteText"],
    },
    Spec {
        database: STATS,
        name: "tblData_LC_CallRecording",
        weak: false,
        mention: false,
        columns: &[
            "Pkey",
            "ConversationID",
            "RecordingStart",
            "Duration",
            "RecordingID",
            "RecordingLocation",
        ],
    },
];

/// The contact center's own number, dialled by every inbound caller.
const CENTER: &str = "0113 496 0500";

struct Gen {
    rng: Rng,
    planted: Vec<Planted>,
    tables: Vec<Table>,
}

impl Gen {
    fn table(&mut self, spec: &Spec, background: usize) {
        let mut who: Vec<Who> = (0..background).map(|_| Who::Background).collect();
        for p in 0..self.planted.len() {
            let strong = 2 + p;
            who.extend((0..strong).map(|k| Who::Strong(p, k)));
            let mut expected = (strong, 0);
            if spec.weak {
                who.push(Who::Weak(p));
                expected.1 = 1;
            }
            if spec.mention {
                who.push(Who::Mention(p));
                expected.0 += 1;
            }
            self.planted[p].expected.insert(spec.name, expected);
        }
        // Planted rows spread among the background, deterministically.
        for i in (1..who.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            who.swap(i, j);
        }
        let rows = who.into_iter().map(|w| self.row(spec.name, w)).collect();
        self.tables.push(Table {
            database: spec.database,
            name: spec.name,
            columns: spec.columns,
            rows,
        });
    }

    /// (number as written, caller-ID name, email) of the row's person.
    fn person(&mut self, w: Who) -> (String, String, String) {
        let background = |g: &mut Gen| {
            let n = g.rng.below(1000);
            let digits = format!("01134960{n:03}");
            let shapes = [
                format!("+44{}", &digits[1..]),
                format!("0113 496 0{n:03}"),
                digits.clone(),
                format!("9{digits}"),
                format!("0044{}", &digits[1..]),
            ];
            let number = g.rng.pick(&shapes).clone();
            let (f, l) = (*g.rng.pick(&FIRST), *g.rng.pick(&LAST));
            let name = if g.rng.below(2) == 0 {
                format!("{l}, {f}").to_uppercase()
            } else {
                format!("{f} {l}")
            };
            (
                number,
                name,
                format!("{}.{}{}@example.net", f.to_lowercase(), l.to_lowercase(), n),
            )
        };
        match w {
            Who::Background => background(self),
            Who::Strong(p, k) => {
                let pl = &self.planted[p];
                let shapes = pl.plant.phone_shapes();
                let number = shapes[k % shapes.len()].1.clone();
                let names = pl.plant.name_shapes();
                (number, names[k % 2].clone(), pl.email.clone())
            }
            Who::Mention(p) => {
                let pl = &self.planted[p];
                (
                    pl.plant.national.clone().unwrap_or_default(),
                    String::new(),
                    pl.email.clone(),
                )
            }
            Who::Weak(p) => {
                let (number, _, email) = background(self);
                let names = self.planted[p].plant.name_shapes();
                let name = names[self.rng.below(names.len() as u64) as usize].clone();
                (number, name, email)
            }
        }
    }

    fn row(&mut self, table: &str, w: Who) -> Vec<Option<String>> {
        let (number, name, email) = self.person(w);
        let key = self.rng.guid();
        let at = self.rng.time();
        let duration = (20 + self.rng.below(900)).to_string();
        let answer = self.rng.below(40).to_string();
        let digits: String = number.chars().filter(char::is_ascii_digit).collect();
        let s = |v: &str| Some(v.to_owned());
        // Notes name people in full, as agents write them.
        let full_name = match w {
            Who::Weak(p) => Some(format!(
                "{} {}",
                self.planted[p].plant.first, self.planted[p].plant.last
            )),
            _ => None,
        };
        match table {
            "tblData_CA_Trace" => {
                let account = format!("{:06}", self.rng.below(1_000_000));
                let smdr = format!(" 03/14 09:02P 00:06:41 T201 0 {answer:>3} {:<26} A 2281 {account:<12} 001 {digits}", "");
                vec![
                    s(&key),
                    Some(self.rng.guid()),
                    s(&at),
                    s("Incoming"),
                    s(&number),
                    s(&name),
                    None,
                    s(&account),
                    s(&duration),
                    s(&answer),
                    s("0.0000"),
                    s("1"),
                    s("A"),
                    s(&smdr),
                ]
            }
            "tblData_InboundTrace" => vec![
                s(&key),
                s(&at),
                s(&number),
                s(&name),
                s(CENTER),
                None,
                s(&duration),
                s(&answer),
                s("1"),
            ],
            "tblData_OutboundTrace" => {
                let account = format!("{:06}", self.rng.below(1_000_000));
                vec![
                    s(&key),
                    s(&at),
                    s("External"),
                    s(&format!("9{digits}")),
                    s(&name),
                    s(&account),
                    s(&duration),
                    s("0.1200"),
                ]
            }
            "tblData_VWM_ConditionTrace" => {
                let (ani, variable, value) = match w {
                    Who::Mention(_) => (
                        self.person(Who::Background).0,
                        "CallbackNumber",
                        format!("call back on {number} after 5pm"),
                    ),
                    _ if self.rng.below(2) == 0 => (number.clone(), "CardNumber", self.rng.card()),
                    _ => (
                        number.clone(),
                        "AccountNumber",
                        format!("ACC-{:06}", self.rng.below(1_000_000)),
                    ),
                };
                vec![
                    s(&key),
                    s(&at),
                    s("Main IVR"),
                    s("Collect account"),
                    s(&ani),
                    s(CENTER),
                    s("Sales queue"),
                    s(variable),
                    s(&value),
                ]
            }
            "ConversationSummary" => {
                let address = match w {
                    Who::Strong(_, k) if k % 2 == 1 => email.clone(),
                    _ => number.clone(),
                };
                vec![
                    s(&key),
                    s("MICC01"),
                    s("0"),
                    s("1"),
                    s(&at),
                    s(&at),
                    s(&name),
                    s(&address),
                    s(CENTER),
                    s(&format!("Order enquiry {}", self.rng.below(100_000))),
                    s(&duration),
                ]
            }
            "tblData_LC_Trace" => vec![
                s(&key),
                Some(self.rng.guid()),
                s("0"),
                s(&at),
                s("P7001"),
                s("2281"),
                s(&number),
                s(&name),
                s(CENTER),
                s(&email),
                s(&answer),
                s(&duration),
                s("1"),
            ],
            "tblData_LC_Note" => {
                let text = match w {
                    Who::Weak(_) => format!(
                        "Spoke to {} about the invoice",
                        full_name.unwrap_or_default()
                    ),
                    Who::Strong(_, k) if k % 2 == 1 => format!("Confirmation sent to {email}"),
                    Who::Strong(..) => format!("Customer asked for a call back on {number}"),
                    _ => format!("Order {} shipped", self.rng.below(100_000)),
                };
                vec![s(&key), Some(self.rng.guid()), s(&at), s(&text)]
            }
            "tblData_LC_CallRecording" => {
                let file = format!(
                    "\\\\rec01\\calls\\2024\\03\\14\\{digits}_{}.wav",
                    self.rng.below(1_000_000)
                );
                vec![
                    s(&key),
                    Some(self.rng.guid()),
                    s(&at),
                    s(&duration),
                    s(&format!("R{}", self.rng.below(1_000_000))),
                    s(&file),
                ]
            }
            _ => unreachable!("every table has a row shape"),
        }
    }
}

/// splitmix64: small, fast, the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An upper-case GUID as SQL Server writes one.
    fn guid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        let h = format!("{a:016X}{b:016X}");
        format!(
            "{}-{}-{}-{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..]
        )
    }

    /// A time in March 2024, ISO 8601 (SQL Server reads it into datetime).
    fn time(&mut self) -> String {
        let day = 1 + self.below(28);
        let secs = self.below(86_400);
        format!(
            "2024-03-{day:02}T{:02}:{:02}:{:02}",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }

    /// A card-like number in groups of four (test range 4929…).
    fn card(&mut self) -> String {
        format!(
            "4929 {:04} {:04} {:04}",
            self.below(10_000),
            self.below(10_000),
            self.below(10_000)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_counts_hold() {
        let (a, b) = (generate(1, 50), generate(1, 50));
        assert_eq!(a.tables[0].rows, b.tables[0].rows);
        assert_eq!(a.tables.len(), 8);
        for t in &a.tables {
            for r in &t.rows {
                assert_eq!(r.len(), t.columns.len(), "{}", t.name);
            }
            let planted: usize = a
                .planted
                .iter()
                .map(|p| p.expected[t.name].0 + p.expected[t.name].1)
                .sum();
            assert_eq!(t.rows.len(), 50 + planted, "{}", t.name);
        }
        let john = &a.planted[0];
        assert_eq!(john.expected["tblData_VWM_ConditionTrace"], (3, 0));
        assert_eq!(john.last7(), "2960855");
        assert_eq!(a.planted[1].surname15(), "FEATHERSTONEHAU");
    }
}
