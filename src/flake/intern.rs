//! Interned names and sets of them. Every path a dependency can name gets a
//! dense id once per analysis; a host's dependency set is then a bitset over
//! those ids, so 200 hosts over 10,000 files share one name table and each
//! costs a few kilobytes, and unions and membership tests are word operations.
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use serde::Serialize;

/// Every path a dependency can name, sorted, with dense ids (bitset positions).
#[derive(Debug, Default)]
pub struct Names {
    list: Vec<String>,
    index: HashMap<String, u32>,
    /// Each name as a JSON string, escaped once: every host's file list
    /// repeats the same names, 2 million times in a large flake.
    json: std::sync::OnceLock<Vec<Box<serde_json::value::RawValue>>>,
}

impl Names {
    /// The table of `all`, ids in sorted order.
    pub fn new(all: BTreeSet<String>) -> Names {
        let list: Vec<String> = all.into_iter().collect();
        let index = list
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        Names {
            list,
            index,
            json: Default::default(),
        }
    }
    /// The name with id `id` as an escaped JSON string.
    pub fn json(&self, id: u32) -> &serde_json::value::RawValue {
        // Filled on one thread: this runs inside parallel serialisation, and a
        // parallel fill there could steal a job that waits on this very lock.
        let all = self.json.get_or_init(|| {
            self.list
                .iter()
                .map(|n| {
                    serde_json::value::to_raw_value(n)
                        .unwrap_or_else(|_| unreachable!("a string always serialises"))
                })
                .collect()
        });
        &all[id as usize]
    }
    /// The id of `name`, if it is in the table.
    pub fn id(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }
    /// The name with id `id`. Panics on an id from another table.
    pub fn name(&self, id: u32) -> &str {
        &self.list[id as usize]
    }
    /// The number of names.
    pub fn len(&self) -> usize {
        self.list.len()
    }
    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// A set of names: a bitset over `Names`, iterated in sorted order.
#[derive(Debug, Clone, Default)]
pub struct NameSet {
    names: Arc<Names>,
    bits: Vec<u64>,
    count: usize,
}

impl NameSet {
    /// The empty set over `names`.
    pub fn new(names: &Arc<Names>) -> NameSet {
        NameSet {
            names: names.clone(),
            bits: vec![0; names.len().div_ceil(64)],
            count: 0,
        }
    }
    /// Add `id`; true when it was not in the set yet.
    pub fn insert(&mut self, id: u32) -> bool {
        let (w, b) = ((id / 64) as usize, id % 64);
        let fresh = self.bits[w] & (1 << b) == 0;
        if fresh {
            self.bits[w] |= 1 << b;
            self.count += 1;
        }
        fresh
    }
    /// Add every member of `other` (a set over the same table).
    pub fn union(&mut self, other: &NameSet) {
        for (a, b) in self.bits.iter_mut().zip(&other.bits) {
            *a |= b;
        }
        self.count = self.bits.iter().map(|w| w.count_ones() as usize).sum();
    }
    /// Whether `id` is a member.
    pub fn has(&self, id: u32) -> bool {
        self.bits
            .get((id / 64) as usize)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }
    /// Whether `name` is a member.
    pub fn contains(&self, name: &str) -> bool {
        self.names.id(name).is_some_and(|id| self.has(id))
    }
    /// The number of members.
    pub fn len(&self) -> usize {
        self.count
    }
    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
    /// The members' ids, ascending (so names come out sorted).
    pub fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.bits.iter().enumerate().flat_map(|(w, &word)| {
            let mut word = word;
            std::iter::from_fn(move || {
                if word == 0 {
                    return None;
                }
                let b = word.trailing_zeros();
                word &= word - 1;
                Some(w as u32 * 64 + b)
            })
        })
    }
    /// The members' names, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.ids().map(|id| self.names.name(id))
    }
}

impl Serialize for NameSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.ids().map(|id| self.names.json(id)))
    }
}
