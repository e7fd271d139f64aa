//! Giving memory back. A closed document's text, tree and model are dropped with it, but
//! the allocator keeps freed pages for reuse, so the server's footprint would stay at its
//! highest: after a large document is opened (its parse allocates and frees a lot) and
//! after a document is closed, free memory is handed back to the system. When the last
//! document closes, what analyses remember between calls is forgotten as well.

use crate::{analysis, model};

/// After a document closed; `last` when no document is open any more.
pub fn after_close(last: bool) {
    if last {
        analysis::forget_cached();
        model::forget_cached();
    }
    trim();
}

/// After a document of `bytes` was opened: parsing a large text frees much of what it
/// allocated.
pub fn after_open(bytes: usize) {
    if bytes >= 256 * 1024 {
        trim();
    }
}

/// Hands the allocator's free memory back to the system, where the allocator can.
fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            // glibc: releases free memory at the top of the heap and in free pages.
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only releases memory the allocator holds as free; it takes
        // the allocator's own locks and touches no memory in use.
        unsafe {
            malloc_trim(0);
        }
    }
}
