//! A tiny writer of `arbitrary` 1.x input bytes, for seeds of the structured targets.
//!
//! It covers only what the seeds use: fixed-size integers (little-endian), `bool`, enum variant
//! choices and `take_rest` vectors (a `true` byte before each element). The seed generator decodes
//! every seed it writes with `arbitrary` and checks that it reads back as intended, so a change of
//! `arbitrary`'s format fails loudly instead of committing meaningless seeds.

/// Bytes under construction.
#[derive(Debug, Default, Clone)]
pub struct Enc(pub Vec<u8>);

impl Enc {
    /// An empty encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// A `u8`.
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }

    /// A `u16`.
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// An `i8`.
    pub fn i8(&mut self, v: i8) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }

    /// A `bool`.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(u8::from(v))
    }

    /// Variant `index` of an enum with `count` variants (derive: `(u32 * count) >> 32`).
    pub fn variant(&mut self, index: u32, count: u32) -> &mut Self {
        assert!(index < count);
        let tag = (u64::from(index) << 32).div_ceil(u64::from(count));
        let tag = u32::try_from(tag).expect("index < count");
        assert_eq!((u64::from(tag) * u64::from(count)) >> 32, u64::from(index));
        self.0.extend_from_slice(&tag.to_le_bytes());
        self
    }

    /// The marker before each element of a vector (`arbitrary_iter` / `take_rest`).
    pub fn more(&mut self) -> &mut Self {
        self.bool(true)
    }

    /// The bytes.
    pub fn finish(&self) -> Vec<u8> {
        self.0.clone()
    }
}
