//! Memory freed by one stage of a run, given back to the operating system before the
//! next stage starts.
//!
//! glibc's allocator keeps freed memory for reuse by the thread (arena) that freed it,
//! and gives back to the system only what lies at the very top of the heap. A `check`
//! extracts its citations on one thread and fetches on the runtime's worker threads: the
//! tens of megabytes that extraction and planning free (the parser's buffers, the
//! segmenter's dictionary, the citations once spilled, see
//! [`crate::model::Citations`]) would stay resident beside everything the fetching
//! allocates, and a run's peak would be the sum of both stages rather than the larger.

/// Give every wholly free page of the heap back to the system (glibc's `malloc_trim`);
/// nothing to do with other allocators, which return memory on their own.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: `malloc_trim` has no preconditions: it takes the allocator's own locks and
    // only advises the kernel about pages that hold no live allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}
