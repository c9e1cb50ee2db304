//! Remembered answers of [`fallback_fits`]: a page's fallbacks are the same markup on every
//! request, and reading one anew cost tens of instructions a byte (73,000 a request on the
//! dashboard with its sections uncached, of its 950,000).

use std::sync::Mutex;

use rustc_hash::FxHashMap;

use super::{Context, fallback_fits};

/// Distinct fallbacks remembered; past this the memory starts over, so fallbacks made per
/// request (holding a user's name, say) cannot grow it without bound.
const MAX_REMEMBERED: usize = 1024;

/// [`fallback_fits`]'s answers by fallback, then context. One per engine.
#[derive(Default)]
pub(crate) struct FitVerdicts {
    by_fallback: Mutex<ByFallback>,
}

type Verdict = Result<(), String>;
type ByFallback = FxHashMap<Box<str>, Vec<(Context, Verdict)>>;

impl FitVerdicts {
    /// [`fallback_fits`]`(context, fallback)`, worked out once per distinct pair.
    pub(crate) fn fallback_fits(&self, context: Context, fallback: &str) -> Verdict {
        if let Some(verdict) = self.remembered(context, fallback) {
            return verdict;
        }
        let verdict = fallback_fits(context, fallback);
        let mut by_fallback = self.lock();
        if by_fallback.len() >= MAX_REMEMBERED {
            by_fallback.clear();
        }
        by_fallback
            .entry(fallback.into())
            .or_default()
            .push((context, verdict.clone()));
        verdict
    }

    fn remembered(&self, context: Context, fallback: &str) -> Option<Verdict> {
        let by_fallback = self.lock();
        let verdicts = by_fallback.get(fallback)?;
        verdicts
            .iter()
            .find(|(known, _)| *known == context)
            .map(|(_, verdict)| verdict.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ByFallback> {
        // Every critical section leaves the map consistent: carry on after a panic.
        self.by_fallback
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_as_fallback_fits_does_each_time() {
        let verdicts = FitVerdicts::default();
        let cases = [
            (Context::Flow, "<div class=\"skeleton\"></div>"),
            (Context::Flow, "<b>loading"),
            (Context::TableSection, "<div>loading</div>"),
            (Context::TableSection, "<tr><td>loading</td></tr>"),
            (Context::Svg, "<rect/><g><rect></rect></g>"),
        ];
        for _ in 0..2 {
            for (context, fallback) in cases {
                assert_eq!(
                    verdicts.fallback_fits(context, fallback),
                    fallback_fits(context, fallback),
                    "{context:?} {fallback}"
                );
            }
        }
    }

    #[test]
    fn starts_over_when_full() {
        let verdicts = FitVerdicts::default();
        for n in 0..MAX_REMEMBERED + 5 {
            let fallback = format!("<p>{n}</p>");
            assert_eq!(verdicts.fallback_fits(Context::Flow, &fallback), Ok(()));
        }
        assert!(verdicts.lock().len() <= MAX_REMEMBERED);
    }
}
