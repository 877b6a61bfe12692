//! Interned path components: every distinct file name is stored once, in one text buffer, and
//! referred to by a `u32` id. A million-file tree repeats names like `__init__.py` thousands of
//! times; interning keeps the arena compact and makes name comparison an integer compare.

use hashbrown::HashTable;
use std::hash::BuildHasher;

pub type NameId = u32;

#[derive(Default)]
pub struct Names {
    text: String,
    /// (start, len) of each name in `text`.
    spans: Vec<(u32, u32)>,
    table: HashTable<NameId>,
    hasher: hashbrown::DefaultHashBuilder,
}

impl std::fmt::Debug for Names {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Names")
            .field("count", &self.spans.len())
            .finish()
    }
}

impl Names {
    pub fn get(&self, id: NameId) -> &str {
        let (start, len) = self.spans[id as usize];
        &self.text[start as usize..(start + len) as usize]
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The id of `name`, adding it if it is new.
    pub fn intern(&mut self, name: &str) -> NameId {
        let hash = self.hasher.hash_one(name);
        let Names {
            text, spans, table, ..
        } = self;
        let eq = |id: &NameId| {
            let (start, len) = spans[*id as usize];
            &text[start as usize..(start + len) as usize] == name
        };
        if let Some(id) = table.find(hash, eq) {
            return *id;
        }
        let id = spans.len() as NameId;
        spans.push((text.len() as u32, name.len() as u32));
        text.push_str(name);
        let hasher = &self.hasher;
        let text = &self.text;
        let spans = &self.spans;
        self.table.insert_unique(hash, id, |id| {
            let (start, len) = spans[*id as usize];
            hasher.hash_one(&text[start as usize..(start + len) as usize])
        });
        id
    }

    /// The id of `name` if it was ever interned.
    pub fn lookup(&self, name: &str) -> Option<NameId> {
        let hash = self.hasher.hash_one(name);
        self.table.find(hash, |id| self.get(*id) == name).copied()
    }

    /// Bytes held by the interner (text, spans and table), for memory accounting.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.spans.capacity() * 8 + self.table.capacity() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interns_each_name_once() {
        let mut names = Names::default();
        let a = names.intern("usr");
        let b = names.intern("lib");
        assert_eq!(names.intern("usr"), a);
        assert_ne!(a, b);
        assert_eq!(names.get(b), "lib");
        assert_eq!(names.lookup("lib"), Some(b));
        assert_eq!(names.lookup("bin"), None);
        assert_eq!(names.len(), 2);
    }
}
