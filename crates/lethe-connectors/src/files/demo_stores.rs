//! The stores of the demo estate, one writer each: filler from
//! [`demo_text`](super::demo_text) with the planted subjects' lines at fixed
//! places. Planted phone numbers are never followed by a separator and more
//! digits, which would make them part of a longer number.

use std::io;
use std::path::Path;

use super::demo::{write, write_gz};
use super::demo_text::{self as text, Clock, Lcg, Stamp, DEPARTMENTS, LOCATIONS, PEOPLE};

/// A log of `lines` filler lines with `plants` (line index, text after the
/// timestamp) in place of some of them.
fn log(
    seed: u64,
    day: u32,
    lines: usize,
    stamp: Stamp,
    filler: fn(&mut Lcg) -> String,
    plants: &[(usize, &str)],
) -> String {
    let (mut rng, mut clock) = (Lcg::new(seed), Clock::new(day));
    let mut out = String::new();
    for i in 0..lines {
        let ts = clock.tick(&mut rng, stamp);
        let body = match plants.iter().find(|(at, _)| *at == i) {
            Some((_, planted)) => (*planted).to_owned(),
            None => filler(&mut rng),
        };
        out.push_str(&format!("{ts} {body}\r\n"));
    }
    out
}

pub(super) fn write_console_logs(dir: &Path) -> io::Result<()> {
    let console = text::console_line;
    write(&dir.join("MiVBConsole.log"), &log(1, 14, 500, Stamp::Console, console, &[
        (40, "INFO  [CallMgr] Incoming call id=4711 ANI=0441632960855 Name=\"SMITH, JOHN\" DNIS=8200 Console=OP1 User=jdoe"),
        (47, "INFO  [CallMgr] Call id=4711 released duration=00:06:41 transferredTo=2282 (\"Jones,Mary\")"),
        (120, "INFO  [Dialer] Outgoing call id=4790 to +44 1632-960855 Console=OP1 User=jdoe"),
        (300, "INFO  [CallMgr] Incoming call id=4911 ANI=901632960977 Name=\"PATEL, PRIYA\" DNIS=8200 Console=OP2 User=akhan"),
        (302, "INFO  [CallMgr] Call id=4911 parked slot=3 for \"Patel,Priya\""),
    ]))?;
    write(&dir.join("MiVBConsole.1.log"), &log(2, 13, 500, Stamp::Console, console, &[
        (10, "INFO  [Directory] Contact card sent to john.smith@example.com User=jdoe"),
        (200, "INFO  [CallMgr] Incoming call id=4502 ANI=01632 960912 Name=\"MARY JONES\" DNIS=8201 Console=OP2 User=akhan"),
        (350, "INFO  [CallMgr] Call id=4530 released duration=00:01:12 transferredTo=2281 (\"Smith,John\")"),
    ]))?;
    write_gz(&dir.join("MiVBConsole.2.log.gz"), &log(3, 12, 500, Stamp::Console, console, &[
        (77, "INFO  [CallMgr] Incoming call id=4301 ANI=0441632960855 Name=\"SMITH, JOHN\" DNIS=8200 Console=OP1 User=jdoe"),
        (78, "INFO  [CallMgr] Call id=4301 released duration=00:02:05 transferredTo=2281 (\"Smith,John\")"),
    ]))
}

pub(super) fn write_collector(dir: &Path) -> io::Result<()> {
    let console = text::console_line;
    write(
        &dir.join("OP1/MiVBConsole.log"),
        &log(
            11,
            14,
            300,
            Stamp::Console,
            console,
            &[(
                50,
                "INFO  [Callback] Callback requested for 01632 960855 by OP1 User=jdoe",
            )],
        ),
    )?;
    write(
        &dir.join("OP2/MiVBConsole.1.log"),
        &log(
            12,
            13,
            300,
            Stamp::Console,
            console,
            &[
                (
                    100,
                    "INFO  [Voicemail] Notification to mary.jones@example.com queued",
                ),
                (
                    101,
                    "INFO  [Reception] Visitor \"Priya Patel\" announced Console=OP2",
                ),
            ],
        ),
    )?;
    write_gz(&dir.join("OP2/MiVBConsole.3.log.gz"), &log(13, 11, 300, Stamp::Console, console, &[
        (5, "INFO  [CallMgr] Incoming call id=4100 ANI=01632 960977 Name=\"PATEL, PRIYA\" DNIS=8200 Console=OP2 User=akhan"),
    ]))
}

/// The ADF fixture of data-map.md A6.1, Mary's entry and fake staff.
pub(super) fn write_adf(dir: &Path) -> io::Result<()> {
    let header = "Last Name,First Name,Number,Department,Location,Email,Tel Dir Name,Unique ID,Home Phone,Licence Plate";
    let mapping = format!(
        "File Format Version,5\r\nData starts on line,2\r\nPrefix Digits,9\r\n{header}\r\nLN,FN,NUM,DEPT,LOC,EMAIL,TDN,UID,NUM,TEXT\r\n"
    );
    write(&dir.join("mapping.csv"), &mapping)?;
    let mut data = format!("{header}\r\n");
    data.push_str("Smith,John,2281,Claims,Leeds,john.smith@example.com,\"Smith,John\",U-000123,01632 960855,AB12 CDE\r\n");
    data.push_str(
        "Jones,Mary,2282,Finance,York,mary.jones@example.com,\"Jones,Mary\",U-000124,,\r\n",
    );
    let mut rng = Lcg::new(21);
    for (i, (first, last, ext, _)) in PEOPLE.iter().enumerate() {
        let home = if rng.below(3) == 0 {
            text::phone(&mut rng)
        } else {
            String::new()
        };
        let plate = if rng.below(4) == 0 {
            format!("YK{} ABC", 10 + rng.below(80))
        } else {
            String::new()
        };
        data.push_str(&format!(
            "{last},{first},{ext},{},{},{}.{}@example.com,\"{last},{first}\",U-000{},{home},{plate}\r\n",
            rng.pick(&DEPARTMENTS),
            rng.pick(&LOCATIONS),
            first.to_lowercase(),
            last.to_lowercase(),
            200 + i
        ));
    }
    write(&dir.join("Directory.csv"), &data)
}

/// The comments fixture of A6.2, a multi-line comment and filler.
pub(super) fn write_comments(dir: &Path) -> io::Result<()> {
    let mut data = String::from("UniqueID,Modified,Operator,Comment\r\n");
    data.push_str("U-000123,2024-03-14T09:10:00Z,op1,\"Prefers mobile 07700 900123; wife Anna calls on Fridays\"\r\n");
    data.push_str("U-000123,2024-03-15T11:02:00Z,op2,\"John Smith asked us to use john.smith@example.com for callbacks\"\r\n");
    data.push_str("U-000124,2024-03-15T11:30:00Z,op1,Out of office until Monday\r\n");
    data.push_str("U-000205,2024-03-16T09:00:00Z,op1,\"Deliveries to loading bay B\r\nafter 2pm only, \"\"signed for\"\" by reception\"\r\n");
    data.push_str("U-000131,2024-03-16T08:45:00Z,op2,\"Visitor Priya Patel expected at reception, Tuesday\"\r\n");
    let mut rng = Lcg::new(31);
    for i in 0..10 {
        data.push_str(&format!(
            "U-000{},2024-03-1{}T10:00:00Z,op{},\"{}\"\r\n",
            200 + i,
            i % 8,
            1 + i % 2,
            text::note(&mut rng)
        ));
    }
    write(&dir.join("Comments.csv"), &data)
}

pub(super) fn scratch_pad() -> String {
    let mut rng = Lcg::new(41);
    let mut lines: Vec<String> = (0..40).map(|_| text::note(&mut rng)).collect();
    lines[5] = "Call back John Smith on 01632 960855 re parking permit".to_owned();
    lines[12] = "Priya Patel (facilities) - ask about visitor badges".to_owned();
    lines[20] = "Mary Jones: send the minutes to mary.jones@example.com".to_owned();
    lines.join("\r\n") + "\r\n"
}

pub(super) fn write_suite(dir: &Path) -> io::Result<()> {
    let server = text::server_line;
    write(&dir.join("logs/MiCCBServer.log"), &log(51, 14, 400, Stamp::Console, server, &[
        (30, "INFO  ContactService - Contact created id=C-88121 email=john.smith@example.com phone=+44 1632-960855 source=WebChat"),
        (90, "WARN  Routing - Email from mary.jones@example.com queued to Q-Finance"),
    ]))?;
    write(
        &dir.join("logs/MiCCBServer.1.log"),
        &log(
            52,
            13,
            400,
            Stamp::Console,
            server,
            &[
                (
                    15,
                    "INFO  ChatService - Chat 55120 visitor name=\"Priya Patel\" queue=Facilities",
                ),
                (
                    16,
                    "INFO  Callback - Scheduled callback to 01632 960977 at 14:00",
                ),
            ],
        ),
    )?;
    let mut rng = Lcg::new(61);
    let john = text::iis(
        &mut rng,
        "/CCMWeb/api/contacts",
        "q=john.smith@example.com",
        "jdoe",
    );
    let mary = text::iis(
        &mut rng,
        "/CCMWeb/api/contacts/search",
        "phone=01632960912&scope=all",
        "akhan",
    );
    let mut iis = String::from(
        "#Software: Microsoft Internet Information Services 10.0\r\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\r\n",
    );
    iis.push_str(&log(
        62,
        14,
        300,
        Stamp::Iis,
        text::iis_line,
        &[(100, &john), (180, &mary)],
    ));
    write(&dir.join("iis/W3SVC1/u_ex240314.log"), &iis)?;
    write(
        &dir.join("search/elasticsearch.log"),
        &log(
            71,
            14,
            200,
            Stamp::Search,
            text::search_line,
            &[
                (40, "[INFO ][audit] query=\"Jones,Mary\" user=agent3 hits=1"),
                (
                    41,
                    "[INFO ][audit] query=\"01632 960977\" user=agent1 hits=2",
                ),
            ],
        ),
    )
}
