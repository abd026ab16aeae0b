//! The programs' allocator, and memory freed by one stage of a run given back to the
//! operating system before the next stage starts.
//!
//! citecheck's binary (and its benches) allocate with mimalloc ([`Allocator`], declared
//! `#[global_allocator]` there, not in this library, so that a program using the library
//! keeps its own choice). A run allocates and frees a page body, its DOM and its text for
//! every URL, mostly on a thread other than the one that received the body; glibc's
//! allocator spent about 15% of the busiest thread's time in `malloc`/`free` and their
//! arena locks there (see the README's throughput section). [`configure`] sets the two
//! options that keep mimalloc's peak memory at glibc's (see there).
//!
//! Either allocator keeps freed memory for reuse and gives it back to the system only
//! when asked or later: a `check` extracts its citations on one thread and fetches on
//! the runtime's worker threads, and the tens of megabytes that extraction and planning
//! free (the parser's buffers, the segmenter's dictionary, the citations once spilled,
//! see [`crate::model::Citations`]) would stay resident beside everything the fetching
//! allocates, so that a run's peak would be the sum of both stages rather than the
//! larger: [`release_free_memory`] between them.

/// The allocator citecheck's programs declare as their `#[global_allocator]`.
pub type Allocator = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in `mimalloc.h` (v3): milliseconds before freed pages are
/// given back to the system (1,000 by default).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Set the allocator's options, first thing in `main`: freed pages go back to the
/// system at once instead of a second later, and (on Linux) the process takes no
/// transparent huge pages. mimalloc reserves its first arena (1 GiB of address space,
/// committed at once on an over-committing OS) before `main`; where the kernel gives
/// huge pages to every such mapping (`/sys/kernel/mm/transparent_hugepage/enabled` set
/// to `always`, as on our machines), touching a few bytes of it makes 2 MiB resident.
/// With mimalloc's defaults the `memory` bench (100,000 citations) peaked at 174 MB and
/// the `throughput` bench at 89–108 MB; with these, 113–114 MB and 45–46 MB (glibc's
/// allocator: 140 MB and 45–48 MB), at the same speed (a delay of 10 or 100 ms was no
/// faster in alternating rounds, and held 2–17 MB more). `MIMALLOC_PURGE_DELAY` in the
/// environment, mimalloc's own setting, wins.
pub fn configure() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        #[allow(unsafe_code)]
        // SAFETY: `mi_option_set` only stores an option's value; mimalloc reads this one
        // whenever it purges, so a value set after the first allocation holds from then.
        unsafe {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        }
    }
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    // SAFETY: `PR_SET_THP_DISABLE` only sets a flag of the process, which the kernel
    // reads when it faults a page in (mappings made earlier included); no memory of
    // ours is touched.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

/// Give every wholly free page of the heap back to the system (mimalloc's
/// `mi_collect`, and glibc's `malloc_trim` for what C code and a program on glibc's
/// allocator hold).
pub fn release_free_memory() {
    #[allow(unsafe_code)]
    // SAFETY: `mi_collect` has no preconditions: it frees only what the calling thread's
    // heap holds empty, and is harmless when mimalloc is not the global allocator.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: `malloc_trim` has no preconditions: it takes the allocator's own locks and
    // only advises the kernel about pages that hold no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option's number is that of the mimalloc that is built (it holds its
    /// documented default until [`configure`] sets it; no test but this one configures),
    /// and the process takes no more huge pages.
    #[test]
    fn configure_sets_what_it_names() {
        #[allow(unsafe_code)]
        // SAFETY: reading an option has no preconditions.
        let get = |o| unsafe { libmimalloc_sys::mi_option_get(o) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(get(PURGE_DELAY), 1000);
        }
        configure();
        assert_eq!(get(PURGE_DELAY), 0);
        #[cfg(target_os = "linux")]
        {
            #[allow(unsafe_code)]
            // SAFETY: reading the flag of the process has no preconditions.
            let thp_disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
            assert_eq!(thp_disabled, 1);
        }
    }
}
