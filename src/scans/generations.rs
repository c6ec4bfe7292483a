//! A bounded map that keeps what is used: entries go into a young generation; when it is
//! full the old generation is dropped and the young one becomes old. A lookup that finds an
//! entry in the old generation moves it back to the young one, so an entry survives as
//! long as it is used at least once per generation, and the map never holds more than
//! twice the generation size. Lookups of young entries need only a shared borrow.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;

pub struct Generations<K, V> {
    young: HashMap<K, V>,
    old: HashMap<K, V>,
    size: usize,
}

/// Where `peek` found an entry.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<V> {
    Young(V),
    /// Found in the old generation: `promote` it if it was used.
    Old(V),
}

impl<K: Hash + Eq, V: Clone> Generations<K, V> {
    /// `size` entries per generation (at least 1).
    pub fn new(size: usize) -> Self {
        Self {
            young: HashMap::new(),
            old: HashMap::new(),
            size: size.max(1),
        }
    }

    pub fn peek<Q>(&self, key: &Q) -> Option<Found<V>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(value) = self.young.get(key) {
            return Some(Found::Young(value.clone()));
        }
        self.old.get(key).map(|value| Found::Old(value.clone()))
    }

    /// Moves an entry of the old generation into the young one.
    pub fn promote<Q>(&mut self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some((key, value)) = self.old.remove_entry(key) {
            self.insert(key, value);
        }
    }

    pub fn insert(&mut self, key: K, value: V) {
        if self.young.len() >= self.size && !self.young.contains_key(&key) {
            self.old = std::mem::take(&mut self.young);
        }
        self.old.remove(&key);
        self.young.insert(key, value);
    }

    pub(super) fn len(&self) -> usize {
        self.young.len() + self.old.len()
    }

    pub fn clear(&mut self) {
        self.young.clear();
        self.old.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_never_holds_more_than_two_generations() {
        let mut map = Generations::new(100);
        for i in 0..10_000 {
            map.insert(i, i);
            assert!(map.len() <= 200);
        }
        assert_eq!(map.peek(&9_999), Some(Found::Young(9_999)));
        assert_eq!(map.peek(&0), None);
    }

    #[test]
    fn an_entry_used_once_per_generation_is_kept() {
        let mut map = Generations::new(10);
        map.insert("hot", 1);
        for i in 0..1_000 {
            map.insert(format!("cold-{i}").leak() as &str, 0);
            match map.peek("hot") {
                Some(Found::Young(_)) => {}
                Some(Found::Old(_)) => map.promote("hot"),
                None => panic!("the hot entry was dropped after {i} inserts"),
            }
        }
        assert_eq!(map.peek("hot"), Some(Found::Young(1)));
    }

    #[test]
    fn an_unused_entry_goes_after_two_generations() {
        let mut map = Generations::new(3);
        map.insert(0, 0);
        map.insert(1, 1);
        map.insert(2, 2);
        map.insert(3, 3);
        assert_eq!(map.peek(&0), Some(Found::Old(0)));
        map.insert(4, 4);
        map.insert(5, 5);
        map.insert(6, 6);
        assert_eq!(map.peek(&0), None);
        assert_eq!(map.len(), 4);
    }

    #[test]
    fn reinserting_a_key_replaces_it_in_place() {
        let mut map = Generations::new(2);
        map.insert(1, "a");
        map.insert(2, "b");
        map.insert(2, "c");
        assert_eq!(map.len(), 2);
        assert_eq!(map.peek(&2), Some(Found::Young("c")));
        map.insert(3, "d");
        map.insert(1, "e");
        assert_eq!(map.peek(&1), Some(Found::Young("e")));
        assert_eq!(map.len(), 3, "the old copy of 1 is gone");
        map.clear();
        assert_eq!(map.len(), 0);
    }
}
