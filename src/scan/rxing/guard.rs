//! The panic guard: rxing panics on some inputs. A pass that panics has found nothing, and its
//! panic stays off stderr (a decoder thread must not scare anyone with a backtrace).

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static IN_DECODER: Cell<bool> = const { Cell::new(false) };
}

/// A panic inside rxing is contained and reported as "nothing found"; keep it off stderr.
pub(super) fn quiet_panics_in_decoder() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_DECODER.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs `f` with its panics contained: a panic gives the default (nothing found), silently.
/// Nested calls keep the outer one's panics quiet too.
pub(super) fn contained<T: Default>(f: impl FnOnce() -> T) -> T {
    let outer = IN_DECODER.with(|f| f.replace(true));
    let out = catch_unwind(AssertUnwindSafe(f)).unwrap_or_default();
    IN_DECODER.with(|f| f.set(outer));
    out
}
