//! `OPENSPEC_TIMING=1`: each phase of a run on stderr, with the time it took
//! and the time since the process started, for finding where a slow run goes.
use std::sync::Mutex;
use std::time::Instant;

static CLOCK: Mutex<Option<(Instant, Instant)>> = Mutex::new(None);

fn enabled() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("OPENSPEC_TIMING").is_some_and(|v| v != "0"))
}

/// Start the clock (the first call wins; `phase` starts it too).
pub fn start() {
    if enabled()
        && let Ok(mut c) = CLOCK.lock()
    {
        c.get_or_insert_with(|| (Instant::now(), Instant::now()));
    }
}

/// The phase that just ended.
pub fn phase(name: &str) {
    if !enabled() {
        return;
    }
    let Ok(mut c) = CLOCK.lock() else { return };
    let now = Instant::now();
    let (start, last) = c.get_or_insert((now, now));
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    eprintln!(
        "openspec: {name}: {:.1} ms (at {:.1} ms)",
        ms(now - *last),
        ms(now - *start)
    );
    *last = now;
}
