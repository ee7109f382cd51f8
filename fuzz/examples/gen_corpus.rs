//! Writes the committed seed corpora under `fuzz/seeds/<target>/` from the real crate, then
//! replays every seed (and every file under `fuzz/regressions/<target>/`) through its target's
//! logic, checking that the valid seeds really open and the near-valid ones really do not.
//!
//! Run from `fuzz/`: `cargo run --example gen_corpus` (rewrites the seeds; the sealed ones get
//! fresh nonces), or `cargo run --example gen_corpus -- --check` (only replays what is on disk).

use std::fs;
use std::path::{Path, PathBuf};

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sealed_session::{ManualClock, Subject};
use sealed_session_fuzz::arb_encode::Enc;
use sealed_session_fuzz::fixtures::{self, NOW};
use sealed_session_fuzz::targets::chunks::{
    self, ChunkCookie, ChunkName, ChunkSet, ChunkValue, K, Outcome, Sep,
};
use sealed_session_fuzz::targets::signed_verify::{self, Edit, EditOp, Layer, Mutation};
use sealed_session_fuzz::targets::{cookie_header, open_value, roundtrip};

const TARGETS: [&str; 5] = [
    "open_value",
    "cookie_header",
    "chunks",
    "signed_verify",
    "roundtrip",
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
    let a = set_cookie_pairs(&chunked.set_cookies(&big).expect("fits 4 chunks"));
    let b = set_cookie_pairs(&chunked.set_cookies(&big).expect("fits 4 chunks"));
    assert!(
        a.len() >= 3,
        "the chunked seed needs several chunks: {}",
        a.len()
    );
    let small = set_cookie_pairs(
        &chunked
            .set_cookies(&fixtures::sample_session(0, 1))
            .expect("fits"),
    );
    let single = set_cookie_pairs(
        &fixtures::single_cookie(ring.clone(), NOW)
            .set_cookies(&fixtures::sample_session(1, 1))
            .expect("fits"),
    );
    let signed = set_cookie_pairs(
        &fixtures::signed_cookie(ring.clone(), NOW)
            .set_cookies(&fixtures::sample_session(2, 1))
            .expect("fits"),
    );
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
        _ => unreachable!(),
    }
}

fn main() {
    let check_only = std::env::args().any(|a| a == "--check");
    if !check_only {
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

        let cs = chunks_seeds();
        for (name, bytes, expect) in &cs {
            let input = ChunkSet::arbitrary_take_rest(Unstructured::new(bytes)).expect("decodes");
            assert_eq!(chunks::run(&input), *expect, "chunks seed {name}");
        }
        let cs: Vec<(String, Vec<u8>)> = cs.into_iter().map(|(n, b, _)| (n, b)).collect();
        write_all("chunks", &cs);

        write_all("signed_verify", &signed_verify_seeds());
        write_all("roundtrip", &roundtrip_seeds());
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
