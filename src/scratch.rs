//! Scratch vectors reused from one batch of writes to the next, so that steady-state writing
//! allocates nothing per operation. A vector of borrowed items cannot outlive its batch, so it
//! is emptied and handed back typed for the next batch's lifetime, keeping its buffer.

/// Empties `v` and returns its allocation as a vector of `B`, a type of the same layout (in
/// practice the same type with another lifetime). The in-place collect of an empty iterator
/// keeps the buffer and its capacity.
pub(crate) fn recycle<A, B>(mut v: Vec<A>) -> Vec<B> {
    v.clear();
    v.into_iter().map(|_| -> B { unreachable!() }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_buffer_survives_a_change_of_lifetime() {
        let owned = [String::from("a"), String::from("b")];
        let mut first: Vec<&str> = Vec::with_capacity(64);
        first.extend(owned.iter().map(String::as_str));
        let buffer = first.as_ptr() as usize;
        let second: Vec<&str> = recycle(first);
        assert!(second.is_empty());
        assert_eq!(second.capacity(), 64);
        assert_eq!(second.as_ptr() as usize, buffer);
    }
}
