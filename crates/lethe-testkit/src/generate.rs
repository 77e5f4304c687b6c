//! A deterministic generator of console call-history rows: the same seed
//! gives the same rows on every machine, so tests, the demo and the
//! benchmark can state exact counts.
//!
//! Background rows use Ofcom's drama ranges in every shape the estate
//! writes numbers (E.164, national with spaces, digits only, `0`/`00`
//! international prefixes, `9` trunk prefix), upper-case caller-ID names
//! cut at 15 characters, internal extensions, transfers and a pool of
//! operator logins. [`Plant`]s are people placed on purpose: each has
//! `strong` rows holding its number (or its login) in a rotating shape and
//! column, and `weak` rows holding only its name, and appears nowhere else.

/// One row of `call_history`, as the loader writes it (`id` is assigned by
/// the table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRow {
    pub console_id: String,
    pub operator_login: Option<String>,
    /// Seconds since the Unix epoch, UTC.
    pub call_start: i64,
    pub call_answer: Option<i64>,
    pub call_end: Option<i64>,
    pub duration_s: Option<i32>,
    pub direction: &'static str,
    pub caller_number: Option<String>,
    pub caller_name: Option<String>,
    pub called_number: Option<String>,
    pub called_name: Option<String>,
    pub dialed_digits: Option<String>,
    pub trunk: Option<String>,
    pub disposition: &'static str,
    pub transferred_to_number: Option<String>,
    pub transferred_to_name: Option<String>,
    pub company_name: Option<String>,
}

/// A person planted in the data with known counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plant {
    pub first: String,
    pub last: String,
    /// A UK national number as written, `01632 960855`; `None` for an
    /// employee known by login only.
    pub national: Option<String>,
    /// A directory account (`CORP\jdoe`) the person handles calls under.
    pub login: Option<String>,
    /// Rows holding the number (or, without one, the login).
    pub strong: usize,
    /// Rows holding only the name, with someone else's number.
    pub weak: usize,
}

impl Plant {
    /// A caller planted with `strong` and `weak` rows.
    pub fn caller(first: &str, last: &str, national: &str, strong: usize, weak: usize) -> Self {
        Self {
            first: first.to_owned(),
            last: last.to_owned(),
            national: Some(national.to_owned()),
            login: None,
            strong,
            weak,
        }
    }

    /// An operator planted as the handler of `strong` calls.
    pub fn operator(first: &str, last: &str, login: &str, strong: usize) -> Self {
        Self {
            first: first.to_owned(),
            last: last.to_owned(),
            national: None,
            login: Some(login.to_owned()),
            strong,
            weak: 0,
        }
    }

    /// The national number, digits only (`01632960855`).
    pub fn national_digits(&self) -> Option<String> {
        self.national
            .as_ref()
            .map(|n| n.chars().filter(char::is_ascii_digit).collect())
    }

    /// E.164 (`+441632960855`).
    pub fn e164(&self) -> Option<String> {
        self.national_digits().map(|d| format!("+44{}", &d[1..]))
    }

    /// The shapes a strong row writes the number in, in rotation order:
    /// (column, value). The tests' independent counts list the same shapes
    /// as literals.
    pub fn phone_shapes(&self) -> Vec<(&'static str, String)> {
        let (Some(spaced), Some(digits), Some(e164)) =
            (self.national.clone(), self.national_digits(), self.e164())
        else {
            return Vec::new();
        };
        let intl = &e164[1..];
        vec![
            ("caller_number", e164.clone()),
            ("caller_number", spaced.clone()),
            ("caller_number", digits.clone()),
            ("caller_number", format!("0{intl}")),
            ("caller_number", format!("00{intl}")),
            ("dialed_digits", format!("9{digits}")),
            ("transferred_to_number", format!("+44 {}", &spaced[1..])),
            (
                "called_number",
                format!("({}) {}", &spaced[..5], &spaced[6..]),
            ),
        ]
    }

    /// The caller-ID name shapes weak rows use, in rotation order.
    pub fn name_shapes(&self) -> Vec<String> {
        let (f, l) = (&self.first, &self.last);
        vec![
            cut15(&format!("{l}, {f}").to_uppercase()),
            format!("{f} {l}").to_uppercase(),
            format!("{l},{f}"),
            format!("{f} {l}"),
            format!("{l}, {f}"),
        ]
    }
}

/// The PBX's 15-character caller-ID name field.
fn cut15(s: &str) -> String {
    s.chars().take(15).collect()
}

/// A fixture: `rows` rows in total, planted rows spread evenly among them.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub rows: usize,
    pub seed: u64,
    pub plants: Vec<Plant>,
}

impl Fixture {
    /// The standard plants: two callers (one with a long name the PBX
    /// cuts) and one operator.
    pub fn standard(rows: usize) -> Self {
        Self {
            rows,
            seed: 0x1e7e,
            plants: vec![
                Plant::caller("John", "Featherstone", "01632 960855", 16, 5),
                Plant::caller("Maximilian", "Wolfeschlegelstein", "07700 900123", 8, 4),
                Plant::operator("Anna", "Quennell", "CORP\\aquennell", 6),
            ],
        }
    }

    /// Every row, planted ones included, in load order.
    pub fn rows(&self) -> impl Iterator<Item = CallRow> + '_ {
        let planted: Vec<(usize, bool)> = self
            .plants
            .iter()
            .enumerate()
            .flat_map(|(p, plant)| {
                (0..plant.strong)
                    .map(move |_| (p, true))
                    .chain((0..plant.weak).map(move |_| (p, false)))
            })
            .collect();
        let total = self.rows.max(planted.len());
        let mut rng = Rng(self.seed);
        let mut reserved: Vec<String> = self
            .plants
            .iter()
            .filter_map(Plant::national_digits)
            .collect();
        reserved.sort();
        let mut next_plant = 0;
        let mut shape = vec![0usize; self.plants.len()];
        (0..total).map(move |i| {
            let mut row = background(&mut rng, i, &reserved);
            // Planted row j goes at position j * total / planted.
            let due = next_plant < planted.len() && i >= next_plant * total / planted.len().max(1);
            if due {
                let (p, strong) = planted[next_plant];
                next_plant += 1;
                let k = shape[p];
                shape[p] += 1;
                plant_into(&mut row, &self.plants[p], strong, k);
            }
            row
        })
    }
}

/// Writes plant `p` into `row`: shape `k` of its strong or weak rotation.
fn plant_into(row: &mut CallRow, p: &Plant, strong: bool, k: usize) {
    if !strong {
        let names = p.name_shapes();
        row.caller_name = Some(names[k % names.len()].clone());
        return;
    }
    if let Some(login) = &p.login {
        row.operator_login = Some(login.clone());
        return;
    }
    let shapes = p.phone_shapes();
    let (column, value) = &shapes[k % shapes.len()];
    let name = cut15(&format!("{}, {}", p.last, p.first).to_uppercase());
    match *column {
        "caller_number" => {
            row.direction = "in";
            row.caller_number = Some(value.clone());
            row.caller_name = (k % 3 != 2).then_some(name);
        }
        "dialed_digits" => {
            row.direction = "out";
            row.caller_number = Some("2201".to_owned());
            row.caller_name = Some("RECEPTION".to_owned());
            row.dialed_digits = Some(value.clone());
            row.called_number = p.national.clone();
            row.called_name = Some(name);
        }
        "called_number" => {
            row.direction = "out";
            row.caller_number = Some("2202".to_owned());
            row.called_number = Some(value.clone());
            row.dialed_digits = None;
        }
        _ => {
            row.disposition = "transferred";
            row.transferred_to_number = Some(value.clone());
            row.transferred_to_name = Some(format!("{},{}", p.last, p.first));
        }
    }
}

/// SplitMix64: tiny, fast and the same everywhere.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Ofcom drama ranges: (national prefix, digits after it); the last three
/// digits vary.
const RANGES: [(&str, &str); 14] = [
    ("0113", "4960"),
    ("0114", "4960"),
    ("0115", "4960"),
    ("0116", "4960"),
    ("0117", "4960"),
    ("0118", "4960"),
    ("0121", "4960"),
    ("0131", "4960"),
    ("0141", "4960"),
    ("0161", "4960"),
    ("020", "79460"),
    ("01632", "960"),
    ("07700", "900"),
    ("0191", "4980"),
];

const FIRST: [&str; 24] = [
    "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William",
    "Susan", "Richard", "Karen", "Thomas", "Sarah", "Daniel", "Lisa", "Mohammed", "Aisha",
    "Oliver", "Amelia", "Priya", "Wei", "Siobhan", "Tomasz",
];
const LAST: [&str; 24] = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Wood", "Jackson", "Clarke", "Khan", "O'Neill", "Kowalski",
];
const LOGINS: [&str; 8] = [
    "op01",
    "op02",
    "op03",
    "op04",
    "CORP\\jmorris",
    "CORP\\lchen",
    "corp\\rpatel",
    "op05",
];
const COMPANIES: [&str; 5] = ["ACME LTD", "NORTHWIND", "CONTOSO", "FABRIKAM", "GLOBEX"];
/// Internal extensions of the directory: (number, `Lastname,Firstname`).
const STAFF: [(&str, &str); 6] = [
    ("2281", "Jones,Mary"),
    ("2282", "Okafor,Chidi"),
    ("2290", "Nowak,Ewa"),
    ("2301", "Hughes,Gareth"),
    ("2310", "Ahmed,Sana"),
    ("2400", "Murphy,Sean"),
];

/// 2024-01-01 00:00:00 UTC.
const START: i64 = 1_704_067_200;

/// A background row: nobody planted.
fn background(rng: &mut Rng, i: usize, reserved: &[String]) -> CallRow {
    let call_start = START + i as i64 * 31 + rng.below(30) as i64;
    let disposition = match rng.below(10) {
        0 => "abandoned",
        1 | 2 => "transferred",
        _ => "answered",
    };
    let answered = disposition != "abandoned";
    let ring = rng.below(40) as i64;
    let duration = if answered {
        5 + rng.below(900) as i32
    } else {
        0
    };
    let (transferred_to_number, transferred_to_name) = if disposition == "transferred" {
        let (n, name) = rng.pick(&STAFF);
        (Some((*n).to_owned()), Some((*name).to_owned()))
    } else {
        (None, None)
    };
    let direction = match rng.below(10) {
        0 | 1 => "out",
        2 => "internal",
        _ => "in",
    };
    let mut row = CallRow {
        console_id: format!("CONSOLE-{}", 1 + rng.below(6)),
        operator_login: (rng.below(20) != 0).then(|| (*rng.pick(&LOGINS)).to_owned()),
        call_start,
        call_answer: answered.then_some(call_start + ring),
        call_end: Some(call_start + ring + i64::from(duration)),
        duration_s: Some(duration),
        direction,
        caller_number: None,
        caller_name: None,
        called_number: None,
        called_name: None,
        dialed_digits: None,
        trunk: Some(format!("T{}", 1 + rng.below(8))),
        disposition,
        transferred_to_number,
        transferred_to_name,
        company_name: (rng.below(4) == 0).then(|| (*rng.pick(&COMPANIES)).to_owned()),
    };
    let (ext, staff) = rng.pick(&STAFF);
    match direction {
        "in" => {
            row.caller_number = Some(number(rng, reserved));
            row.caller_name = caller_id(rng);
            row.called_number = Some("2200".to_owned());
        }
        "out" => {
            let n = number(rng, reserved);
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            row.caller_number = Some((*ext).to_owned());
            row.caller_name = Some(staff.to_uppercase());
            row.dialed_digits = Some(if digits.starts_with('0') {
                format!("9{digits}")
            } else {
                digits
            });
            row.called_number = Some(n);
        }
        _ => {
            row.trunk = None;
            row.caller_number = Some((*ext).to_owned());
            row.caller_name = Some(staff.to_uppercase());
            row.called_number = Some("2200".to_owned());
        }
    }
    row
}

/// A caller-ID name in one of the shapes the PBX presents, or none.
fn caller_id(rng: &mut Rng) -> Option<String> {
    let (f, l) = (rng.pick(&FIRST), rng.pick(&LAST));
    Some(match rng.below(8) {
        0 => return None,
        1 => "UNKNOWN".to_owned(),
        2 => "WIRELESS CALLER".to_owned(),
        3 => format!("{f} {l}").to_uppercase(),
        4 => format!("{l},{f}"),
        _ => cut15(&format!("{l}, {f}").to_uppercase()),
    })
}

/// A drama-range number not reserved for a plant, in a random shape.
fn number(rng: &mut Rng, reserved: &[String]) -> String {
    loop {
        let (prefix, mid) = rng.pick(&RANGES);
        let national = format!("{prefix}{mid}{:03}", rng.below(1000));
        if reserved.binary_search(&national).is_ok() {
            continue;
        }
        let intl = format!("44{}", &national[1..]);
        return match rng.below(6) {
            0 => format!("+{intl}"),
            1 => format!("{prefix} {}", &national[prefix.len()..]),
            2 => national,
            3 => format!("0{intl}"),
            4 => format!("00{intl}"),
            _ => format!("9{national}"),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_counts_hold() {
        let f = Fixture::standard(2_000);
        let a: Vec<CallRow> = f.rows().collect();
        assert_eq!(a, f.rows().collect::<Vec<_>>());
        assert_eq!(a.len(), 2_000);
        let john = &f.plants[0];
        let digits = |s: &Option<String>| {
            s.as_deref()
                .map(|s| s.chars().filter(char::is_ascii_digit).collect::<String>())
        };
        let nat = john.national_digits().unwrap();
        let intl = &nat[1..];
        let holds = |s: &Option<String>| digits(s).is_some_and(|d| d.ends_with(intl));
        let strong = a
            .iter()
            .filter(|r| {
                holds(&r.caller_number)
                    || holds(&r.called_number)
                    || holds(&r.dialed_digits)
                    || holds(&r.transferred_to_number)
            })
            .count();
        assert_eq!(strong, john.strong);
        let login = a
            .iter()
            .filter(|r| r.operator_login.as_deref() == Some("CORP\\aquennell"))
            .count();
        assert_eq!(login, 6);
        let weak_names = john.name_shapes();
        let named = a
            .iter()
            .filter(|r| {
                r.caller_name
                    .as_ref()
                    .is_some_and(|n| weak_names.contains(n))
                    && !holds(&r.caller_number)
            })
            .count();
        assert_eq!(named, john.weak);
    }
}
