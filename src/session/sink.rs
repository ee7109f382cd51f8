//! A postcard output that appends to a borrowed buffer, so the buffer can be wiped if serializing
//! fails halfway, and whose growth never frees a block that still holds plaintext.

use crate::scratch;

pub(crate) struct Sink<'a>(pub(crate) &'a mut Vec<u8>);

impl Sink<'_> {
    /// Serializes `state` to the end of the buffer with postcard.
    pub(crate) fn serialize<T: serde::Serialize + ?Sized>(
        mut self,
        state: &T,
    ) -> Result<(), postcard::Error> {
        postcard::serialize_with_flavor(state, &mut self)
    }
}

impl postcard::ser_flavors::Flavor for &mut Sink<'_> {
    type Output = ();

    #[inline]
    fn try_push(&mut self, byte: u8) -> postcard::Result<()> {
        if self.0.len() == self.0.capacity() {
            scratch::reserve_wiping(self.0, 1);
        }
        self.0.push(byte);
        Ok(())
    }

    #[inline]
    fn try_extend(&mut self, bytes: &[u8]) -> postcard::Result<()> {
        if self.0.capacity() - self.0.len() < bytes.len() {
            scratch::reserve_wiping(self.0, bytes.len());
        }
        self.0.extend_from_slice(bytes);
        Ok(())
    }

    fn finalize(self) -> postcard::Result<()> {
        Ok(())
    }
}
