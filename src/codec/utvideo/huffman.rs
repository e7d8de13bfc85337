//! Symbol statistics and the canonical Huffman code of one plane: counts over several tables,
//! code lengths limited to [`MAX_CODE_LEN`], and code words in the order Ut Video decoders
//! rebuild them from the 256 lengths alone.

/// Symbols of an 8-bit plane.
pub const SYMBOLS: usize = 256;

/// The longest code written. The format allows 32 (FFmpeg before 4.4 only 31); 14 lets the
/// packer add four codes between two flushes, and costs next to nothing: +0.004% on 1080p
/// testsrc2 4:2:0 against a limit of 31.
pub const MAX_CODE_LEN: u8 = 14;

/// The longest code the format allows (and [`CodeTable::from_lengths`] takes).
pub const LONGEST_CODE: u8 = 32;

/// The length byte of a symbol that does not occur.
pub const UNUSED_LEN: u8 = 255;

/// How often each symbol occurs.
pub type Histogram = [u32; SYMBOLS];

/// Tables [`count`] spreads consecutive bytes over.
const TABLES: usize = 8;

/// Counters a table holds: one per symbol, then padding so that no two tables are a multiple
/// of 4 KiB apart (else the CPU sees false store-to-load dependencies between them).
const TABLE_LEN: usize = SYMBOLS + 16;

/// Counts symbols. Each byte of an 8-byte word has its own table, so runs of one symbol
/// (flat areas, residual 0) do not serialise on one counter's store-to-load latency.
#[derive(Debug, Clone)]
pub struct Counter {
    tables: [[u32; TABLE_LEN]; TABLES],
}

impl Counter {
    /// A counter at zero.
    pub fn new() -> Counter {
        Counter {
            tables: [[0; TABLE_LEN]; TABLES],
        }
    }

    /// Counts the symbols of `data`.
    pub fn add(&mut self, data: &[u8]) {
        let mut words = data.chunks_exact(8);
        for w in &mut words {
            let v = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]);
            for (t, table) in self.tables.iter_mut().enumerate() {
                table[((v >> (8 * t)) & 0xff) as usize] += 1;
            }
        }
        for &b in words.remainder() {
            self.tables[0][usize::from(b)] += 1;
        }
    }

    /// The counts so far.
    pub fn histogram(&self) -> Histogram {
        let mut hist = [0u32; SYMBOLS];
        for (s, total) in hist.iter_mut().enumerate() {
            *total = self.tables.iter().map(|t| t[s]).sum();
        }
        hist
    }
}

/// The code of one plane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaneCode {
    /// Every residual of the plane is this symbol: no bits are stored.
    Single(u8),
    /// A canonical Huffman code over the symbols that occur.
    Huffman(Box<CodeTable>),
}

/// Code lengths as stored in the plane header, and the code words they define.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeTable {
    /// Length of each symbol's code, [`UNUSED_LEN`] for symbols that do not occur.
    pub lengths: [u8; SYMBOLS],
    /// For the bit packer: the code word left-aligned in 64 bits (its last bit at or above
    /// bit 33), its length in the low byte; 0 for unused symbols.
    pub codes: [u64; SYMBOLS],
    /// The longest length.
    pub max_len: u8,
}

impl PlaneCode {
    /// The code for a plane whose residuals occur `hist` times; `hist` must not be all zero.
    pub fn from_histogram(hist: &Histogram) -> PlaneCode {
        let used: Vec<usize> = (0..SYMBOLS).filter(|&s| hist[s] != 0).collect();
        debug_assert!(!used.is_empty(), "a plane has at least one sample");
        if used.len() == 1 {
            return PlaneCode::Single(used[0] as u8);
        }
        let lengths = code_lengths(hist, MAX_CODE_LEN);
        PlaneCode::Huffman(Box::new(CodeTable::from_lengths(lengths)))
    }

    /// The 256 length bytes of the plane header.
    pub fn header_lengths(&self) -> [u8; SYMBOLS] {
        match self {
            PlaneCode::Single(symbol) => {
                let mut lengths = [UNUSED_LEN; SYMBOLS];
                lengths[usize::from(*symbol)] = 0;
                lengths
            }
            PlaneCode::Huffman(table) => table.lengths,
        }
    }
}

impl CodeTable {
    /// Assigns code words to `lengths` (a complete prefix code) as decoders do: longer codes
    /// first, and among equal lengths the higher symbol first, counting up from all zeros.
    pub fn from_lengths(lengths: [u8; SYMBOLS]) -> CodeTable {
        let mut order: Vec<usize> = (0..SYMBOLS).filter(|&s| lengths[s] != UNUSED_LEN).collect();
        order.sort_unstable_by(|&a, &b| lengths[b].cmp(&lengths[a]).then(b.cmp(&a)));
        let mut codes = [0u64; SYMBOLS];
        // The next free code, left-aligned in the longest code's bits.
        let longest = u32::from(LONGEST_CODE);
        let mut next: u64 = 0;
        for s in order {
            let len = u32::from(lengths[s]);
            let unit = 1u64 << (longest - len);
            let word = next >> (longest - len);
            codes[s] = (word << (64 - len)) | u64::from(len);
            next += unit;
        }
        let max_len = lengths
            .iter()
            .filter(|&&l| l != UNUSED_LEN)
            .max()
            .copied()
            .unwrap_or(0);
        CodeTable {
            lengths,
            codes,
            max_len,
        }
    }
}

/// Optimal code lengths for the symbols `hist` counts, none longer than `limit`: Huffman's
/// when it fits, else package-merge.
pub fn code_lengths(hist: &Histogram, limit: u8) -> [u8; SYMBOLS] {
    let mut leaves: Vec<(u64, usize)> = (0..SYMBOLS)
        .filter(|&s| hist[s] != 0)
        .map(|s| (u64::from(hist[s]), s))
        .collect();
    leaves.sort_unstable();
    let mut lengths = [UNUSED_LEN; SYMBOLS];
    let depths = huffman_depths(&leaves);
    if depths.iter().all(|&d| d <= limit) {
        for (&(_, s), d) in leaves.iter().zip(depths) {
            lengths[s] = d;
        }
    } else {
        for (&(_, s), d) in leaves.iter().zip(package_merge(&leaves, limit)) {
            lengths[s] = d;
        }
    }
    lengths
}

/// Depth of each leaf (sorted by weight, at least two) in a Huffman tree, by the two-queue
/// method.
fn huffman_depths(leaves: &[(u64, usize)]) -> Vec<u8> {
    let n = leaves.len();
    // Nodes 0..n are the leaves, n.. the internal nodes in creation (= weight) order.
    let mut weight: Vec<u64> = leaves.iter().map(|&(w, _)| w).collect();
    let mut parent = vec![0usize; 2 * n - 1];
    let (mut next_leaf, mut next_inner) = (0, n);
    // The lighter of the next unused leaf and the next unused internal node.
    fn take(weight: &[u64], n: usize, next_leaf: &mut usize, next_inner: &mut usize) -> usize {
        let leaf_first = *next_leaf < n
            && (*next_inner >= weight.len() || weight[*next_leaf] <= weight[*next_inner]);
        let next = if leaf_first { next_leaf } else { next_inner };
        *next += 1;
        *next - 1
    }
    for _ in 0..n - 1 {
        let a = take(&weight, n, &mut next_leaf, &mut next_inner);
        let b = take(&weight, n, &mut next_leaf, &mut next_inner);
        let node = weight.len();
        weight.push(weight[a] + weight[b]);
        parent[a] = node;
        parent[b] = node;
    }
    // The root is the last node; parents always come after their children.
    let mut depth = vec![0u8; 2 * n - 1];
    for node in (0..2 * n - 2).rev() {
        depth[node] = depth[parent[node]].saturating_add(1);
    }
    depth.truncate(n);
    depth
}

/// Length-limited optimal code lengths (package-merge) for leaves sorted by weight.
///
/// List 1 is the leaves; list k + 1 merges the leaves with the pairs (packages) of list k, a
/// leaf first among equal weights. The first 2n - 2 items of the last list are selected, and a
/// selected prefix holding p packages selects the first 2p items of the list before. A leaf's
/// length is the number of lists whose selected prefix holds it; leaves enter every list in
/// weight order, so a prefix holds the lightest ones and only its count of leaves matters.
fn package_merge(leaves: &[(u64, usize)], limit: u8) -> Vec<u8> {
    let n = leaves.len();
    // For lists 2 ..= limit: whether each item is a leaf.
    let mut is_leaf: Vec<Vec<bool>> = Vec::with_capacity(usize::from(limit));
    let mut list: Vec<u64> = leaves.iter().map(|&(w, _)| w).collect();
    let mut next = Vec::with_capacity(2 * n);
    for _ in 1..limit {
        let mut packages = list.chunks_exact(2).map(|p| p[0] + p[1]).peekable();
        let mut flags = Vec::with_capacity(2 * n);
        let mut leaf = leaves.iter().map(|&(w, _)| w).peekable();
        next.clear();
        loop {
            let leaf_first = match (leaf.peek(), packages.peek()) {
                (Some(w), Some(p)) => w <= p,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let item = if leaf_first {
                leaf.next()
            } else {
                packages.next()
            };
            next.extend(item);
            flags.push(leaf_first);
        }
        is_leaf.push(flags);
        std::mem::swap(&mut list, &mut next);
    }
    let mut lengths = vec![0u8; n];
    let mut selected = 2 * n - 2;
    for flags in is_leaf.iter().rev() {
        let leaves_selected = flags[..selected].iter().filter(|&&f| f).count();
        for len in &mut lengths[..leaves_selected] {
            *len += 1;
        }
        selected = 2 * (selected - leaves_selected);
    }
    for len in &mut lengths[..selected] {
        *len += 1;
    }
    lengths
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kraft(lengths: &[u8; SYMBOLS]) -> f64 {
        lengths
            .iter()
            .filter(|&&l| l != UNUSED_LEN)
            .map(|&l| 0.5f64.powi(i32::from(l)))
            .sum()
    }

    fn cost(hist: &Histogram, lengths: &[u8; SYMBOLS]) -> u64 {
        (0..SYMBOLS)
            .filter(|&s| hist[s] != 0)
            .map(|s| u64::from(hist[s]) * u64::from(lengths[s]))
            .sum()
    }

    #[test]
    fn count_matches_a_plain_loop() {
        let data: Vec<u8> = (0..1003u32).map(|i| (i * i % 251) as u8).collect();
        let mut counter = Counter::new();
        counter.add(&data[..500]);
        counter.add(&data[500..]);
        let hist = counter.histogram();
        let mut plain = [0u32; SYMBOLS];
        for &b in &data {
            plain[usize::from(b)] += 1;
        }
        assert_eq!(hist, plain);
    }

    #[test]
    fn fibonacci_weights_are_limited_and_optimal() {
        let mut hist = [0u32; SYMBOLS];
        let (mut a, mut b) = (1u32, 1u32);
        for slot in hist.iter_mut().take(40) {
            *slot = a;
            (a, b) = (b, a.saturating_add(b));
        }
        let unlimited = code_lengths(&hist, 60);
        assert!(unlimited
            .iter()
            .filter(|&&l| l != UNUSED_LEN)
            .any(|&l| l > MAX_CODE_LEN));
        for limit in [MAX_CODE_LEN, 20, 8, 6] {
            let limited = code_lengths(&hist, limit);
            assert!(limited.iter().all(|&l| l == UNUSED_LEN || l <= limit));
            assert!((kraft(&limited) - 1.0).abs() < 1e-12, "a complete code");
            assert!(cost(&hist, &limited) >= cost(&hist, &unlimited));
        }
        // Package-merge without a binding limit is Huffman's cost.
        let leaves: Vec<(u64, usize)> = {
            let mut l: Vec<(u64, usize)> = (0..40).map(|s| (u64::from(hist[s]), s)).collect();
            l.sort_unstable();
            l
        };
        let pm = package_merge(&leaves, 60);
        let pm_cost: u64 = leaves
            .iter()
            .zip(&pm)
            .map(|(&(w, _), &d)| w * u64::from(d))
            .sum();
        assert_eq!(pm_cost, cost(&hist, &unlimited));
    }

    /// Package-merge by expanding the selected packages into their leaves: the reference
    /// [`package_merge`] is tested against.
    fn package_merge_expanded(leaves: &[(u64, usize)], limit: u8) -> Vec<u8> {
        #[derive(Clone, Copy)]
        enum Item {
            Leaf(usize),
            Package(usize, usize),
        }
        let n = leaves.len();
        let mut items: Vec<Item> = Vec::new();
        let leaf_list: Vec<(u64, usize)> = (0..n)
            .map(|i| {
                items.push(Item::Leaf(i));
                (leaves[i].0, i)
            })
            .collect();
        let mut list = leaf_list.clone();
        for _ in 1..limit {
            let mut packages: Vec<(u64, usize)> = Vec::with_capacity(list.len() / 2);
            for pair in list.chunks_exact(2) {
                items.push(Item::Package(pair[0].1, pair[1].1));
                packages.push((pair[0].0 + pair[1].0, items.len() - 1));
            }
            let mut merged = Vec::with_capacity(n + packages.len());
            let (mut i, mut j) = (0, 0);
            while i < n || j < packages.len() {
                if j >= packages.len() || (i < n && leaf_list[i].0 <= packages[j].0) {
                    merged.push(leaf_list[i]);
                    i += 1;
                } else {
                    merged.push(packages[j]);
                    j += 1;
                }
            }
            list = merged;
        }
        let mut lengths = vec![0u8; n];
        let mut stack: Vec<usize> = list[..2 * n - 2].iter().map(|&(_, item)| item).collect();
        while let Some(item) = stack.pop() {
            match items[item] {
                Item::Leaf(i) => lengths[i] += 1,
                Item::Package(a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
            }
        }
        lengths
    }

    #[test]
    fn package_merge_matches_the_expanding_reference() {
        let mut seed = 99u32;
        for round in 0..300u32 {
            let used = 2 + (round as usize * 7) % 255;
            let mut leaves: Vec<(u64, usize)> = (0..used)
                .map(|s| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    // Heavy-tailed weights, many of them equal, so limits bind and ties occur.
                    (1 + u64::from(seed >> 8) % (1 << (seed % 24)), s)
                })
                .collect();
            leaves.sort_unstable();
            for limit in [MAX_CODE_LEN, 9, 31] {
                if used > 1 << limit {
                    continue;
                }
                assert_eq!(
                    package_merge(&leaves, limit),
                    package_merge_expanded(&leaves, limit),
                    "{used} symbols, limit {limit}"
                );
            }
        }
    }

    #[test]
    fn canonical_words_follow_the_decoder_order() {
        let mut lengths = [UNUSED_LEN; SYMBOLS];
        lengths[0] = 1;
        lengths[1] = 2;
        lengths[7] = 3;
        lengths[9] = 3;
        let t = CodeTable::from_lengths(lengths);
        let word = |s: usize| {
            let len = t.codes[s] as u8;
            (t.codes[s] >> (64 - len), len)
        };
        // Longest first, the higher symbol first among equals.
        assert_eq!(word(9), (0b000, 3));
        assert_eq!(word(7), (0b001, 3));
        assert_eq!(word(1), (0b01, 2));
        assert_eq!(word(0), (0b1, 1));
    }

    #[test]
    fn one_symbol_is_a_single_symbol_plane() {
        let mut hist = [0u32; SYMBOLS];
        hist[200] = 77;
        let code = PlaneCode::from_histogram(&hist);
        assert_eq!(code, PlaneCode::Single(200));
        let header = code.header_lengths();
        assert_eq!(header[200], 0);
        assert_eq!(header.iter().filter(|&&l| l == UNUSED_LEN).count(), 255);
    }
}
