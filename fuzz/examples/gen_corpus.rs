//! Writes the committed seed corpora under `fuzz/seeds/<target>/` from the real crate, then
//! replays every seed (and every file under `fuzz/regressions/<target>/`) through its target's
//! logic, checking that the valid seeds really open and the near-valid ones really do not.
//!
//! Run from `fuzz/`: `cargo run --example gen_corpus` (rewrites the seeds; the sealed ones get
//! fresh nonces), `cargo run --example gen_corpus -- --only key_file,server_side` (rewrites only
//! those targets' seeds, then replays everything), or `cargo run --example gen_corpus -- --check`
//! (only replays what is on disk).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sealed_session::key_file::{MAX_SESSION_LIFETIME_LIMIT, RingDocument};
use sealed_session::store::{MemoryStore, Store as _};
use sealed_session::web::{Driver, Field, Lines};
use sealed_session::{ManualClock, ServerSide, SessionCookie, Subject};
use sealed_session_fuzz::arb_encode::Enc;
use sealed_session_fuzz::fixtures::{self, NOW, Session};
use sealed_session_fuzz::targets::chunks::{
    self, ChunkCookie, ChunkName, ChunkSet, ChunkValue, K, Outcome, Sep,
};
use sealed_session_fuzz::targets::signed_verify::{self, Edit, EditOp, Layer, Mutation};
use sealed_session_fuzz::targets::{cookie_header, key_file, open_value, roundtrip, server_side};

const TARGETS: [&str; 7] = [
    "open_value",
    "cookie_header",
    "chunks",
    "signed_verify",
    "roundtrip",
    "key_file",
    "server_side",
];

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn write_all(target: &str, seeds: &[(String, Vec<u8>)]) {
    let dir = fuzz_dir().join("seeds").join(target);
    if dir.exists() {
        fs::remove_dir_all(&dir).expect("remove old seeds");
    }
    fs::create_dir_all(&dir).expect("create seed dir");
    let mut total = 0;
    for (name, bytes) in seeds {
        fs::write(dir.join(name), bytes).expect("write seed");
        total += bytes.len();
    }
    assert!(total < 50_000, "{target}: seeds are {total} bytes");
    println!("{target}: {} seeds, {total} bytes", seeds.len());
}

fn seed(name: &str, bytes: impl Into<Vec<u8>>) -> (String, Vec<u8>) {
    (name.to_owned(), bytes.into())
}

fn reencode(value: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let mut raw = URL_SAFE_NO_PAD.decode(value).expect("valid");
    edit(&mut raw);
    URL_SAFE_NO_PAD.encode(raw)
}

fn flip_char(value: &str, at: usize) -> String {
    let mut b = value.as_bytes().to_vec();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    String::from_utf8(b).expect("ascii")
}

// ---- open_value ----------------------------------------------------------------------------

fn open_value_seeds() -> Vec<(String, Vec<u8>)> {
    let ring = fixtures::ring();
    let sealer = fixtures::sealer(ring.clone());
    let signer = fixtures::signer(ring.clone());
    let s = |i: u8| fixtures::sample_session(i, 1);
    let primary = sealer.seal(&s(0)).expect("fits").into_value();
    let old = fixtures::sealer(fixtures::ring_of(fixtures::key_old()))
        .seal(&s(1))
        .expect("fits")
        .into_value();
    let next = fixtures::sealer(fixtures::ring_of(fixtures::key_next()))
        .seal(&s(2))
        .expect("fits")
        .into_value();
    let retired = fixtures::sealer(fixtures::ring_of(fixtures::key_retired()))
        .seal(&s(3))
        .expect("fits")
        .into_value();
    let large = sealer
        .seal(&fixtures::sample_session(3, 30))
        .expect("fits")
        .into_value();
    let signed = signer.sign(&s(1)).expect("fits").into_value();
    let at = |now: u64| {
        fixtures::builder(
            ring.clone(),
            fixtures::SEALED_NAME,
            fixtures::SEALED_PURPOSE,
            now,
        )
        .build()
        .expect("valid")
    };
    let expired = at(NOW - 9 * 3600).seal(&s(0)).expect("fits").into_value();
    let renewal_due = at(NOW - 600).seal(&s(0)).expect("fits").into_value();
    let future = at(NOW + 3600).seal(&s(0)).expect("fits").into_value();
    let other_name = fixtures::other_sealer(ring.clone())
        .seal(&s(0))
        .expect("fits")
        .into_value();
    let wrong_type = sealer
        .seal(&("not", "a session"))
        .expect("fits")
        .into_value();
    // A session of a subject, begun past the start of its second: the value carries the creation
    // millisecond (flag 0x40, two bytes from 128), in both modes.
    let subject = Subject::new("user-7").expect("a valid subject");
    let clock = ManualClock::new(NOW);
    clock.set_millis(NOW * 1000 + 250);
    let subject_sealed = fixtures::builder(
        ring.clone(),
        fixtures::SEALED_NAME,
        fixtures::SEALED_PURPOSE,
        NOW,
    )
    .clock(clock.clone())
    .build()
    .expect("valid")
    .seal_for(&subject, &s(2))
    .expect("fits")
    .into_value();
    let subject_signed = fixtures::signer_builder(
        ring.clone(),
        fixtures::SIGNED_NAME,
        fixtures::SIGNED_PURPOSE,
        NOW,
    )
    .clock(clock)
    .build()
    .expect("valid")
    .sign_for(&subject, &s(3))
    .expect("fits")
    .into_value();
    let mid = primary.len() / 2;
    let next_id = fixtures::key_next().id().to_bytes();
    vec![
        seed("sealed-primary", primary.clone()),
        seed("sealed-old-key", old),
        seed("sealed-next-key", next),
        seed("sealed-large", large),
        seed("sealed-renewal-due", renewal_due),
        seed("signed-primary", signed.clone()),
        seed("sealed-subject-millis", subject_sealed.clone()),
        seed("signed-subject-millis", subject_signed.clone()),
        seed("near-flipped-char", flip_char(&primary, mid)),
        seed("near-flipped-tag", flip_char(&primary, primary.len() - 3)),
        seed("near-truncated-1", &primary[..primary.len() - 1]),
        seed("near-truncated-4", &primary[..primary.len() - 4]),
        seed("near-version-2", reencode(&primary, |r| r[0] = 0x02)),
        seed("near-version-signed", reencode(&primary, |r| r[0] = 0x81)),
        seed("near-signed-version-1", reencode(&signed, |r| r[0] = 0x01)),
        // The creation millisecond's flag cleared, or set without one: authenticated, so refused.
        seed(
            "near-millis-flag-cleared",
            reencode(&subject_sealed, |r| r[0] &= !0x40),
        ),
        seed("near-millis-flag-set", reencode(&primary, |r| r[0] |= 0x40)),
        seed(
            "near-signed-millis-flag-cleared",
            reencode(&subject_signed, |r| r[0] &= !0x40),
        ),
        // Flag 0x40 on a byte that names no suite: still reserved.
        seed("near-millis-no-suite", reencode(&primary, |r| r[0] = 0x43)),
        seed("near-unknown-key", retired),
        seed(
            "near-other-key-id",
            reencode(&primary, |r| r[1..5].copy_from_slice(&next_id)),
        ),
        seed("near-padded", format!("{primary}==")),
        seed("near-trailing-bits", {
            // 4k+2 or 4k+3 characters: bump the last one so unused bits are set.
            let mut v = primary.clone().into_bytes();
            let last = v.len() - 1;
            v[last] = if v[last] == b'_' { b'A' } else { v[last] + 1 };
            v
        }),
        seed(
            "near-std-alphabet",
            primary.replace('-', "+").replace('_', "/"),
        ),
        seed("near-expired", expired),
        seed("near-not-yet-valid", future),
        seed("near-other-cookie-name", other_name),
        seed("near-wrong-type", wrong_type),
        seed("near-whitespace", format!(" {primary}")),
        seed("short-garbage", "garbage"),
        seed("empty", ""),
        seed("oversized", "A".repeat(4090)),
    ]
}

// ---- cookie_header -------------------------------------------------------------------------

type Pairs = Vec<(String, String)>;

/// The `Set-Cookie` lines of a request without cookies whose handler starts a session of `state`
/// in `cookie`, through the request driver as a web adapter runs it.
fn set_cookies(cookie: &SessionCookie, state: Session) -> Vec<String> {
    let driver = Driver::new(cookie.clone());
    let session = driver.begin::<Session, &[u8]>([]);
    fixtures::now(Driver::load(&session)).expect("no store");
    session.replace(state).expect("fits");
    let mut response = Lines::new(200);
    fixtures::now(driver.end(&session, &mut response));
    response.header(Field::SetCookie)
}

fn set_cookie_pairs(set: &[String]) -> Pairs {
    set.iter()
        .filter_map(|line| {
            let first = line.split(';').next()?;
            let (n, v) = first.split_once('=')?;
            (!v.is_empty()).then(|| (n.to_owned(), v.to_owned()))
        })
        .collect()
}

fn join(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn cookie_header_seeds() -> Vec<(String, Vec<u8>)> {
    let ring = fixtures::ring();
    let chunked = fixtures::chunked_cookie(ring.clone(), NOW);
    let big = fixtures::sample_session(3, 100);
    let a = set_cookie_pairs(&set_cookies(&chunked, big.clone()));
    let b = set_cookie_pairs(&set_cookies(&chunked, big));
    assert!(
        a.len() >= 3,
        "the chunked seed needs several chunks: {}",
        a.len()
    );
    let small = set_cookie_pairs(&set_cookies(&chunked, fixtures::sample_session(0, 1)));
    let single = set_cookie_pairs(&set_cookies(
        &fixtures::single_cookie(ring.clone(), NOW),
        fixtures::sample_session(1, 1),
    ));
    let signed = set_cookie_pairs(&set_cookies(
        &fixtures::signed_cookie(ring.clone(), NOW),
        fixtures::sample_session(2, 1),
    ));
    let k = a.len();
    let with = |f: &dyn Fn(&mut Pairs)| {
        let mut v = a.clone();
        f(&mut v);
        join(&v)
    };
    let mut reversed = a.clone();
    reversed.reverse();
    let quoted: Vec<(String, String)> = a
        .iter()
        .map(|(n, v)| (n.clone(), format!("\"{v}\"")))
        .collect();
    let everything = format!(
        "theme=dark; {}; lang=en; {}; {}",
        join(&a),
        join(&single),
        join(&signed)
    );
    vec![
        seed("chunked-in-order", join(&a)),
        seed("chunked-reversed", join(&reversed)),
        seed("chunked-quoted-tabs", join(&quoted).replace("; ", ";\t ")),
        seed("unchunked-small", join(&small)),
        seed("single-and-signed", everything),
        seed(
            "near-duplicated-chunk",
            with(&|v| {
                let c = v[1].clone();
                v.push(c)
            }),
        ),
        seed(
            "near-missing-chunk",
            with(&|v| {
                v.remove(k - 1);
            }),
        ),
        seed(
            "near-extra-chunk",
            with(&|v| v.push((format!("sid.{k}"), "AAAA".to_owned()))),
        ),
        seed(
            "near-chunk-out-of-range",
            with(&|v| v.push(("sid.7".to_owned(), "AAAA".to_owned()))),
        ),
        seed(
            "near-leading-zero-count",
            with(&|v| v[0].1 = format!("0{}", v[0].1)),
        ),
        seed(
            "near-wrong-count",
            with(&|v| v[0].1 = v[0].1.replacen(&format!("{k}."), &format!("{}.", k - 1), 1)),
        ),
        seed(
            "near-no-first-cookie",
            with(&|v| {
                v.remove(0);
            }),
        ),
        seed("near-mixed-sessions", with(&|v| v[1] = b[1].clone())),
        seed(
            "near-swapped-chunks",
            with(&|v| {
                let one = v[1].1.clone();
                v[1].1 = v[2].1.clone();
                v[2].1 = one;
            }),
        ),
        seed(
            "near-zero-padded-name",
            with(&|v| v[1].0 = "sid.01".to_owned()),
        ),
        seed(
            // The same authentic value with the last boundary moved 5 characters left: not the
            // writer's split (FORMAT.md: splits are canonical).
            "near-resplit",
            with(&|v| {
                let at = v[k - 2].1.len() - 5;
                let moved = v[k - 2].1.split_off(at);
                v[k - 1].1.insert_str(0, &moved);
            }),
        ),
        seed(
            "near-duplicate-single",
            format!("{}; {}", join(&single), join(&single)),
        ),
        seed("junk", "a=1; b; =c; d=\"e\"; ;; f = g ; sid"),
        seed("empty", ""),
    ]
}

// ---- chunks --------------------------------------------------------------------------------

fn enc_name(e: &mut Enc, n: &ChunkName) {
    match n {
        ChunkName::Base => e.variant(0, 6),
        ChunkName::Index(i) => e.variant(1, 6).u8(*i),
        ChunkName::ZeroPadded(i) => e.variant(2, 6).u8(*i),
        ChunkName::Dotted => e.variant(3, 6),
        ChunkName::Upper => e.variant(4, 6),
        ChunkName::Other(_) => unreachable!("no strings in encoded seeds"),
    };
}

fn enc_value(e: &mut Enc, v: &ChunkValue) {
    match v {
        ChunkValue::Real { session, chunk } => e.variant(0, 8).u8(*session).u8(*chunk),
        ChunkValue::Part { session, chunk } => e.variant(1, 8).u8(*session).u8(*chunk),
        ChunkValue::Marked {
            count,
            session,
            chunk,
        } => e.variant(2, 8).u8(*count).u8(*session).u8(*chunk),
        ChunkValue::Slice {
            session,
            chunk,
            start,
            end,
        } => e.variant(3, 8).u8(*session).u8(*chunk).u8(*start).u8(*end),
        ChunkValue::Resplit { session, chunk } => e.variant(4, 8).u8(*session).u8(*chunk),
        ChunkValue::Joined { session } => e.variant(5, 8).u8(*session),
        ChunkValue::Junk(_) => unreachable!("no strings in encoded seeds"),
        ChunkValue::Empty => e.variant(7, 8),
    };
}

fn enc_chunk_set(set: &ChunkSet) -> Vec<u8> {
    let mut e = Enc::new();
    e.u8(set.shift);
    let sep = match set.sep {
        Sep::Semi => 0,
        Sep::SemiSpace => 1,
        Sep::SemiTab => 2,
        Sep::SpaceSemiSpace => 3,
    };
    e.variant(sep, 4);
    for c in &set.cookies {
        e.more();
        enc_name(&mut e, &c.name);
        enc_value(&mut e, &c.value);
        e.bool(c.quoted);
    }
    let bytes = e.finish();
    let back = ChunkSet::arbitrary_take_rest(Unstructured::new(&bytes)).expect("decodes");
    assert_eq!(&back, set, "arbitrary reads the seed back as written");
    bytes
}

fn name_of(i: usize) -> ChunkName {
    if i == 0 {
        ChunkName::Base
    } else {
        ChunkName::Index((i - 1) as u8)
    }
}

fn real_set(session: u8, order: &[usize], quoted: bool) -> Vec<ChunkCookie> {
    order
        .iter()
        .map(|&i| ChunkCookie {
            name: name_of(i),
            value: ChunkValue::Real {
                session,
                chunk: i as u8,
            },
            quoted,
        })
        .collect()
}

fn chunks_seeds() -> Vec<(String, Vec<u8>, Outcome)> {
    let in_order: Vec<usize> = (0..K).collect();
    let set = |shift: u8, sep: Sep, cookies: Vec<ChunkCookie>| ChunkSet {
        shift,
        sep,
        cookies,
    };
    let opened = |n: usize| Outcome::Opened { n };
    let mut out = Vec::new();
    let mut add = |name: &str, s: ChunkSet, expect: Outcome| {
        out.push((name.to_owned(), enc_chunk_set(&s), expect));
    };
    add(
        "exact-in-order",
        set(0, Sep::SemiSpace, real_set(0, &in_order, false)),
        opened(0),
    );
    add(
        "exact-reversed-quoted",
        set(0, Sep::SemiTab, real_set(1, &[3, 2, 1, 0], true)),
        opened(1),
    );
    let mut surrounded = vec![ChunkCookie {
        name: ChunkName::ZeroPadded(1),
        value: ChunkValue::Part {
            session: 0,
            chunk: 1,
        },
        quoted: false,
    }];
    surrounded.extend(real_set(2, &[1, 0, 3, 2], false));
    surrounded.push(ChunkCookie {
        name: ChunkName::Upper,
        value: ChunkValue::Empty,
        quoted: false,
    });
    add(
        "exact-among-others",
        set(0, Sep::Semi, surrounded),
        opened(2),
    );
    let mut mixed = real_set(0, &in_order, false);
    mixed[2].value = ChunkValue::Real {
        session: 1,
        chunk: 2,
    };
    add(
        "near-mixed-sessions",
        set(0, Sep::SemiSpace, mixed),
        Outcome::RefusedByOpen,
    );
    let mut dup = real_set(0, &in_order, false);
    dup.push(dup[1].clone());
    add(
        "near-duplicated-chunk",
        set(0, Sep::SemiSpace, dup),
        Outcome::RefusedBeforeDecoding,
    );
    add(
        "near-missing-chunk",
        set(0, Sep::SemiSpace, real_set(0, &[0, 1, 3], false)),
        Outcome::RefusedBeforeDecoding,
    );
    let mut extra = real_set(0, &in_order, false);
    extra.push(ChunkCookie {
        name: ChunkName::Index(K as u8 - 1),
        value: ChunkValue::Real {
            session: 0,
            chunk: 3,
        },
        quoted: false,
    });
    add(
        "near-extra-chunk",
        set(0, Sep::SemiSpace, extra),
        Outcome::RefusedBeforeDecoding,
    );
    let mut wrong_count = real_set(0, &in_order, false);
    wrong_count[0].value = ChunkValue::Marked {
        count: 3,
        session: 0,
        chunk: 0,
    };
    add(
        "near-wrong-count",
        set(0, Sep::SemiSpace, wrong_count),
        Outcome::RefusedBeforeDecoding,
    );
    let mut swapped = real_set(0, &in_order, false);
    swapped[1].value = ChunkValue::Real {
        session: 0,
        chunk: 2,
    };
    swapped[2].value = ChunkValue::Real {
        session: 0,
        chunk: 1,
    };
    add(
        "near-swapped-chunks",
        set(0, Sep::SemiSpace, swapped),
        Outcome::RefusedByOpen,
    );
    let mut sliced = real_set(0, &in_order, false);
    sliced[3].value = ChunkValue::Slice {
        session: 0,
        chunk: 3,
        start: 0,
        end: 20,
    };
    add(
        "near-truncated-last",
        set(0, Sep::SemiSpace, sliced),
        Outcome::RefusedByOpen,
    );
    let resplit: Vec<ChunkCookie> = (0..K)
        .map(|i| ChunkCookie {
            name: name_of(i),
            value: ChunkValue::Resplit {
                session: 0,
                chunk: i as u8,
            },
            quoted: false,
        })
        .collect();
    // Shift 0 is the writer's split itself; any other shift joins to the same authentic value
    // but is not the writer's split (FORMAT.md: splits are canonical), so it is refused.
    add(
        "resplit-shift-0",
        set(0, Sep::SemiSpace, resplit.clone()),
        opened(0),
    );
    add(
        "near-resplit-shift-1",
        set(1, Sep::SemiSpace, resplit.clone()),
        Outcome::NonCanonical { authentic: true },
    );
    add(
        "near-resplit-shift-5",
        set(5, Sep::SemiSpace, resplit),
        Outcome::NonCanonical { authentic: true },
    );
    // The real parts announced as five chunks, with an empty one in the middle or at the end.
    let five = |empty_at: usize| -> Vec<ChunkCookie> {
        let mut parts = (0..K).map(|chunk| chunk as u8);
        (0..=K)
            .map(|i| ChunkCookie {
                name: name_of(i),
                value: if i == empty_at {
                    ChunkValue::Empty
                } else if i == 0 {
                    ChunkValue::Marked {
                        count: K as u8 + 1,
                        session: 1,
                        chunk: parts.next().expect("a part"),
                    }
                } else {
                    ChunkValue::Part {
                        session: 1,
                        chunk: parts.next().expect("a part"),
                    }
                },
                quoted: false,
            })
            .collect()
    };
    add(
        "near-empty-middle-chunk",
        set(0, Sep::SemiSpace, five(2)),
        Outcome::NonCanonical { authentic: true },
    );
    add(
        "near-empty-extra-chunk",
        set(0, Sep::SemiSpace, five(K)),
        Outcome::NonCanonical { authentic: true },
    );
    let mut short_middle = real_set(0, &in_order, false);
    short_middle[1].value = ChunkValue::Slice {
        session: 0,
        chunk: 1,
        start: 0,
        end: 100,
    };
    add(
        "near-short-full-chunk",
        set(0, Sep::SemiSpace, short_middle),
        Outcome::NonCanonical { authentic: false },
    );
    add(
        "near-joined-in-one",
        set(
            0,
            Sep::Semi,
            vec![ChunkCookie {
                name: ChunkName::Base,
                value: ChunkValue::Joined { session: 0 },
                quoted: false,
            }],
        ),
        Outcome::RefusedBeforeDecoding,
    );
    let mut unmarked = real_set(0, &in_order, false);
    unmarked[0].value = ChunkValue::Part {
        session: 0,
        chunk: 0,
    };
    add(
        "near-first-unmarked",
        set(0, Sep::SemiSpace, unmarked),
        Outcome::RefusedBeforeDecoding,
    );
    add(
        "absent",
        set(
            0,
            Sep::Semi,
            vec![ChunkCookie {
                name: ChunkName::Dotted,
                value: ChunkValue::Empty,
                quoted: false,
            }],
        ),
        Outcome::Absent,
    );
    out
}

// ---- signed_verify -------------------------------------------------------------------------

fn enc_mutation(m: &Mutation) -> Vec<u8> {
    let mut e = Enc::new();
    e.u8(m.original);
    e.variant(
        match m.layer {
            Layer::Decoded => 0,
            Layer::Text => 1,
        },
        2,
    );
    for edit in &m.edits {
        e.more();
        e.u16(edit.pos);
        match edit.op {
            EditOp::Set(b) => e.variant(0, 7).u8(b),
            EditOp::Xor(b) => e.variant(1, 7).u8(b),
            EditOp::Insert(b) => e.variant(2, 7).u8(b),
            EditOp::Remove => e.variant(3, 7),
            EditOp::Truncate => e.variant(4, 7),
            EditOp::Duplicate => e.variant(5, 7),
            EditOp::SwapNext => e.variant(6, 7),
        };
    }
    let bytes = e.finish();
    let back = Mutation::arbitrary_take_rest(Unstructured::new(&bytes)).expect("decodes");
    assert_eq!(&back, m, "arbitrary reads the seed back as written");
    bytes
}

fn signed_verify_seeds() -> Vec<(String, Vec<u8>)> {
    let ring = fixtures::ring();
    let signer = fixtures::signer(ring);
    let signed = signer
        .sign(&fixtures::sample_session(2, 1))
        .expect("fits")
        .into_value();
    let m = |original: u8, layer: Layer, edits: Vec<Edit>| Mutation {
        original,
        layer,
        edits,
    };
    let ed = |pos: u16, op: EditOp| Edit { pos, op };
    let originals = signed_verify::originals().len() as u8;
    let mut out = vec![
        seed("raw-signed-primary", signed.clone()),
        seed("raw-flipped-char", flip_char(&signed, signed.len() / 2)),
        seed("raw-truncated", &signed[..signed.len() - 2]),
        seed("raw-sealed-version", reencode(&signed, |r| r[0] = 0x01)),
    ];
    for i in 0..originals {
        out.push(seed(
            &format!("mutation-unchanged-{i}"),
            enc_mutation(&m(i, Layer::Decoded, vec![])),
        ));
    }
    let edits: Vec<(&str, Layer, Vec<Edit>)> = vec![
        (
            "xor-version",
            Layer::Decoded,
            vec![ed(0, EditOp::Xor(0x80))],
        ),
        ("xor-key-id", Layer::Decoded, vec![ed(2, EditOp::Xor(1))]),
        ("xor-stamps", Layer::Decoded, vec![ed(6, EditOp::Xor(1))]),
        ("xor-body", Layer::Decoded, vec![ed(60, EditOp::Xor(0x20))]),
        (
            "set-tag",
            Layer::Decoded,
            vec![ed(u16::MAX, EditOp::Set(0))],
        ),
        ("truncate", Layer::Decoded, vec![ed(70, EditOp::Truncate)]),
        (
            "insert-byte",
            Layer::Decoded,
            vec![ed(30, EditOp::Insert(7))],
        ),
        ("swap-bytes", Layer::Decoded, vec![ed(40, EditOp::SwapNext)]),
        (
            "text-set-char",
            Layer::Text,
            vec![ed(10, EditOp::Set(b'Z'))],
        ),
        ("text-remove", Layer::Text, vec![ed(3, EditOp::Remove)]),
        (
            "text-duplicate-and-remove",
            Layer::Text,
            vec![ed(5, EditOp::Duplicate), ed(6, EditOp::Remove)],
        ),
    ];
    for (name, layer, e) in edits {
        for i in [0u8, 1, originals / 2] {
            out.push(seed(
                &format!("mutation-{name}-{i}"),
                enc_mutation(&m(i, layer, e.clone())),
            ));
        }
    }
    out
}

// ---- roundtrip -----------------------------------------------------------------------------

struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn op_kind(op: &roundtrip::Op) -> usize {
    use roundtrip::Op;
    match op {
        Op::Seal(_) => 0,
        Op::Sign(_) => 1,
        Op::Cookie(_) => 2,
        Op::Add { .. } => 3,
        Op::Rotate { .. } => 4,
        Op::Promote(_) => 5,
        Op::Retire(_) => 6,
        Op::Reopen => 7,
    }
}

/// Seeds for `roundtrip`: byte strings from a fixed pseudo-random stream, kept when they decode
/// to op sequences that touch many kinds of operation (the states inside are whatever the bytes
/// say; small bytes make small states, so seals mostly fit).
fn roundtrip_seeds() -> Vec<(String, Vec<u8>)> {
    let mut rng = XorShift(0x5eed_5eed_5eed_5eed);
    let mut best: Vec<(usize, Vec<u8>)> = Vec::new();
    for _ in 0..20_000 {
        let len = 64 + (rng.next() % 900) as usize;
        // Bias towards small bytes: short strings and vectors, and "keep going" bits set often.
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let r = rng.next();
                if r.is_multiple_of(3) {
                    (r >> 8) as u8
                } else {
                    (r >> 8) as u8 % 8
                }
            })
            .collect();
        let Ok(input) = roundtrip::Input::arbitrary_take_rest(Unstructured::new(&bytes)) else {
            continue;
        };
        let mut kinds = [false; 8];
        for op in input.ops.iter().take(64) {
            kinds[op_kind(op)] = true;
        }
        let score = kinds.iter().filter(|k| **k).count() * 100 + input.ops.len().min(64);
        best.push((score, bytes));
        best.sort_by_key(|b| std::cmp::Reverse(b.0));
        best.truncate(6);
    }
    best.into_iter()
        .enumerate()
        .map(|(i, (score, bytes))| (format!("ops-{i}-score-{score}"), bytes))
        .collect()
}

// ---- key_file -------------------------------------------------------------------------------

/// The RFC 3339 UTC text of a Unix time (days to civil date: H. Hinnant's algorithm).
fn rfc3339(unix: u64) -> String {
    let (days, secs) = ((unix / 86_400) as i64, unix % 86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// A hand-written ring: `key_old` retired (its secret left in, which is ignored) and
/// `key_primary` active, secret `secret`. Near misses are edits of this text.
fn handwritten_ring(secret: &str) -> String {
    let old = fixtures::key_old();
    let primary = fixtures::key_primary();
    format!(
        "format = 1\nmax_session_lifetime = \"8h 5m\"\n\n[[key]]\nid = \"{}\"\nsecret = \"{}\"\n\
         state = \"retired\"\ncreated = \"{}\"\nactivate_at = \"{}\"\nretire_at = \"{}\"\n\n\
         [[key]]\nid = \"{}\"\nsecret = \"{secret}\"\nstate = \"active\"\ncreated = \"{}\"\n\
         activate_at = \"{}\"\n",
        old.id(),
        old.to_base64().as_str(),
        rfc3339(NOW - 30 * 86_400),
        rfc3339(NOW - 30 * 86_400),
        rfc3339(NOW - 9 * 86_400),
        primary.id(),
        rfc3339(NOW - 10 * 86_400),
        rfc3339(NOW - 10 * 86_400),
    )
}

/// Seeds for `key_file`: rings written by `RingDocument` itself (fresh, rotated with a staged
/// key and a pending one, with a revoked key, with no key sealing yet), a hand-written one in
/// each accepted spelling of a secret, and near misses of it.
fn key_file_seeds() -> Vec<(String, Vec<u8>)> {
    let lifetime = Duration::from_secs(8 * 3600 + 300);
    let fresh = RingDocument::new(lifetime, NOW - 3600).expect("random key");
    let mut rotated = RingDocument::new(lifetime, NOW - 30 * 86_400).expect("random key");
    let first = rotated.keys()[0].id;
    let primary = rotated
        .add(fixtures::key_primary(), NOW - 10 * 86_400, None)
        .expect("new id");
    rotated
        .promote(primary, NOW - 10 * 86_400)
        .expect("present");
    rotated
        .retire(first, NOW - 9 * 86_400, false)
        .expect("no live cookies");
    rotated
        .add(fixtures::key_next(), NOW - 3600, Some(NOW + 2 * 86_400))
        .expect("new id");
    let old = rotated
        .add(fixtures::key_old(), NOW - 3600, None)
        .expect("new id");
    let mut revoked = rotated.clone();
    revoked.revoke(old, NOW).expect("does not seal");
    let future = RingDocument::new(Duration::from_secs(86_400), NOW + 86_400).expect("random key");
    let long = RingDocument::new(MAX_SESSION_LIFETIME_LIMIT, NOW).expect("random key");

    let primary_key = fixtures::key_primary();
    let url = primary_key.to_base64();
    let bytes = URL_SAFE_NO_PAD
        .decode(url.as_str())
        .expect("the crate's own base64");
    let std_padded = STANDARD.encode(&bytes);
    let url = url.as_str();
    let base = handwritten_ring(url);
    let secret_line = format!("secret = \"{url}\"");
    let with_secret = |s: &str| base.replace(&secret_line, &format!("secret = \"{s}\""));
    let bumped = {
        // 32 bytes leave 2 unused bits in the last of 43 characters.
        let mut b = url.as_bytes().to_vec();
        let last = b.len() - 1;
        b[last] = if b[last] == b'_' { b'A' } else { b[last] + 1 };
        String::from_utf8(b).expect("ascii")
    };
    let mixed = if url.contains(['-', '_']) {
        url.replacen(|c: char| c.is_ascii_alphabetic(), "+", 1)
    } else {
        std_padded.replacen(|c: char| c.is_ascii_alphabetic(), "-", 1)
    };
    let primary_id = primary_key.id().to_string();
    // An ended key's id is checked too (and this one has letters to upper-case).
    let old_id = fixtures::key_old().id().to_string();
    assert_ne!(old_id, old_id.to_uppercase());
    let active_block = base[base.rfind("[[key]]").expect("two keys")..].to_owned();
    vec![
        seed("valid-fresh", fresh.to_toml().as_bytes()),
        seed("valid-rotated-staged", rotated.to_toml().as_bytes()),
        seed("valid-revoked", revoked.to_toml().as_bytes()),
        seed("valid-no-key-seals-yet", future.to_toml().as_bytes()),
        seed("valid-longest-lifetime", long.to_toml().as_bytes()),
        seed("valid-handwritten", base.clone()),
        seed("valid-url-padded", with_secret(&format!("{url}="))),
        seed("valid-std-padded", with_secret(&std_padded)),
        seed(
            "valid-std-unpadded",
            with_secret(std_padded.trim_end_matches('=')),
        ),
        seed("near-secret-leading-space", with_secret(&format!(" {url}"))),
        seed(
            "near-secret-trailing-newline",
            with_secret(&format!("{url}\\n")),
        ),
        seed("near-secret-padded-twice", with_secret(&format!("{url}=="))),
        seed("near-secret-trailing-bits", with_secret(&bumped)),
        seed("near-secret-mixed-alphabets", with_secret(&mixed)),
        seed("near-secret-short", with_secret(&url[..22])),
        seed(
            "near-id-of-another-key",
            base.replace(&primary_id, &fixtures::key_next().id().to_string()),
        ),
        seed(
            "near-id-uppercase",
            base.replace(&old_id, &old_id.to_uppercase()),
        ),
        seed("near-id-not-hex", base.replace(&primary_id, "0x123456")),
        seed("near-duplicate-key", format!("{base}\n{active_block}")),
        seed(
            "near-unknown-field",
            base.replace("format = 1\n", "format = 1\ncomment = \"x\"\n"),
        ),
        seed("near-format-2", base.replace("format = 1", "format = 2")),
        seed("near-lifetime-zero", base.replace("\"8h 5m\"", "\"0s\"")),
        seed(
            "near-lifetime-too-long",
            base.replace("\"8h 5m\"", "\"3651days\""),
        ),
        seed(
            "near-active-without-activate-at",
            format!(
                "{}{}",
                &base[..base.rfind("activate_at").expect("active key")],
                "\n"
            ),
        ),
        seed(
            "near-bad-time",
            base.replace(&rfc3339(NOW - 10 * 86_400), "2026-13-01T00:00:00Z"),
        ),
        seed(
            "near-no-secret",
            base.replace(&format!("{secret_line}\n"), ""),
        ),
        seed(
            "near-unknown-state",
            base.replace("\"active\"", "\"enabled\""),
        ),
        seed("near-not-toml", base.replace("\"8h 5m\"", "\"8h 5m")),
        seed("empty", ""),
    ]
}

// ---- server_side ----------------------------------------------------------------------------

/// A request of a new session in server-side mode (with `overflow`, the state stays in the
/// cookie): the cookie pair the response sets, and the record it stored (empty if none).
fn server_side_session(
    cookie: &Arc<SessionCookie>,
    store: &MemoryStore,
    overflow: bool,
    subject: Option<&str>,
    state: Session,
) -> (String, String) {
    let side = ServerSide::new(store.clone()).overflow(overflow);
    let driver = Driver::builder((**cookie).clone())
        .server_side(side)
        .build()
        .expect("session ids");
    let session = driver.begin::<Session, &[u8]>([]);
    fixtures::now(Driver::load(&session)).expect("memory store");
    match subject {
        Some(s) => session.login(&Subject::new(s).expect("a valid subject"), state),
        None => session.replace(state),
    }
    .expect("fits");
    let id = session.session_id().expect("an id");
    let mut response = Lines::new(200);
    fixtures::now(driver.end(&session, &mut response));
    let lines = response.header(Field::SetCookie);
    let pair = lines[0].split(';').next().expect("a pair").to_owned();
    let record = fixtures::now(store.load(&server_side::record_key(&id)))
        .expect("memory store")
        .map(|r| r.value)
        .unwrap_or_default();
    (pair, record)
}

/// Seeds for `server_side`: `1`/`0` (write the record or not), the header, `\n`, the record.
fn server_side_seeds() -> Vec<(String, Vec<u8>, server_side::Outcome)> {
    use server_side::Outcome::{NoCookie, Opened, Refused};
    let s = |i: u8| fixtures::sample_session(i, 1);
    let cookie = server_side::cookie(NOW);
    let store = MemoryStore::new().clock(ManualClock::new(NOW));
    let (a, rec_a) = server_side_session(&cookie, &store, false, None, s(0));
    let (b, rec_b) = server_side_session(&cookie, &store, false, Some("user-7"), s(3));
    let (here, none) = server_side_session(&cookie, &store, true, None, s(1));
    assert!(
        none.is_empty(),
        "an overflow state that fits stays in the cookie"
    );
    let (large, rec_large) = server_side_session(
        &cookie,
        &store,
        true,
        None,
        fixtures::sample_session(2, 300),
    );
    assert!(
        !rec_large.is_empty(),
        "a state too large for the cookie goes to the store"
    );
    let expired_store = MemoryStore::new().clock(ManualClock::new(NOW - 9 * 3600));
    let (expired, rec_expired) = server_side_session(
        &server_side::cookie(NOW - 9 * 3600),
        &expired_store,
        false,
        None,
        s(2),
    );
    let plain = {
        let driver = Driver::new((*cookie).clone());
        let session = driver.begin::<Session, &[u8]>([]);
        session.replace(s(0)).expect("fits");
        let mut response = Lines::new(200);
        fixtures::now(driver.end(&session, &mut response));
        response.header(Field::SetCookie)[0]
            .split(';')
            .next()
            .expect("a pair")
            .to_owned()
    };
    let value = |pair: &str| pair.split_once('=').expect("a pair").1.to_owned();
    let input = |write: bool, header: &str, record: &str| {
        format!("{}{header}\n{record}", if write { '1' } else { '0' })
    };
    let mid = rec_a.len() / 2;
    vec![
        ("valid-stored", input(true, &a, &rec_a), Opened),
        ("valid-stored-subject", input(true, &b, &rec_b), Opened),
        ("valid-in-cookie", input(false, &here, ""), Opened),
        // Beyond the reference's cookie-sized bound: only its binding to the id is checked.
        (
            "large-overflow-stored",
            input(true, &large, &rec_large),
            Opened,
        ),
        (
            "valid-among-others",
            input(true, &format!("theme=dark; {b}; lang=en"), &rec_b),
            Opened,
        ),
        ("near-no-record", input(false, &a, ""), Refused),
        (
            "near-other-sessions-record",
            input(true, &a, &rec_b),
            Refused,
        ),
        (
            "near-cookie-mode-value",
            input(true, &plain, &rec_a),
            Refused,
        ),
        (
            "near-record-as-cookie",
            input(true, &format!("{}={rec_a}", server_side::NAME), &rec_a),
            Refused,
        ),
        (
            "near-cookie-as-record",
            input(true, &a, &value(&a)),
            Refused,
        ),
        (
            "near-flipped-record",
            input(true, &a, &flip_char(&rec_a, mid)),
            Refused,
        ),
        (
            "near-truncated-record",
            input(true, &a, &rec_a[..rec_a.len() - 1]),
            Refused,
        ),
        ("near-empty-record", input(true, &a, ""), Refused),
        (
            "near-duplicate-cookie",
            input(true, &format!("{a}; {a}"), &rec_a),
            Refused,
        ),
        (
            "near-flipped-cookie",
            input(true, &flip_char(&a, a.len() - 10), &rec_a),
            Refused,
        ),
        ("near-expired", input(true, &expired, &rec_expired), Refused),
        (
            "near-other-name",
            input(true, &format!("__Host-sid={}", value(&a)), &rec_a),
            NoCookie,
        ),
        ("no-cookie", input(true, "theme=dark", &rec_a), NoCookie),
        ("empty", String::new(), NoCookie),
    ]
    .into_iter()
    .map(|(n, text, outcome)| (n.to_owned(), text.into_bytes(), outcome))
    .collect()
}

// ---- replay --------------------------------------------------------------------------------

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    v.retain(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"));
    v.sort();
    v
}

fn replay(target: &str, data: &[u8]) {
    match target {
        "open_value" => open_value::run(data),
        "cookie_header" => cookie_header::run(data),
        "signed_verify" => signed_verify::run(data),
        "chunks" => {
            if let Ok(input) = ChunkSet::arbitrary_take_rest(Unstructured::new(data)) {
                chunks::run(&input);
            }
        }
        "roundtrip" => {
            if let Ok(input) = roundtrip::Input::arbitrary_take_rest(Unstructured::new(data)) {
                roundtrip::run(&input);
            }
        }
        "key_file" => key_file::run(data),
        "server_side" => {
            server_side::run(data);
        }
        _ => unreachable!(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let check_only = args.iter().any(|a| a == "--check");
    // `--only a,b`: rewrite only these targets' seeds; the others keep theirs (sealed seeds get
    // fresh nonces on every generation, so untouched targets are best left alone).
    let only: Option<Vec<&str>> = args.iter().position(|a| a == "--only").map(|i| {
        args.get(i + 1)
            .map_or(vec![], |list| list.split(',').collect())
    });
    let wanted = |t: &str| !check_only && only.as_ref().is_none_or(|o| o.contains(&t));
    if wanted("open_value") {
        let ov = open_value_seeds();
        // The valid seeds open, the near-valid ones do not.
        let h = open_value::harness();
        for (name, bytes) in &ov {
            let text = std::str::from_utf8(bytes).expect("ascii");
            let opened = open_value::check_sealed(h, text) || open_value::check_signed(h, text);
            let valid = name.starts_with("sealed-") || name.starts_with("signed-");
            assert_eq!(opened, valid, "open_value seed {name}");
        }
        write_all("open_value", &ov);
    }
    if wanted("cookie_header") {
        let ch = cookie_header_seeds();
        let h = cookie_header::harness();
        for (name, bytes) in &ch {
            let header = std::str::from_utf8(bytes).expect("ascii");
            let opened: usize = h
                .cases
                .iter()
                .map(|c| usize::from(cookie_header::check_case(&h.ring, c, header).is_some()))
                .sum();
            let expected = match name.as_str() {
                "single-and-signed" => 3,
                n if n.starts_with("chunked-") || n == "unchunked-small" => 1,
                "near-duplicate-single" => 0,
                _ => 0,
            };
            assert_eq!(opened, expected, "cookie_header seed {name}");
        }
        write_all("cookie_header", &ch);
    }
    if wanted("chunks") {
        let cs = chunks_seeds();
        for (name, bytes, expect) in &cs {
            let input = ChunkSet::arbitrary_take_rest(Unstructured::new(bytes)).expect("decodes");
            assert_eq!(chunks::run(&input), *expect, "chunks seed {name}");
        }
        let cs: Vec<(String, Vec<u8>)> = cs.into_iter().map(|(n, b, _)| (n, b)).collect();
        write_all("chunks", &cs);
    }
    if wanted("signed_verify") {
        write_all("signed_verify", &signed_verify_seeds());
    }
    if wanted("roundtrip") {
        write_all("roundtrip", &roundtrip_seeds());
    }
    if wanted("key_file") {
        let kf = key_file_seeds();
        // The valid seeds parse, the near-valid ones do not.
        for (name, bytes) in &kf {
            let text = std::str::from_utf8(bytes).expect("utf-8");
            let parsed = key_file::check_text(text).is_some();
            assert_eq!(parsed, name.starts_with("valid-"), "key_file seed {name}");
        }
        write_all("key_file", &kf);
    }
    if wanted("server_side") {
        let ss = server_side_seeds();
        for (name, bytes, expect) in &ss {
            assert_eq!(server_side::run(bytes), *expect, "server_side seed {name}");
        }
        let ss: Vec<(String, Vec<u8>)> = ss.into_iter().map(|(n, b, _)| (n, b)).collect();
        write_all("server_side", &ss);
    }
    for target in TARGETS {
        let mut n = 0;
        for sub in ["seeds", "regressions"] {
            for path in files(&fuzz_dir().join(sub).join(target)) {
                let data = fs::read(&path).expect("read");
                replay(target, &data);
                n += 1;
            }
        }
        println!("replayed {n} inputs for {target}: no failure");
    }
}
