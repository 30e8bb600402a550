//! The web view's memory where users are. On Linux, WebKitGTK's "document viewer" cache model
//! (the console is one local page: no back/forward cache or large resource caches to keep) and
//! no GPU compositing (a page of forms and tables needs none, and WebKit's compositing path
//! costs the web process about 130 MB, most of it Mesa's buffers when no GPU driver serves it);
//! on Windows, WebView2 is asked to trim to its low memory target while the window is minimised
//! or hidden, and back to normal when it is shown. `scripts/bench.sh` measures the window's
//! memory with each Linux setting added in turn, in one run (`AKV_WEBVIEW_TUNING`).

use tauri::{Runtime, WebviewWindow};

/// How much of the Linux tuning applies: everything unless `AKV_WEBVIEW_TUNING` asks for less
/// (`default`: the engine's own settings; `cache`: only the cache model), for the bench's
/// before/after figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tuning {
    EngineDefaults,
    CacheOnly,
    Full,
}

impl Tuning {
    pub fn from_env_value(value: Option<&str>) -> Tuning {
        match value {
            Some("default") => Tuning::EngineDefaults,
            Some("cache") => Tuning::CacheOnly,
            _ => Tuning::Full,
        }
    }

    fn requested() -> Tuning {
        Tuning::from_env_value(std::env::var("AKV_WEBVIEW_TUNING").ok().as_deref())
    }
}

/// WebView2's memory target: low while nobody can see the window.
pub fn low_memory_target(minimized: bool, visible: bool) -> bool {
    minimized || !visible
}

/// Applied once, when the main window exists.
pub fn tune<R: Runtime>(window: &WebviewWindow<R>) {
    let tuning = Tuning::requested();
    if tuning == Tuning::EngineDefaults {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let _ = window.with_webview(move |webview| {
            use webkit2gtk::{
                CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt,
            };
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(CacheModel::DocumentViewer);
            }
            if tuning == Tuning::Full
                && let Some(settings) = WebViewExt::settings(&webview.inner())
            {
                settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
            }
        });
    }
    #[cfg(not(target_os = "linux"))]
    let _ = window;
}

/// Called on the main window's events: follows minimise, restore, hide and show.
pub fn on_window_event<R: Runtime>(window: &WebviewWindow<R>, event: &tauri::WindowEvent) {
    if !matches!(
        event,
        tauri::WindowEvent::Resized(_) | tauri::WindowEvent::Focused(_)
    ) {
        return;
    }
    let low = low_memory_target(
        window.is_minimized().unwrap_or(false),
        window.is_visible().unwrap_or(true),
    );
    set_memory_target(window, low);
}

#[cfg(windows)]
fn set_memory_target<R: Runtime>(window: &WebviewWindow<R>, low: bool) {
    let _ = window.with_webview(move |webview| {
        use webview2_com::Microsoft::Web::WebView2::Win32::{
            COREWEBVIEW2_MEMORY_USAGE_TARGET_LEVEL_LOW,
            COREWEBVIEW2_MEMORY_USAGE_TARGET_LEVEL_NORMAL, ICoreWebView2_19,
        };
        use windows_core::Interface;
        let level = if low {
            COREWEBVIEW2_MEMORY_USAGE_TARGET_LEVEL_LOW
        } else {
            COREWEBVIEW2_MEMORY_USAGE_TARGET_LEVEL_NORMAL
        };
        // SAFETY: COM calls on the controller Tauri hands out on the UI thread; a runtime older
        // than the interface (WebView2 < 1.0.1774) simply lacks ICoreWebView2_19 and is skipped.
        unsafe {
            if let Ok(core) = webview.controller().CoreWebView2()
                && let Ok(core) = core.cast::<ICoreWebView2_19>()
            {
                let _ = core.SetMemoryUsageTargetLevel(level);
            }
        }
    });
}

/// WebKitGTK and WKWebView have no such target; the cache model above is Linux's part.
#[cfg(not(windows))]
fn set_memory_target<R: Runtime>(_window: &WebviewWindow<R>, _low: bool) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_can_ask_for_each_step_of_the_tuning_and_anything_else_tunes_fully() {
        assert_eq!(
            Tuning::from_env_value(Some("default")),
            Tuning::EngineDefaults
        );
        assert_eq!(Tuning::from_env_value(Some("cache")), Tuning::CacheOnly);
        assert_eq!(Tuning::from_env_value(Some("console")), Tuning::Full);
        assert_eq!(Tuning::from_env_value(None), Tuning::Full);
    }

    #[test]
    fn the_memory_target_is_low_only_while_nobody_can_see_the_window() {
        assert!(!low_memory_target(false, true));
        assert!(low_memory_target(true, true));
        assert!(low_memory_target(false, false));
        assert!(low_memory_target(true, false));
    }
}
