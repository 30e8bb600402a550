//! The web view's memory where users are. On Linux, WebKitGTK's "document viewer" cache model
//! (the console is one local page: no back/forward cache or large resource caches to keep); on
//! Windows, WebView2 is asked to trim to its low memory target while the window is minimised or
//! hidden, and back to normal when it is shown. `scripts/bench.sh` measures the window's memory
//! with and without the Linux setting in one run (`AKV_WEBVIEW_CACHE=default` keeps WebKit's own).

use tauri::{Runtime, WebviewWindow};

/// `AKV_WEBVIEW_CACHE=default` keeps the engine's default cache (for the before/after figure).
fn engine_default_requested() -> bool {
    std::env::var("AKV_WEBVIEW_CACHE").is_ok_and(|v| v == "default")
}

/// WebView2's memory target: low while nobody can see the window.
pub fn low_memory_target(minimized: bool, visible: bool) -> bool {
    minimized || !visible
}

/// Applied once, when the main window exists.
pub fn tune<R: Runtime>(window: &WebviewWindow<R>) {
    if engine_default_requested() {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        let _ = window.with_webview(|webview| {
            use webkit2gtk::{CacheModel, WebContextExt, WebViewExt};
            if let Some(context) = webview.inner().context() {
                context.set_cache_model(CacheModel::DocumentViewer);
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
    fn the_memory_target_is_low_only_while_nobody_can_see_the_window() {
        assert!(!low_memory_target(false, true));
        assert!(low_memory_target(true, true));
        assert!(low_memory_target(false, false));
        assert!(low_memory_target(true, false));
    }
}
