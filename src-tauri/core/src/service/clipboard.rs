//! Keeping a copied key on the clipboard no longer than needed: the console remembers a hash of
//! what it copied (never the value) and clears the clipboard after the countdown, when the window
//! closes and when the app exits — but only while the clipboard still holds that value, so text
//! the technician copied since is left alone. A clipboard that cannot be read back (some Wayland
//! compositors refuse reads to an unfocused window) is cleared: the key may still be on it.

use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::domain::secret::SecretValue;

/// The system clipboard as the guard needs it (the Tauri plugin in the app, a fake in tests).
pub trait Clipboard {
    /// The clipboard's text; `None` when it could not be read as text (refused, or not text).
    fn read_text(&self) -> Option<zeroize::Zeroizing<String>>;
    fn clear(&self);
}

/// What the console remembers about its last copy.
#[derive(Default)]
pub struct ClipboardGuard {
    held: Mutex<Option<(u64, [u8; 32])>>,
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

impl ClipboardGuard {
    fn held(&self) -> std::sync::MutexGuard<'_, Option<(u64, [u8; 32])>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Note a value just written to the clipboard; returns the copy's generation for its timer.
    pub fn copied(&self, value: &SecretValue) -> u64 {
        let mut held = self.held();
        let generation = held.map(|(g, _)| g + 1).unwrap_or(1);
        *held = Some((generation, digest(value.expose())));
        generation
    }

    /// Clear the clipboard if it still holds the copy (of `generation`, or any pending copy when
    /// `None`, as on exit). `None` when there is no such copy (a newer copy has taken over and its
    /// own timer handles it); otherwise whether it was cleared — the copy is forgotten either way.
    pub fn clear_if_still_ours(
        &self,
        clipboard: &dyn Clipboard,
        generation: Option<u64>,
    ) -> Option<bool> {
        let mut held = self.held();
        let hash = match (*held, generation) {
            (Some((g, hash)), Some(wanted)) if g == wanted => hash,
            (Some((_, hash)), None) => hash,
            _ => return None,
        };
        *held = None;
        // Unreadable counts as ours: clearing someone's non-text copy is the lesser harm than
        // leaving a key on a clipboard the console cannot see.
        let still_ours = clipboard
            .read_text()
            .is_none_or(|current| digest(&current) == hash);
        if still_ours {
            clipboard.clear();
        }
        Some(still_ours)
    }

    /// Whether a copy is still pending (the clipboard may hold a key).
    pub fn pending(&self) -> bool {
        self.held().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[derive(Default)]
    struct FakeClipboard {
        text: RefCell<Option<String>>,
        clears: RefCell<u32>,
        /// Reads are refused (as on some Wayland setups).
        unreadable: bool,
    }

    impl Clipboard for FakeClipboard {
        fn read_text(&self) -> Option<zeroize::Zeroizing<String>> {
            if self.unreadable {
                return None;
            }
            self.text.borrow().clone().map(zeroize::Zeroizing::new)
        }
        fn clear(&self) {
            *self.text.borrow_mut() = None;
            *self.clears.borrow_mut() += 1;
        }
    }

    fn copy(guard: &ClipboardGuard, clipboard: &FakeClipboard, value: &str) -> u64 {
        *clipboard.text.borrow_mut() = Some(value.to_string());
        guard.copied(&SecretValue::new(value))
    }

    #[test]
    fn exit_clears_a_key_the_clipboard_still_holds() {
        let guard = ClipboardGuard::default();
        let clipboard = FakeClipboard::default();
        copy(&guard, &clipboard, "ninja_secret_value");
        assert!(guard.pending());
        assert_eq!(
            guard.clear_if_still_ours(&clipboard, None),
            Some(true),
            "exit clears it"
        );
        assert_eq!(*clipboard.text.borrow(), None);
        assert!(!guard.pending());
        // A second exit signal (window closed, then app exit) does nothing more.
        assert_eq!(guard.clear_if_still_ours(&clipboard, None), None);
        assert_eq!(*clipboard.clears.borrow(), 1);
    }

    #[test]
    fn a_clipboard_that_cannot_be_read_back_is_cleared_anyway() {
        let guard = ClipboardGuard::default();
        let clipboard = FakeClipboard {
            unreadable: true,
            ..FakeClipboard::default()
        };
        let generation = copy(&guard, &clipboard, "ninja_secret_value");
        assert_eq!(
            guard.clear_if_still_ours(&clipboard, Some(generation)),
            Some(true)
        );
        assert_eq!(*clipboard.text.borrow(), None, "the key is gone");
        assert_eq!(*clipboard.clears.borrow(), 1);
        assert!(!guard.pending());
    }

    #[test]
    fn text_copied_since_is_left_alone() {
        let guard = ClipboardGuard::default();
        let clipboard = FakeClipboard::default();
        copy(&guard, &clipboard, "ninja_secret_value");
        *clipboard.text.borrow_mut() = Some("the technician's own text".into());
        assert_eq!(guard.clear_if_still_ours(&clipboard, None), Some(false));
        assert_eq!(
            clipboard.text.borrow().as_deref(),
            Some("the technician's own text")
        );
        assert_eq!(*clipboard.clears.borrow(), 0);
    }

    #[test]
    fn an_older_timer_leaves_a_newer_copy_to_its_own_timer() {
        let guard = ClipboardGuard::default();
        let clipboard = FakeClipboard::default();
        let first = copy(&guard, &clipboard, "first_key_value");
        let second = copy(&guard, &clipboard, "second_key_value");
        assert_eq!(guard.clear_if_still_ours(&clipboard, Some(first)), None);
        assert!(guard.pending());
        assert_eq!(
            guard.clear_if_still_ours(&clipboard, Some(second)),
            Some(true)
        );
        assert_eq!(*clipboard.text.borrow(), None);
    }
}
