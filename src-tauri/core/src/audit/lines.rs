//! Reading a log's lines on every core. Each line parses (and hashes) on its own, so a long log
//! is split in order across threads; the caller then walks the results in order. Parsing and
//! hashing are nearly all of the time opening or verifying 100,000 entries takes.

/// Below this many lines the calling thread does it alone (starting threads costs more).
const PARALLEL_FROM_LINES: usize = 4096;

/// `each` applied to every line, results in the lines' order.
pub(crate) fn map_lines<T: Send>(lines: &[&[u8]], each: impl Fn(&[u8]) -> T + Sync) -> Vec<T> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if workers < 2 || lines.len() < PARALLEL_FROM_LINES {
        return lines.iter().map(|line| each(line)).collect();
    }
    let per_worker = lines.len().div_ceil(workers);
    let each = &each;
    std::thread::scope(|scope| {
        let parts: Vec<_> = lines
            .chunks(per_worker)
            .map(|part| scope.spawn(move || part.iter().map(|line| each(line)).collect::<Vec<T>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| {
                part.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_the_lines_order_on_one_thread_and_on_many() {
        for count in [0, 3, PARALLEL_FROM_LINES - 1, PARALLEL_FROM_LINES * 3 + 7] {
            let text: Vec<String> = (0..count).map(|i| i.to_string()).collect();
            let lines: Vec<&[u8]> = text.iter().map(|t| t.as_bytes()).collect();
            let parsed = map_lines(&lines, |line| {
                std::str::from_utf8(line)
                    .ok()
                    .and_then(|s| s.parse::<usize>().ok())
            });
            let expected: Vec<Option<usize>> = (0..count).map(Some).collect();
            assert_eq!(parsed, expected, "{count} lines");
        }
    }
}
