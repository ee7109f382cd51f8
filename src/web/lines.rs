//! A response as a status and header lines: the simplest [`Reply`].

use super::{Field, Reply, Value};

/// A response seen as a status and header lines, the simplest [`Reply`]: for tests of handlers
/// without a server, and for a framework whose own response is built after the session's end
/// (copy the lines into it). [`Driver::end`](super::Driver::end) writes into it as into a
/// framework's response.
///
/// ```
/// use sealed_session::web::{Field, Lines, Reply, Value};
///
/// let mut response = Lines::new(200);
/// response.append(Field::Vary, Value::Static("Accept-Encoding"));
/// assert_eq!(response.status(), 200);
/// assert_eq!(response.header(Field::Vary), ["Accept-Encoding"]);
/// assert!(response.header(Field::SetCookie).is_empty());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Lines {
    status: u16,
    outage: bool,
    headers: Vec<(Field, Vec<u8>)>,
}

impl Lines {
    /// A response of `status` with no header line.
    pub fn new(status: u16) -> Self {
        Self {
            status,
            outage: false,
            headers: Vec::new(),
        }
    }

    /// The 503 that answers [`SessionRejection::Unavailable`](super::SessionRejection): its
    /// [`is_store_outage`](Reply::is_store_outage) is true, so the end of the request gives it
    /// `Retry-After`.
    pub fn store_outage() -> Self {
        Self {
            outage: true,
            ..Self::new(503)
        }
    }

    /// The values of `field`, one per line, in order (bytes that are not UTF-8 replaced).
    pub fn header(&self, field: Field) -> Vec<String> {
        self.values(field)
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    }

    /// Every header line, in order.
    pub fn lines(&self) -> impl Iterator<Item = (Field, &[u8])> {
        self.headers.iter().map(|(f, v)| (*f, v.as_slice()))
    }
}

impl Reply for Lines {
    fn status(&self) -> u16 {
        self.status
    }

    fn is_store_outage(&self) -> bool {
        self.outage
    }

    fn values(&self, field: Field) -> impl Iterator<Item = &[u8]> {
        self.headers
            .iter()
            .filter(move |(f, _)| *f == field)
            .map(|(_, v)| v.as_slice())
    }

    fn append(&mut self, field: Field, value: Value) -> bool {
        self.headers.push((field, value.into_bytes()));
        true
    }

    fn set(&mut self, field: Field, value: Value) -> bool {
        self.headers.retain(|(f, _)| *f != field);
        self.append(field, value)
    }

    fn replace(&mut self, status: u16) {
        *self = Self::new(status);
    }
}
