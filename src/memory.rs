//! The heap this process holds now, counted by the allocator: what a script's memory
//! limit is checked against. A counter read on every script operation costs one atomic
//! load, where asking the kernel for the resident size costs a system call, and unlike
//! the peak resident size it goes down again when a script frees what it built.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};

/// The bytes held, as far as each thread has passed its count on.
static IN_USE: AtomicIsize = AtomicIsize::new(0);

thread_local! {
    /// What this thread allocated less what it freed, not yet added to [`IN_USE`]. A
    /// locked add on every allocation waits for the core's pending stores, and at
    /// 25,000 allocations that was ~3% of a 1,000-profile switch. Memory freed on
    /// another thread than the one that allocated it nets out once both have passed
    /// their counts on.
    static PENDING: Cell<isize> = const { Cell::new(0) };
}

/// How far a thread's count may drift before it is added to [`IN_USE`]: the memory
/// limit ([`crate::engine::MAX_MEMORY_BYTES`]) is hundreds of megabytes.
const PASS_ON: isize = 64 << 10;

/// Counts `delta` bytes allocated (or freed, when negative) on this thread.
fn count(delta: isize) {
    PENDING.with(|p| {
        let v = p.get() + delta;
        if v.unsigned_abs() >= PASS_ON.unsigned_abs() {
            IN_USE.fetch_add(v, Ordering::Relaxed);
            p.set(0);
        } else {
            p.set(v);
        }
    })
}

/// The system allocator, counting the bytes it hands out and takes back.
pub struct Counting;

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is
// updated beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract, passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `alloc`.
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

/// Bytes of heap held now: what every thread has passed on, and what this one has not
/// yet (within [`PASS_ON`] of the truth per thread).
pub fn in_use() -> u64 {
    let here = PENDING.with(Cell::get);
    (IN_USE.load(Ordering::Relaxed) + here).max(0) as u64
}

/// How much more than asked glibc makes usable each time a heap grows ([`tune_heap`]):
/// a new thread's heap starts with this much, which [`expect_large_thread_heap`] relies on.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TOP_PAD: libc::c_int = 8 << 20;

/// Sets glibc's heap up for a run that builds a few megabytes and exits: it grows 8 MB at
/// a time rather than 128 KB (a switch at 1,000 profiles asked the kernel 51 times),
/// keeps buffers below 4 MB on the heap rather than in mappings of their own that are
/// faulted in afresh every time (a store's text is read, copied and parsed at 500 KB),
/// and gives nothing back before exit. Only address space is reserved: pages count
/// once touched, so peak memory is unchanged. A 1,000-profile switch ran ~6% faster.
pub fn tune_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only sets allocator parameters; it is called before any
    // thread starts, and each value is within glibc's documented range.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 16 << 20);
    }
}

/// The length of an input (a store's text) from which a run calls [`expect_large_heap`]
/// before reading it: hundreds of profiles, at ~440 bytes each.
pub const LARGE_INPUT: i64 = 256 << 10;

/// Backs the rest of the heap with transparent huge pages, for a run about to build
/// several megabytes (a store of hundreds of profiles): the kernel then hands out 2 MB
/// per page fault instead of 4 KB. A 1,000-profile switch touched ~4 MB of heap in
/// ~900 faults, each a trap into the kernel that zeroes a page; most of a run's time in
/// the kernel went there. Honoured where `/sys/kernel/mm/transparent_hugepage/enabled`
/// says `madvise` or `always`; elsewhere nothing changes. Not for small runs: a huge
/// page counts whole in resident memory, and zeroing 2 MB costs more than the few
/// hundred faults of a small heap. Once per process.
pub fn expect_large_heap() {
    static DONE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if DONE.swap(true, Ordering::Relaxed) {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `sbrk(0)` only reads the break.
    unsafe {
        huge_pages_from_here(|_| Some(libc::sbrk(0) as usize));
    }
}

/// [`expect_large_heap`] for a thread other than the main one, which glibc gives a heap
/// of its own: a 64 MB reservation aligned to its size, made usable as it grows (the
/// first 8 MB at once, as `tune_heap` asks). A store of a thousand profiles parsed on
/// such a thread faulted in ~400 pages one at a time, 1 ms here. A thread glibc gave
/// the main heap is left alone.
pub fn expect_large_thread_heap() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `sbrk(0)` only reads the break; the range advised is inside the thread's
    // heap reservation, whose first `tune_heap` top pad glibc has made usable.
    unsafe {
        // glibc's HEAP_MAX_SIZE on 64-bit systems: twice the largest mmap threshold.
        const THREAD_HEAP: usize = 64 << 20;
        huge_pages_from_here(|probe| {
            (probe > libc::sbrk(0) as usize)
                .then(|| probe / THREAD_HEAP * THREAD_HEAP + TOP_PAD as usize)
        });
    }
}

/// Backs this thread's heap with huge pages from the first 2 MB boundary past its top up
/// to `end(top)` (`None`: not at all).
///
/// # Safety
/// `end` must give an address inside the same heap mapping, or `None`.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
unsafe fn huge_pages_from_here(end: impl FnOnce(usize) -> Option<usize>) {
    const HUGE: usize = 2 << 20;
    // Larger than any block freed this early in a run, so it is cut from the top of the
    // heap, and small: glibc writes the header of the free space right after it, and a
    // 2 MB block of which one page is in use can no longer get a huge page.
    const PROBE: usize = 256 << 10;
    // SAFETY: the probe is freed at once and never written; `madvise` gets whole pages
    // inside the heap mapping (the caller's promise), and MADV_HUGEPAGE changes how
    // they are backed, never their contents (a kernel without THP refuses it,
    // harmlessly); the block held below the huge pages is never used or freed.
    unsafe {
        let probe = libc::malloc(PROBE);
        if probe.is_null() {
            return;
        }
        let start = (probe as usize + PROBE + 4096).next_multiple_of(HUGE);
        let end = end(probe as usize).map(|e| e / HUGE * HUGE);
        libc::free(probe);
        if let Some(end) = end
            && end > start
        {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            // The heap goes on from the first huge page: the space below it is held,
            // never touched, rather than faulted in page by page first. Sized so that
            // glibc's header of the free space after it stays below that page.
            // `black_box`: an allocation nothing reads is removed from an optimised build.
            std::hint::black_box(libc::malloc(start - probe as usize - 32));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::in_use;

    #[test]
    fn memory_freed_on_another_thread_is_no_longer_counted() {
        const BLOCK: usize = 64 << 20;
        let block = vec![1u8; BLOCK];
        let held = in_use();
        assert!(
            held >= BLOCK as u64,
            "{held} bytes counted while 64 MB are held"
        );
        std::thread::spawn(move || drop(block))
            .join()
            .unwrap_or_else(|_| panic!("the freeing thread failed"));
        // Other tests run beside this one; they do not hold 16 MB at once.
        let now = in_use();
        assert!(
            now + (48 << 20) < held,
            "{now} bytes counted after 64 MB of {held} were freed on another thread"
        );
    }
}
